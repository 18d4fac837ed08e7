/**
 * VAE decode benchmark: prints ratios against a baseline measured in the same run; asserts nothing.
 *
 *   make bench NAME=vae-decode                      # the exported tiny Wan2.2, 512x512, ~20 s
 *   make bench NAME=vae-decode ARGS="<model dir> 704x1280"
 *
 * A Wan VAE exported by `reelcast model export` decodes a latent frame at a time, its cache passed
 * from call to call (models/README.md). This runs the model directory's two decoder graphs as the
 * pipeline does, on random latents, for a 33-frame clip (the baseline) and a 121-frame one (Wan's
 * 5 s clip), each in a fresh process, and prints each one's peak RSS above the process's start and
 * its time, and the ratios 121 / 33 frames. Flat memory (ratio near 1) is the point: the frames
 * stream out, so a longer clip costs time, not memory. The default model is the committed tiny
 * fixture (its widths are tiny; a real export's figures are much larger, their ratio the same).
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { cacheInputs, loadManifest } from '../activities/generate/manifest';
import { peakRss, timed } from './measure';

const ROOT = process.cwd();

/** One decode of `latentFrames` latent frames in this process: prints {mb, s} as JSON. */
async function decodeOnce(dir: string, latentFrames: number, height: number, width: number): Promise<void> {
  const manifest = loadManifest(dir);
  const step = manifest.graphs.vaeDecoderStep;
  if (!step) throw new Error(`${dir}: its VAE decodes a whole clip in one call (no vaeDecoderStep graph)`);
  const so = { intraOpNumThreads: 1 };
  const first = await ort.InferenceSession.create(join(dir, manifest.graphs.vaeDecoder.files.fp32!), so);
  const next = await ort.InferenceSession.create(join(dir, step.files.fp32!), so);
  const [, sh, sw] = manifest.vaeStride;
  const dims = [1, manifest.latentChannels, 1, height / sh, width / sw];
  const size = dims.reduce((a, b) => a * b, 1);
  const latents = () =>
    new ort.Tensor(
      'float32',
      Float32Array.from({ length: size }, () => Math.random() - 0.5),
      dims,
    );
  const names = cacheInputs(step);
  let frames = 0;
  let seconds = 0;
  const rss = await peakRss(async () => {
    seconds =
      (await timed(async () => {
        let out = await first.run({ latents: latents() });
        frames += (out.video as ort.Tensor).dims[2];
        for (let i = 1; i < latentFrames; i++) {
          const feeds: Record<string, ort.Tensor> = { latents: latents() };
          for (const name of names) feeds[name] = out[`next_${name}`] as ort.Tensor;
          out = await next.run(feeds);
          frames += (out.video as ort.Tensor).dims[2];
        }
      })) / 1000;
  });
  process.stdout.write(`${JSON.stringify({ frames, mb: rss.peak - rss.before, s: seconds })}\n`);
}

function inChild(dir: string, latentFrames: number, height: number, width: number) {
  const run = spawnSync(
    process.execPath,
    [__filename, '--one', dir, String(latentFrames), String(height), String(width)],
    { encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(`decode of ${latentFrames} latent frames failed:\n${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as { frames: number; mb: number; s: number };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--one') return decodeOnce(args[1], Number(args[2]), Number(args[3]), Number(args[4]));
  const dir = resolve(args[0] ?? join(ROOT, 'test/fixtures/wan-tiny/model'));
  const [height, width] = (args[1] ?? '512x512').split('x').map(Number);
  process.stdout.write(`VAE decode a latent frame at a time: ${dir}, ${width}x${height}, 1 thread\n`);
  const base = inChild(dir, 9, height, width);
  const long = inChild(dir, 31, height, width);
  for (const r of [base, long])
    process.stdout.write(
      `  ${String(r.frames).padStart(3)} frames: peak RSS +${r.mb.toFixed(0)} MB, ${r.s.toFixed(2)} s\n`,
    );
  process.stdout.write(
    `  121 / 33 frames: memory ${(long.mb / base.mb).toFixed(2)}x, time ${(long.s / base.s).toFixed(2)}x (frames ${(long.frames / base.frames).toFixed(2)}x)\n`,
  );
}

main().catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
