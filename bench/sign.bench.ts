/**
 * What Content Credentials add to a post's media stage. Prints ratios against the unsigned
 * transcode measured in the same run; asserts nothing.
 *
 *   make bench NAME=sign ARGS='[--reps N]'
 *
 * The master is 121 frames of 1280x704 at 24 fps (5 s, FFV1 in Matroska), the shape of the
 * model's output. Per rendition (reels, 1080x1920, and x, 720x1280):
 *  1. the media stage unsigned: transcodeRendition from storage to storage;
 *  2. the same with the signer (c2pa-python process, a private CA from `provenance init`'s code);
 *  3. the signature alone on the finished rendition (RenditionSigner.sign), median of N.
 * Target (issue #12): gate + signing < 5 % of the media stage. Also printed: the signer's start-up,
 * paid once per worker, not per rendition.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret } from '../config';
import { transcodeRendition } from '../activities/media';
import { openRenditionSigner, type RenditionSigner } from '../activities/provenance';
import { C2paService } from '../activities/provenance/service';
import { c2paPython } from '../activities/provenance/signer';
import { FsStorage } from '../activities/storage';
import { median, timed } from './measure';

const FFMPEG = { ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe' };
const repsArg = process.argv.indexOf('--reps');
const REPS = repsArg > 0 ? Number(process.argv[repsArg + 1]) : 3;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'reelcast-bench-sign-'));
  try {
    const master = join(dir, 'master.mkv');
    execFileSync('ffmpeg', [
      ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1280x704:rate=24'],
      ...['-frames:v', '121', '-c:v', 'ffv1', '-pix_fmt', 'yuv420p', master],
    ]);
    const maker = new C2paService(await c2paPython());
    const ca = await maker.makeCa(join(dir, 'ca'), 'Bench', 30);
    maker.close();
    const config = {
      dataDir: dir,
      provenance: {
        signing: 'required' as const,
        algorithm: 'es256' as const,
        certificateChain: new Secret(readFileSync(ca.files.certificateChain, 'utf8')),
        privateKey: new Secret(readFileSync(ca.files.privateKey, 'utf8')),
      },
    };
    let signer: RenditionSigner | undefined;
    const startMs = await timed(async () => (signer = await openRenditionSigner(config)));

    process.stdout.write(`signer start-up (once per worker): ${startMs.toFixed(0)} ms\n\n`);
    process.stdout.write('preset  media stage unsigned  signed  signature alone  signature / media stage\n');
    for (const preset of ['reels', 'x'] as const) {
      const unsigned: number[] = [];
      const signed: number[] = [];
      const alone: number[] = [];
      let rendition = '';
      for (let i = 0; i < REPS; i++) {
        // A fresh storage each time: the transcode never reuses an earlier rendition.
        for (const [times, withSigner] of [
          [unsigned, undefined],
          [signed, signer],
        ] as const) {
          const storage = new FsStorage(join(dir, `s-${preset}-${i}-${withSigner ? 's' : 'u'}`));
          await storage.put('masters/m.mkv', readFileSync(master), { metadata: { 'model-id': 'bench' } });
          let key = '';
          times.push(
            await timed(async () => {
              key = (
                await transcodeRendition(
                  { masterKey: 'masters/m.mkv', preset, aiDisclosure: 'AI-generated video' },
                  { storage, config: { ffmpeg: FFMPEG }, signer: withSigner },
                )
              ).renditionKey;
            }),
          );
          if (!withSigner) rendition = join(storage.root, key);
        }
      }
      for (let i = 0; i < REPS * 3; i++) {
        const copy = join(dir, `copy-${i}.mp4`);
        copyFileSync(rendition, copy);
        alone.push(await timed(() => signer!.sign(copy, { preset, modelId: 'bench' })));
      }
      const stage = median(unsigned);
      process.stdout.write(
        `${preset.padEnd(6)}  ${stage.toFixed(0).padStart(18)} ms  ${median(signed).toFixed(0).padStart(4)} ms  ` +
          `${median(alone).toFixed(1).padStart(12)} ms  ${((100 * median(alone)) / stage).toFixed(2).padStart(20)} %\n`,
      );
    }
    signer?.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
