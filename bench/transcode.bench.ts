/**
 * Transcode benchmarks. Prints ratios against baselines measured in the same run; asserts nothing.
 *
 * Run (from the repository root):
 *   make bench NAME=transcode ARGS='[--quick] [--only 1,2,3]'
 *
 * The masters are 121 frames of 1280x704 at 24 fps, FFV1 in Matroska, like the text-to-video
 * model's output (Wan2.2 TI2V-5B: 121 frames, 24 fps): ffmpeg's Mandelbrot (fine detail, the
 * hard case) stored as RGB, as a VAE's output would be, and as yuv420p; testsrc2 (the easy case).
 * The x264 preset/CRF sweep runs on the hardest one; the others run the presets.ts setting.
 *
 *  1. Overhead: our transcode (fluent-ffmpeg runner, probe, validation) against the identical
 *     ffmpeg command line spawned directly. Target: wall ratio ≤ 1.03.
 *  2. Throughput and quality per x264 speed preset and CRF: seconds of 1080x1920 output encoded
 *     per wall second, and SSIM / PSNR of the encode against a lossless encode of the same frames.
 *     Target: faster than real time (ratio > 1) for the chosen preset. Other work on a shared
 *     machine slows the wall clock, so the CPU seconds (ffmpeg -benchmark) are printed too:
 *     "output s/CPU s x2" is what two otherwise idle cores would reach.
 *  3. Peak RSS of the Node process for the full storage-backed job. Target: < 300 MB.
 */
import { execFile, fork, spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStorage } from '../activities/storage';
import { PRESETS, renderRendition, transcodeRendition, type ChannelPreset } from '../activities/media';
import { ffmpegArgs, runFfmpeg, type FfmpegJob } from '../activities/media/ffmpeg';
import { readX264Settings, topLevelBoxes } from '../activities/media/mp4-boxes';
import { probeRendition, probeSource } from '../activities/media/probe';
import { buildRenditionJob } from '../activities/media/rendition-job';

const FFMPEG = { ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe' };
const quick = process.argv.includes('--quick');
/** `--only 2` or `--only 1,3`: run some parts only. */
const onlyArg = process.argv[process.argv.indexOf('--only') + 1];
const parts = new Set(process.argv.includes('--only') ? onlyArg.split(',').map(Number) : [1, 2, 3]);

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(err) : resolve(stdout + stderr),
    ),
  );
}

function spawnDirect(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'ignore'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}`))));
  });
}

async function wall(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

type Content = 'mandelbrot' | 'testsrc2';
type PixelFormat = 'rgb' | 'yuv420p';

/**
 * FFV1 level 3 with slices and slice CRCs, as the generation step should write it: slices let
 * ffmpeg decode on every core, CRCs let damage be detected.
 */
async function makeMaster(dir: string, content: Content, pixFmt: PixelFormat): Promise<string> {
  const path = join(dir, `master-${content}-${pixFmt}.mkv`);
  await run('ffmpeg', [
    ...['-v', 'error', '-f', 'lavfi', '-i', `${content}=size=1280x704:rate=24`, '-frames:v', '121'],
    ...(pixFmt === 'yuv420p' ? ['-pix_fmt', 'yuv420p'] : []),
    ...['-c:v', 'ffv1', '-level', '3', '-slices', '4', '-slicecrc', '1', path],
  ]);
  return path;
}

/** ffmpeg's own account of a run (-benchmark): wall and CPU seconds over all its threads. */
async function benchmarked(args: string[]): Promise<{ wall: number; cpu: number }> {
  const log = await run('ffmpeg', ['-benchmark', ...args]);
  const m = /bench: utime=([\d.]+)s stime=([\d.]+)s rtime=([\d.]+)s/.exec(log);
  if (!m) throw new Error('ffmpeg printed no benchmark line');
  return { cpu: Number(m[1]) + Number(m[2]), wall: Number(m[3]) };
}

function jobFor(
  master: string,
  source: Awaited<ReturnType<typeof probeSource>>,
  preset: ChannelPreset,
  dir: string,
  tag: string,
): FfmpegJob {
  return buildRenditionJob({
    sourcePath: master,
    source,
    preset,
    fit: 'blur',
    outputs: {
      video: join(dir, `${tag}.mp4`),
      poster: join(dir, `${tag}.jpg`),
      preview: join(dir, `${tag}.webp`),
    },
  });
}

async function overhead(dir: string, master: string): Promise<void> {
  const rounds = quick ? 1 : 5;
  const source = await probeSource(master, master, FFMPEG);
  const direct = ffmpegArgs(jobFor(master, source, PRESETS.reels, dir, 'direct'));
  const ours: number[] = [];
  const runner: number[] = [];
  const plain: number[] = [];
  let nodeCpu = 0;
  // Warm-up: fluent-ffmpeg's capability cache and the page cache, not measured.
  await spawnDirect(direct);
  await runFfmpeg(jobFor(master, source, PRESETS.reels, dir, 'runner'), { ffmpegPath: 'ffmpeg' });
  // Interleaved, so load from other work on the machine falls on all three alike.
  for (let i = 0; i < rounds; i++) {
    plain.push(await wall(() => spawnDirect(direct)));
    runner.push(
      await wall(() =>
        runFfmpeg(jobFor(master, source, PRESETS.reels, dir, 'runner'), {
          ffmpegPath: 'ffmpeg',
          onStats: () => undefined,
        }),
      ),
    );
    const cpu0 = process.cpuUsage();
    ours.push(
      await wall(() =>
        renderRendition(
          {
            inputPath: master,
            preset: 'reels',
            fit: 'blur',
            outputs: {
              video: join(dir, 'ours.mp4'),
              poster: join(dir, 'ours.jpg'),
              preview: join(dir, 'ours.webp'),
            },
          },
          { ffmpeg: FFMPEG, workDir: dir, onProgress: () => undefined },
        ),
      ),
    );
    const cpu = process.cpuUsage(cpu0);
    nodeCpu += (cpu.user + cpu.system) / 1e6;
  }
  // What renderRendition adds around ffmpeg, timed alone: the probes and the output checks.
  const extra: number[] = [];
  for (let i = 0; i < rounds; i++) {
    extra.push(
      await wall(async () => {
        await probeSource(master, master, FFMPEG);
        await probeRendition(join(dir, 'ours.mp4'), FFMPEG);
        const boxes = await topLevelBoxes(join(dir, 'ours.mp4'));
        await readX264Settings(join(dir, 'ours.mp4'), boxes);
      }),
    );
  }
  const base = median(plain);
  console.log(
    `\n1. Overhead against the identical ffmpeg command (reels, blur, ${rounds} interleaved rounds, medians)`,
  );
  console.log(`   ffmpeg spawned directly            ${base.toFixed(2)} s`);
  console.log(
    `   runFfmpeg (fluent-ffmpeg + stats)  ${median(runner).toFixed(2)} s   wall ratio ${(median(runner) / base).toFixed(3)}`,
  );
  console.log(
    `   renderRendition (+probe, validate) ${median(ours).toFixed(2)} s   wall ratio ${(median(ours) / base).toFixed(3)}`,
  );
  console.log(
    `   Node CPU per renderRendition: ${((1000 * nodeCpu) / rounds).toFixed(0)} ms (the wrapper's own cost, load-independent)`,
  );
  console.log(
    `   probes + checks alone: ${(1000 * median(extra)).toFixed(0)} ms, ratio estimate ` +
      `${((base + median(extra)) / base).toFixed(3)} (least disturbed by other load on the machine)`,
  );
}

async function qualityOf(encoded: string, reference: string): Promise<{ ssim: number; psnr: number }> {
  const log = await run('ffmpeg', [
    ...['-hide_banner', '-i', encoded, '-i', reference],
    ...['-lavfi', '[0:v]split[a0][a1];[1:v]split[b0][b1];[a0][b0]ssim;[a1][b1]psnr', '-f', 'null', '-'],
  ]);
  const ssim = Number(/SSIM .*All:([\d.]+)/.exec(log)?.[1]);
  const psnr = Number(/PSNR .*average:([\d.inf]+)/.exec(log)?.[1]);
  return { ssim, psnr };
}

async function throughput(dir: string, master: string, label: string, sweep: boolean): Promise<void> {
  const source = await probeSource(master, master, FFMPEG);
  const seconds = Math.round(source.durationSeconds * 30) / 30;
  const decode = await benchmarked(['-hide_banner', '-nostats', '-i', master, '-f', 'null', '-']);
  // The reference: the same frames (same filter graph) encoded losslessly.
  const refJob = jobFor(master, source, PRESETS.reels, dir, 'reference');
  refJob.outputs[0].options = [
    '-map',
    '[main]',
    '-map',
    '[aout]',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-qp',
    '0',
    '-c:a',
    'aac',
    '-f',
    'mp4',
  ];
  await spawnDirect(ffmpegArgs(refJob));
  const reference = join(dir, 'reference.mp4');

  const settings: Array<[string, number]> =
    quick || !sweep
      ? [[PRESETS.reels.video.x264Preset, PRESETS.reels.video.crf]]
      : [
          ['superfast', 21],
          ['superfast', 23],
          ['veryfast', 21],
          ['faster', 21],
        ];
  console.log(
    `\n2. ${label}: 1080x1920 throughput and quality (reels, blur fit, ${seconds.toFixed(2)} s of output)`,
  );
  console.log(
    `   decoding the master alone: ${decode.cpu.toFixed(2)} CPU s, ${decode.wall.toFixed(2)} s wall`,
  );
  console.log(
    '   x264 preset  crf   wall s  CPU s   output s/wall s   output s/CPU s x2   Mbps    SSIM    PSNR dB',
  );
  for (const [x264Preset, crf] of settings) {
    const preset: ChannelPreset = { ...PRESETS.reels, video: { ...PRESETS.reels.video, x264Preset, crf } };
    const tag = `${x264Preset}-${crf}`;
    const t = await benchmarked(ffmpegArgs(jobFor(master, source, preset, dir, tag)));
    const { ssim, psnr } = await qualityOf(join(dir, `${tag}.mp4`), reference);
    const bytes = (await stat(join(dir, `${tag}.mp4`))).size;
    const mbps = (bytes * 8) / seconds / 1e6;
    const chosen =
      x264Preset === PRESETS.reels.video.x264Preset && crf === PRESETS.reels.video.crf
        ? '  <- presets.ts'
        : '';
    console.log(
      `   ${x264Preset.padEnd(11)}  ${String(crf).padEnd(4)}  ${t.wall.toFixed(2).padStart(6)}  ${t.cpu.toFixed(2).padStart(5)}` +
        `   ${(seconds / t.wall).toFixed(2).padStart(15)}   ${((2 * seconds) / t.cpu).toFixed(2).padStart(17)}` +
        `   ${mbps.toFixed(2).padStart(5)}  ${ssim.toFixed(4)}  ${psnr.toFixed(2).padStart(7)}${chosen}`,
    );
  }
}

/** Runs in a child process so the number is the job's alone. */
async function rssChild(master: string, dir: string): Promise<void> {
  const storage = new FsStorage(join(dir, 'storage'));
  const { createReadStream } = await import('node:fs');
  await storage.put('masters/bench.mkv', createReadStream(master));
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  await transcodeRendition(
    { masterKey: 'masters/bench.mkv', preset: 'reels', caption: '新年快乐 Happy new year' },
    { storage, config: { ffmpeg: FFMPEG } },
  );
  clearInterval(timer);
  const maxRss = process.resourceUsage().maxRSS * 1024;
  process.send?.({ peak: Math.max(peak, maxRss) });
}

async function peakRss(dir: string, master: string): Promise<void> {
  const child = fork(__filename, ['--rss-child', master, dir], { stdio: 'inherit' });
  const peak = await new Promise<number>((resolve, reject) => {
    child.on('message', (m: { peak: number }) => resolve(m.peak));
    child.on('exit', (code) => code !== 0 && reject(new Error(`rss child exited ${code}`)));
  });
  console.log(`\n3. Peak RSS of the Node process, storage-backed 121-frame 1080x1920 job with caption`);
  console.log(
    `   ${(peak / 1024 / 1024).toFixed(1)} MB (target < 300 MB; the master is streamed through a temp file, never held)`,
  );
}

async function main(): Promise<void> {
  if (process.argv[2] === '--rss-child') return rssChild(process.argv[3], process.argv[4]);
  const dir = await mkdtemp(join(tmpdir(), 'reelcast-bench-'));
  try {
    const hard = await makeMaster(dir, 'mandelbrot', 'rgb');
    const hard420 = await makeMaster(dir, 'mandelbrot', 'yuv420p');
    const easy = await makeMaster(dir, 'testsrc2', 'yuv420p');
    const mb = async (p: string): Promise<string> => ((await stat(p)).size / 1024 / 1024).toFixed(1);
    const load = (): string =>
      loadavg()
        .map((l) => l.toFixed(2))
        .join(' ');
    console.log(`load average at start: ${load()} on ${cpus().length} cores`);
    console.log(
      `masters: 121 frames 1280x704 @ 24 fps, FFV1 level 3, 4 slices: mandelbrot RGB ${await mb(hard)} MB, ` +
        `mandelbrot yuv420p ${await mb(hard420)} MB, testsrc2 yuv420p ${await mb(easy)} MB`,
    );
    if (parts.has(3)) await peakRss(dir, hard);
    if (parts.has(1)) await overhead(dir, easy);
    if (parts.has(2)) {
      await throughput(dir, hard, 'mandelbrot, RGB master', true);
      await throughput(dir, hard420, 'mandelbrot, yuv420p master', false);
      await throughput(dir, easy, 'testsrc2, yuv420p master', false);
    }
    console.log(`\nload average at end: ${load()}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
