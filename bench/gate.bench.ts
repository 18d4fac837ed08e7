/**
 * Content gate benchmark. Prints numbers and ratios against a baseline measured in the same run;
 * asserts nothing.
 *
 *   scripts/bench.sh gate [--quick] [--production]
 *   (--quick: fewer rounds; --production: section 3 only)
 *
 * The master is what the model makes (Wan2.2 TI2V-5B: 121 frames of 1280x704 at 24 fps, as bench/transcode.bench.ts), FFV1
 * in Matroska; a post's media stage is its renditions (x and reels: two presets).
 *
 *  1. The classifier: load time (once per worker process) and the cost per sampled frame
 *     (nsfwjs MobileNetV2 on the tfjs wasm backend), median over repeated frames.
 *  2. The gate on a post's media stage, as a ratio against the media stage without it:
 *     - gate alone / media stage: the added wall time when one media slot runs them one after
 *       the other (worker.mediaConcurrency 1);
 *     - (media stage with the gate beside it) / (media stage) − 1: the added wall time when they
 *       run side by side, as the post workflow starts them;
 *     - a stored check reused (a retry, a replay, a second post of the clip): its cost.
 *     Target (issue #12): gate + signing < 5 % of the media stage; this prints the gate's part.
 *  3. Gate + signing together on the media stage as production runs it: one transcodeRenditions
 *     (one decode of a lossless H.264 4:4:4 master, as activities/generate/master.ts writes it)
 *     unsigned and without the gate, against the same signed (c2pa-python, a private CA) with the
 *     gate beside it, as the post workflow runs them (the gate has a slot of its own on every
 *     media worker). Alternated rounds, medians.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { Secret } from '../config';
import { transcodeRendition, transcodeRenditions, type PresetName } from '../activities/media';
import { openRenditionSigner } from '../activities/provenance';
import { C2paService } from '../activities/provenance/service';
import { c2paPython } from '../activities/provenance/signer';
import {
  checkContent,
  classifierLoads,
  GATE_NICENESS,
  loadClassifier,
  sampleFrames,
} from '../activities/safety';
import { decodeFrames } from '../activities/safety/frames';
import { FsStorage } from '../activities/storage';
import { cpuSecondsWithChildren, median, timed } from './measure';

const FFMPEG = { ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe' };
const quick = process.argv.includes('--quick');
const productionOnly = process.argv.includes('--production');
const PRESETS: PresetName[] = ['x', 'reels'];
const MASTER_KEY = `masters/${'beef'.repeat(8)}.mkv`;

function makeMaster(path: string): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile(
      'ffmpeg',
      [
        ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1280x704:rate=24', '-frames:v', '121'],
        ...['-c:v', 'ffv1', '-level', '3', '-slices', '4', path],
      ],
      (err) => (err ? reject(err) : resolve()),
    ),
  );
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'reelcast-gate-bench-'));
  try {
    const master = join(dir, 'master.mkv');
    await makeMaster(master);
    process.stdout.write(
      `host: ${cpus().length} cores, load ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}; master 121 frames 1280x704 FFV1\n\n`,
    );

    if (!productionOnly) await classifierAndPerPresetMedia(dir, master);

    // 3. Gate + signing on the media stage as production runs it.
    const h264Master = join(dir, 'master-h264.mkv');
    await new Promise<void>((resolve, reject) =>
      execFile(
        'ffmpeg',
        [
          ...[
            '-v',
            'error',
            '-y',
            '-i',
            master,
            '-vf',
            'scale=out_color_matrix=bt709:out_range=tv,format=yuv444p',
          ],
          ...['-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-g', '1', h264Master],
        ],
        (err) => (err ? reject(err) : resolve()),
      ),
    );
    const maker = new C2paService(await c2paPython());
    const ca = await maker.makeCa(join(dir, 'ca'), 'Bench', 30);
    maker.close();
    const signer = await openRenditionSigner({
      dataDir: dir,
      provenance: {
        signing: 'required',
        algorithm: 'es256',
        certificateChain: new Secret(readFileSync(ca.files.certificateChain, 'utf8')),
        privateKey: new Secret(readFileSync(ca.files.privateKey, 'utf8')),
      },
    });
    try {
      const freshH264 = async (name: string): Promise<FsStorage> => {
        const storage = new FsStorage(join(dir, name));
        await storage.putFile(MASTER_KEY, h264Master);
        return storage;
      };
      const oneDecode = (storage: FsStorage, signed: boolean) =>
        transcodeRenditions(
          { masterKey: MASTER_KEY, presets: PRESETS, aiDisclosure: 'Made with AI' },
          { storage, config: { ffmpeg: FFMPEG }, ...(signed ? { signer } : {}) },
        );
      // The classifier is loaded once per worker process, before any post: not part of a stage.
      await loadClassifier();
      await oneDecode(await freshH264('prod-warm-up'), false);
      const bare: number[] = [];
      const full: number[] = [];
      const cpu = { bare: 0, full: 0 };
      const run = async (kind: 'bare' | 'full', round: number): Promise<void> => {
        const storage = await freshH264(`prod-${kind}-${round}`);
        const cpuBefore = cpuSecondsWithChildren() ?? 0;
        const ms = await timed(() =>
          kind === 'bare'
            ? oneDecode(storage, false)
            : Promise.all([oneDecode(storage, true), gate(storage)]),
        );
        cpu[kind] += (cpuSecondsWithChildren() ?? 0) - cpuBefore;
        (kind === 'bare' ? bare : full).push(ms);
      };
      // Alternated in ABBA order, so a drift in the machine's load falls on both sides alike.
      const rounds = quick ? 2 : 6;
      for (let round = 0; round < rounds; round++) {
        const order: Array<'bare' | 'full'> = round % 2 === 0 ? ['bare', 'full'] : ['full', 'bare'];
        for (const kind of order) await run(kind, round);
      }
      const [bareMs, fullMs] = [median(bare), median(full)];
      const [bareCpu, fullCpu] = [cpu.bare / rounds, cpu.full / rounds];
      process.stdout.write(
        `3. production media stage (${PRESETS.join(' + ')} from one decode, H.264 4:4:4 master): ${(bareMs / 1000).toFixed(1)} s unsigned, no gate\n` +
          `   signed, with the gate beside it: ${(fullMs / 1000).toFixed(1)} s; ratio ${(fullMs / bareMs).toFixed(3)} (${pct(fullMs / bareMs - 1)} added; target < 5 %)\n` +
          `   runs (medians of ${rounds}): bare ${bare.map((m) => (m / 1000).toFixed(1)).join(', ')} s; signed + gate ${full.map((m) => (m / 1000).toFixed(1)).join(', ')} s\n` +
          `   CPU per stage (this process and its ffmpeg runs; the signer's own process not counted): bare ${bareCpu.toFixed(2)} s, signed + gate ${fullCpu.toFixed(2)} s (${pct(fullCpu / bareCpu - 1)} more CPU)\n` +
          `   the gate runs at nice ${GATE_NICENESS}: on the cores the transcode leaves idle, so its wall share is below its CPU share\n`,
      );
    } finally {
      signer.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Sections 1 and 2: the classifier's costs, and the gate beside the per-preset transcodes. */
async function classifierAndPerPresetMedia(dir: string, master: string): Promise<void> {
  // 1. The classifier.
  const loadMs = await timed(() => loadClassifier());
  const classifier = await loadClassifier();
  const decodeStarted = performance.now();
  const decoded = await decodeFrames(master, sampleFrames(121), 24, dir, { ffmpeg: FFMPEG });
  const decodeMs = performance.now() - decodeStarted;
  // One frame at a time and the clip's frames in one batch (what the gate does).
  const rounds = quick ? 2 : 4;
  const single: number[] = [];
  const batch: number[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const rgb of decoded.rgb) single.push(await timed(() => classifier.classify([rgb])));
    batch.push((await timed(() => classifier.classify(decoded.rgb))) / decoded.rgb.length);
  }
  const frameMs = median(batch);
  process.stdout.write(
    `1. classifier ${classifier.info.name} ${classifier.info.version} ${classifier.info.model} (${classifier.info.backend})\n` +
      `   load once per worker process: ${(loadMs / 1000).toFixed(1)} s\n` +
      `   per sampled frame (224x224), one at a time: median ${median(single).toFixed(0)} ms over ${single.length}\n` +
      `   per sampled frame in the clip's batch of ${decoded.rgb.length}: median ${frameMs.toFixed(0)} ms over ${rounds} batches\n` +
      `   decoding the clip's ${decoded.rgb.length} sampled frames (ffmpeg, 224x224 RGB + JPEG): ${decodeMs.toFixed(0)} ms\n` +
      `   per clip (${decoded.rgb.length} sampled frames): ${((frameMs * decoded.rgb.length) / 1000).toFixed(2)} s of classification\n\n`,
  );

  // 2. The media stage, without and with the gate (fresh storage each: nothing is reused).
  const fresh = async (name: string): Promise<FsStorage> => {
    const storage = new FsStorage(join(dir, name));
    await storage.putFile(MASTER_KEY, master);
    return storage;
  };
  const media = (storage: FsStorage) =>
    Promise.all(
      PRESETS.map((preset) =>
        transcodeRendition({ masterKey: MASTER_KEY, preset }, { storage, config: { ffmpeg: FFMPEG } }),
      ),
    );

  // Alternated, so a change in the machine's load falls on both sides alike; medians.
  const mediaRuns: number[] = [];
  const bothRuns: number[] = [];
  for (let round = 0; round < (quick ? 1 : 3); round++) {
    const alone = await fresh(`media-only-${round}`);
    mediaRuns.push(await timed(() => media(alone)));
    const both = await fresh(`side-by-side-${round}`);
    bothRuns.push(await timed(() => Promise.all([media(both), gate(both)])));
  }
  const [mediaMs, bothMs] = [median(mediaRuns), median(bothRuns)];
  const gateStorage = await fresh('gate-only');
  const gateMs = await timed(() => gate(gateStorage));
  const reusedMs = median(await Promise.all([1, 2, 3].map(() => timed(() => gate(gateStorage)))));

  process.stdout.write(
    `2. media stage (${PRESETS.join(' + ')} renditions): ${(mediaMs / 1000).toFixed(1)} s\n` +
      `   gate (download, decode, classify, store): ${(gateMs / 1000).toFixed(2)} s\n` +
      `   one after the other: gate / media stage = ${(gateMs / mediaMs).toFixed(3)} (${pct(gateMs / mediaMs)} added)\n` +
      `   side by side: media stage with gate ${(bothMs / 1000).toFixed(1)} s (medians of ${mediaRuns.length} alternated runs), ratio ${(bothMs / mediaMs).toFixed(3)} (${pct(bothMs / mediaMs - 1)} added)\n` +
      `   stored check reused: ${reusedMs.toFixed(0)} ms (${pct(reusedMs / mediaMs)} of the media stage)\n` +
      `   model loads in this process over all of the above: ${classifierLoads()}\n\n`,
  );
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const gate = (storage: FsStorage) => checkContent({ masterKey: MASTER_KEY }, { storage, ffmpeg: FFMPEG });

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
