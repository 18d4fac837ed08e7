/**
 * Generation benchmark: prints ratios against a baseline measured in the same run; asserts nothing.
 *
 * How to run (from the repository root):
 *
 *   make bench NAME=generate                  # all three parts, ~3 minutes on 2 cores
 *   make bench NAME=generate ARGS=compare     # only part 1 (+2)
 *   make bench NAME=generate ARGS=rss         # only part 3
 *
 * Needs ffmpeg on PATH (or FFMPEG_PATH) and, for part 1, Python: models/python-env.sh makes the
 * pinned venv (onnxruntime at the version onnxruntime-node uses) on first use.
 *
 * 1. The whole TypeScript pipeline (worker thread, tokenizer, text encoder, UniPC + guidance in a
 *    batch of 2, streamed VAE decode, FFV1 master into storage) against bench/generate_baseline.py
 *    (onnxruntime + numpy, same graphs, steps, seed, threads, windows, ffmpeg flags), both with
 *    sessions already loaded. Ratio TS / Python, median of BENCH_REPEAT runs (target ≤ 1.10).
 * 2. Time outside session.run per denoising step (scheduler math, guidance, tensor copies, the
 *    progress hand-off to the main thread) as a share of step time (target < 5 %).
 * 3. Peak RSS of a fresh process generating 16 frames at 480x640 and 121 frames at 704x1280 (and
 *    61 between, to show the growth with frames) on the demo model.
 */
import { execFileSync, spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../config';
import { FsStorage } from '../activities/storage';
import {
  generateMaster,
  InferenceThread,
  type GenerateRequest,
  type GenerateResult,
} from '../activities/generate';

const ROOT = process.cwd();
const THREADS = Number(process.env.BENCH_THREADS ?? 2);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const FFMPEG = process.env.FFMPEG_PATH ?? 'ffmpeg';
const PY_MASTER = join(tmpdir(), `reelcast-py-master-${process.pid}.mkv`);
const CLIP: GenerateRequest = {
  prompt: 'a bright summer sale banner with floating shapes',
  negative: 'blurry, low quality',
  seed: 42,
  frames: 16,
  width: 640,
  height: 480,
  steps: 25,
  guidance: 7.5,
  sampler: 'unipc',
};

function setup(dataDir: string) {
  const config = loadConfig({
    cwd: ROOT,
    env: {
      REELCAST_DATA_DIR: dataDir,
      REELCAST_MODEL_DIR: join(ROOT, 'models/demo'),
      REELCAST_MODEL_THREADS: String(THREADS),
      FFMPEG_PATH: FFMPEG,
    },
  });
  return { config, storage: new FsStorage(join(dataDir, 'storage')) };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const pct = (x: number): string => `${(100 * x).toFixed(2)} %`;

interface PythonRun {
  seconds: number;
  decodeSeconds: number;
  stepSeconds: number[];
  runSeconds: number[];
  framesSha256: string;
}

/** The Python baseline as a server: one generation per line written, one JSON line back. */
class PythonBaseline {
  readonly #proc: ChildProcessByStdio<Writable, Readable, null>;
  readonly #lines: AsyncIterator<string>;

  constructor(req: GenerateRequest) {
    const venv = execFileSync(join(ROOT, 'models/python-env.sh'), { encoding: 'utf8' }).trim();
    // prettier-ignore
    const args = [
      join(ROOT, 'bench/generate_baseline.py'), '--serve', '--model', join(ROOT, 'models/demo'), '--prompt', req.prompt,
      '--negative', req.negative ?? '', '--frames', String(req.frames), '--width', String(req.width), '--height', String(req.height),
      '--steps', String(req.steps), '--guidance', String(req.guidance), '--seed', String(req.seed), '--threads', String(THREADS),
      '--out', PY_MASTER,
    ];
    this.#proc = spawn(join(venv, 'bin/python'), args, { stdio: ['pipe', 'pipe', 'inherit'] });
    this.#lines = createInterface({ input: this.#proc.stdout })[Symbol.asyncIterator]();
  }

  async ready(): Promise<number> {
    return (JSON.parse(await this.#next()) as { loadSeconds: number }).loadSeconds;
  }

  async run(): Promise<PythonRun> {
    this.#proc.stdin.write('go\n');
    return JSON.parse(await this.#next()) as PythonRun;
  }

  close(): void {
    this.#proc.stdin.end();
  }

  async #next(): Promise<string> {
    const r = await this.#lines.next();
    if (r.done) throw new Error('the Python baseline exited early');
    return r.value as string;
  }
}

/**
 * REPEAT generations each side, alternating TypeScript and Python so a shared machine's load
 * hits both alike, after one warm-up each (sessions loaded, first-run allocations done). The
 * TypeScript runs use fresh storage, so none is a cache hit.
 */
async function timeBoth(
  req: GenerateRequest,
): Promise<{ ts: number[]; results: GenerateResult[]; py: PythonRun[]; sameness: string }> {
  const tmp = mkdtempSync(join(tmpdir(), 'reelcast-bench-'));
  const inference = new InferenceThread();
  const python = new PythonBaseline(req);
  try {
    await python.ready();
    await generateMaster(req, { ...setup(join(tmp, 'warm')), inference });
    await python.run();
    const ts: number[] = [];
    const results: GenerateResult[] = [];
    const py: PythonRun[] = [];
    for (let i = 0; i < REPEAT; i++) {
      const t0 = performance.now();
      results.push(await generateMaster(req, { ...setup(join(tmp, `run-${i}`)), inference }));
      ts.push((performance.now() - t0) / 1000);
      py.push(await python.run());
    }
    const sameness = compareFrames(join(tmp, 'run-0', 'storage', results[0].key), PY_MASTER);
    return { ts, results, py, sameness };
  } finally {
    python.close();
    rmSync(PY_MASTER, { force: true });
    await inference.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** How far apart the two masters' decoded frames are (same graphs, steps and seed). */
function compareFrames(a: string, b: string): string {
  const decode = (f: string): Buffer =>
    execFileSync(FFMPEG, ['-v', 'error', '-i', f, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], {
      maxBuffer: 1 << 30,
    });
  const [x, y] = [decode(a), decode(b)];
  if (x.length !== y.length) return `different sizes (${x.length} vs ${y.length} bytes)`;
  let differ = 0;
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i] - y[i]);
    if (d) differ++;
    worst = Math.max(worst, d);
  }
  return differ === 0
    ? 'identical'
    : `${((100 * differ) / x.length).toFixed(4)} % of bytes differ, by at most ${worst} of 255`;
}

async function compare(): Promise<void> {
  console.log(
    `\n1. Whole pipeline, TypeScript vs Python (${CLIP.frames} frames ${CLIP.width}x${CLIP.height}, ${CLIP.steps} UniPC steps, guidance ${CLIP.guidance}, ${THREADS} threads, ${REPEAT} alternating runs each)`,
  );
  const { ts, results, py, sameness } = await timeBoth(CLIP);
  const tsMed = median(ts);
  const pyMed = median(py.map((r) => r.seconds));
  const ratios = ts.map((t, i) => t / py[i].seconds);
  console.log(`   TypeScript: ${ts.map((s) => s.toFixed(3)).join(', ')} s  (median ${tsMed.toFixed(3)} s)`);
  console.log(
    `   Python:     ${py.map((r) => r.seconds.toFixed(3)).join(', ')} s  (median ${pyMed.toFixed(3)} s)`,
  );
  console.log(
    `   ratio TS/Python = ${(tsMed / pyMed).toFixed(3)} (of medians), ${(Math.min(...ts) / Math.min(...py.map((r) => r.seconds))).toFixed(3)} (of best runs); per pair ${ratios.map((r) => r.toFixed(2)).join(', ')}   (target ≤ 1.10)`,
  );
  const tsT = results.map((r) => r.timing!);
  const phases = (denoise: number[], decode: number[], total: number[]): string => {
    const rest = total.map((t, i) => t - denoise[i] - decode[i]);
    return `denoise ${median(denoise).toFixed(3)} s, decode+encode ${median(decode).toFixed(3)} s, rest ${median(rest).toFixed(3)} s`;
  };
  console.log(
    `   TypeScript phases (medians): ${phases(
      tsT.map((t) => sum(t.stepMs) / 1000),
      tsT.map((t) => t.decodeMs / 1000),
      ts,
    )}`,
  );
  console.log(
    `   Python phases (medians):     ${phases(
      py.map((r) => sum(r.stepSeconds)),
      py.map((r) => r.decodeSeconds),
      py.map((r) => r.seconds),
    )}`,
  );
  const m = (f: (t: (typeof tsT)[number]) => number): string => median(tsT.map(f)).toFixed(0);
  console.log(
    `   TypeScript rest: text encoder ${m((t) => t.textMs)} ms, ffmpeg finishing ${m((t) => t.finishMs)} ms, copy into storage ${m((t) => t.storeMs)} ms`,
  );
  console.log(`   decoded frames, TypeScript vs Python master: ${sameness}`);

  console.log('\n2. Time outside session.run per denoising step (TypeScript, same runs)');
  const outside = tsT.map((t) => (sum(t.stepMs) - sum(t.runMs)) / sum(t.stepMs));
  const perStep = tsT.map((t) => (sum(t.stepMs) - sum(t.runMs)) / t.stepMs.length);
  const waitPerStep = tsT.map((t) => sum(t.waitMs) / t.stepMs.length);
  const stepMs = tsT.map((t) => sum(t.stepMs) / t.stepMs.length);
  console.log(
    `   step ${median(stepMs).toFixed(2)} ms, outside session.run ${median(perStep).toFixed(3)} ms = ${pct(median(outside))} of step time   (target < 5 %)`,
  );
  console.log(
    `   of which waiting for the main thread to take the previous progress: ${median(waitPerStep).toFixed(3)} ms`,
  );
  // Per-step medians and minima resist the preemption a shared machine adds to single steps.
  const steps = tsT.flatMap((t) => t.stepMs.map((st, i) => ({ st, out: st - t.runMs[i] })));
  const medOut = median(steps.map((x) => x.out));
  const medStep = median(steps.map((x) => x.st));
  const minOut = Math.min(...steps.map((x) => x.out));
  console.log(
    `   per step over all runs: median outside ${medOut.toFixed(3)} ms of median step ${medStep.toFixed(2)} ms = ${pct(medOut / medStep)}; least ${minOut.toFixed(3)} ms = ${pct(minOut / medStep)}`,
  );
  const pyOutside = py.map((r) => (sum(r.stepSeconds) - sum(r.runSeconds)) / sum(r.stepSeconds));
  console.log(`   (Python baseline: ${pct(median(pyOutside))} of its step time outside session.run)`);
}

/** Part 3 runs each size in a fresh process so peak RSS belongs to that clip alone. */
function rss(): void {
  console.log('\n3. Peak RSS of a fresh process (4 steps; memory does not depend on steps)');
  const sizes: Array<[number, number, number]> = [
    [16, 640, 480],
    [121, 640, 480],
    [16, 1280, 704],
    [61, 1280, 704],
    [121, 1280, 704],
  ];
  const rows: Array<{ label: string; frames: number; mb: number; seconds: number }> = [];
  for (const [frames, width, height] of sizes) {
    const child = spawnSync(
      process.execPath,
      [__filename, 'rss-child', String(frames), String(width), String(height)],
      {
        encoding: 'utf8',
        cwd: ROOT,
      },
    );
    if (child.status !== 0) throw new Error(`rss child failed: ${child.stderr}`);
    const r = JSON.parse(child.stdout.trim().split('\n').pop()!) as {
      maxRssKb: number;
      peakMb: Record<string, number>;
      seconds: number;
      outsideShare: number;
    };
    const row = {
      label: `${frames} frames ${height}x${width}`,
      frames,
      mb: r.maxRssKb / 1024,
      seconds: r.seconds,
    };
    rows.push(row);
    console.log(
      `   ${row.label.padEnd(24)} peak RSS ${row.mb.toFixed(0).padStart(5)} MB (denoising ${r.peakMb.denoise ?? '?'} MB, decoding ${r.peakMb.decode ?? '?'} MB)   ${r.seconds.toFixed(1)} s`,
    );
  }
  const at = (f: number, w: number): number =>
    rows.find((r) => r.frames === f && r.label.endsWith(`x${w}`))!.mb;
  console.log(
    `   growth 16 -> 121 frames: ${((at(121, 640) - at(16, 640)) / 105).toFixed(2)} MB/frame at 480x640, ${((at(121, 1280) - at(16, 1280)) / 105).toFixed(2)} MB/frame at 704x1280`,
  );
  console.log(
    `   (one 704x1280 RGB frame is ${((704 * 1280 * 3) / 2 ** 20).toFixed(1)} MB as bytes, ${((704 * 1280 * 3 * 4) / 2 ** 20).toFixed(1)} MB as float32)`,
  );
}

async function rssChild(frames: number, width: number, height: number): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'reelcast-rss-'));
  const inference = new InferenceThread();
  // RSS sampled every 20 ms, by phase, to tell the denoiser's activations from decode buffers.
  let phase = 'load';
  const peak: Record<string, number> = {};
  const sample = (): void => {
    peak[phase] = Math.max(peak[phase] ?? 0, process.memoryUsage.rss());
  };
  const timer = setInterval(sample, 20);
  try {
    const t0 = performance.now();
    const r = await generateMaster(
      { ...CLIP, frames, width, height, steps: 4 },
      {
        ...setup(tmp),
        inference,
        onProgress: (p) => {
          sample();
          phase = p.phase;
        },
      },
    );
    sample();
    const t = r.timing!;
    const out = {
      maxRssKb: process.resourceUsage().maxRSS,
      peakMb: Object.fromEntries(Object.entries(peak).map(([k, v]) => [k, Math.round(v / 2 ** 20)])),
      seconds: (performance.now() - t0) / 1000,
      outsideShare: (sum(t.stepMs) - sum(t.runMs)) / sum(t.stepMs),
    };
    console.log(JSON.stringify(out));
  } finally {
    clearInterval(timer);
    await inference.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const [mode, ...rest] = process.argv.slice(2);
  if (mode === 'rss-child') return rssChild(Number(rest[0]), Number(rest[1]), Number(rest[2]));
  console.log(`reelcast generate bench: model ${resolve(ROOT, 'models/demo')}, node ${process.version}`);
  if (!mode || mode === 'compare') await compare();
  if (!mode || mode === 'rss') rss();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
