/**
 * The media stage of one post, today's way against the new way, in one run. Prints ratios; asserts
 * nothing.
 *
 * Run (from the repository root):
 *   scripts/bench.sh media [--quick] [--rounds N]
 *
 * The master is a 121-frame 1280x704 clip at 24 fps (5.04 s, the shape of Wan2.2 TI2V-5B's output)
 * of ffmpeg's Mandelbrot, the hard case (fine detail, saturated colour), stored both ways:
 *  - before: FFV1 in RGB (gbrp), as activities/generate/master.ts wrote it until now;
 *  - after: lossless H.264 in BT.709 yuv444p, written by today's MasterWriter from the same frames.
 *
 * For each post (x + reels + tiktok; x + one 1080x1920) it runs, storage to storage:
 *  - today's way: one transcodeRendition per preset, in parallel as the post workflow started
 *    them (one decode of the RGB master each, reels and tiktok encoded twice);
 *  - one decode, RGB master: transcodeRenditions on the old master (what the new code does with a
 *    master stored before the change);
 *  - the new way: transcodeRenditions on the new master.
 * Rounds are interleaved so load from other work falls on all alike; medians are printed. CPU
 * seconds (every ffmpeg and ffprobe this process ran, plus Node itself) are steadier than wall
 * seconds on a shared machine: "CPU s / 2" is the wall time two otherwise idle cores could reach.
 * The clip's duration is the yardstick: a ratio below 1 is faster than real time.
 */
import { execFile, spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { MasterWriter } from '../activities/generate/master';
import { transcodeRendition, transcodeRenditions, type PresetName } from '../activities/media';
import { FsStorage } from '../activities/storage';
import { cpuSecondsWithChildren, median } from './measure';

const FFMPEG = { ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe' };
const config = { ffmpeg: FFMPEG };
const quick = process.argv.includes('--quick');
const roundsArg = process.argv.indexOf('--rounds');
const rounds = quick ? 1 : roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 3;
const [WIDTH, HEIGHT, FPS, FRAMES] = [1280, 704, 24, 121];
const CLIP_SECONDS = FRAMES / FPS;

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(err) : resolve(stdout + stderr),
    ),
  );
}

async function measured(fn: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const cpu0 = cpuSecondsWithChildren() ?? Number.NaN;
  const t0 = process.hrtime.bigint();
  await fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  return { wall, cpu: (cpuSecondsWithChildren() ?? Number.NaN) - cpu0 };
}

async function makeMasters(dir: string): Promise<{ rgb: string; now: string }> {
  const rgb = join(dir, 'master-rgb.mkv');
  // prettier-ignore
  await run('ffmpeg', [
    '-v', 'error', '-f', 'lavfi', '-i', `mandelbrot=size=${WIDTH}x${HEIGHT}:rate=${FPS}`, '-frames:v', String(FRAMES),
    '-pix_fmt', 'gbrp', '-c:v', 'ffv1', '-level', '3', '-g', '1', '-slices', '4', '-slicecrc', '1', '-f', 'matroska', rgb,
  ]);
  // The same frames through the generation step's writer, a frame at a time.
  const now = join(dir, 'master-new.mkv');
  const writer = new MasterWriter({
    ffmpegPath: 'ffmpeg',
    width: WIDTH,
    height: HEIGHT,
    fps: FPS,
    file: now,
  });
  const decode = spawn('ffmpeg', ['-v', 'error', '-i', rgb, '-f', 'rawvideo', '-pix_fmt', 'gbrp', '-'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for await (const chunk of decode.stdout) await writer.write(chunk as Buffer);
  await writer.finish();
  return { rgb, now };
}

/** ffmpeg's own account of decoding a master alone (-benchmark). */
async function decodeCost(master: string): Promise<{ wall: number; cpu: number }> {
  const log = await run('ffmpeg', [
    '-hide_banner',
    '-nostats',
    '-benchmark',
    '-i',
    master,
    '-f',
    'null',
    '-',
  ]);
  const m = /bench: utime=([\d.]+)s stime=([\d.]+)s rtime=([\d.]+)s/.exec(log);
  if (!m) throw new Error('ffmpeg printed no benchmark line');
  return { cpu: Number(m[1]) + Number(m[2]), wall: Number(m[3]) };
}

async function ssim(a: string, b: string): Promise<number> {
  const log = await run('ffmpeg', ['-hide_banner', '-i', a, '-i', b, '-lavfi', 'ssim', '-f', 'null', '-']);
  return Number(/All:([\d.]+)/.exec(log)?.[1]);
}

type Way = 'today' | 'one decode, RGB master' | 'new';
const WAYS: Way[] = ['today', 'one decode, RGB master', 'new'];

/** One post's renditions, in a fresh storage, one way. Returns the rendition file per preset. */
async function renditionsOf(
  way: Way,
  presets: PresetName[],
  masters: { rgb: string; now: string },
  root: string,
): Promise<Record<string, string>> {
  const storage = new FsStorage(root);
  const masterKey = 'masters/bench.mkv';
  await storage.put(masterKey, createReadStream(way === 'new' ? masters.now : masters.rgb));
  const results =
    way === 'today'
      ? await Promise.all(
          presets.map((preset) => transcodeRendition({ masterKey, preset }, { storage, config })),
        )
      : await transcodeRenditions({ masterKey, presets }, { storage, config });
  return Object.fromEntries(results.map((r) => [r.preset, join(root, r.renditionKey)]));
}

async function post(
  dir: string,
  presets: PresetName[],
  masters: { rgb: string; now: string },
): Promise<void> {
  const times = new Map<Way, Array<{ wall: number; cpu: number }>>(WAYS.map((w) => [w, []]));
  const files = new Map<Way, Record<string, string>>();
  for (let i = 0; i < rounds; i++) {
    for (const way of WAYS) {
      const root = join(dir, `storage-${presets.join('-')}-${way.replace(/\W+/g, '-')}-${i}`);
      let made: Record<string, string> = {};
      times
        .get(way)!
        .push(await measured(async () => (made = await renditionsOf(way, presets, masters, root))));
      if (i === rounds - 1) files.set(way, made);
      else await rm(root, { recursive: true, force: true });
    }
  }
  console.log(`\n${presets.join(' + ')} (${rounds} interleaved round${rounds > 1 ? 's' : ''}, medians)`);
  console.log(
    '   way                       wall s   CPU s   wall/clip   CPU/2/clip   ratio to today (wall, CPU)',
  );
  const base = {
    wall: median(times.get('today')!.map((t) => t.wall)),
    cpu: median(times.get('today')!.map((t) => t.cpu)),
  };
  for (const way of WAYS) {
    const wall = median(times.get(way)!.map((t) => t.wall));
    const cpu = median(times.get(way)!.map((t) => t.cpu));
    console.log(
      `   ${way.padEnd(24)}  ${wall.toFixed(2).padStart(6)}  ${cpu.toFixed(2).padStart(6)}` +
        `   ${(wall / CLIP_SECONDS).toFixed(2).padStart(9)}   ${(cpu / 2 / CLIP_SECONDS).toFixed(2).padStart(10)}` +
        `   ${(wall / base.wall).toFixed(2)}, ${(cpu / base.cpu).toFixed(2)}`,
    );
  }
  const today = files.get('today')!;
  const scores: string[] = [];
  for (const preset of presets) {
    scores.push(`${preset} ${(await ssim(files.get('new')![preset], today[preset])).toFixed(4)}`);
  }
  console.log(`   SSIM of the new way's renditions against today's: ${scores.join(', ')}`);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'reelcast-bench-media-'));
  const load = (): string =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  try {
    console.log(`load average at start: ${load()} on ${cpus().length} cores`);
    const masters = await makeMasters(dir);
    const mb = async (p: string): Promise<string> => ((await stat(p)).size / 1024 / 1024).toFixed(1);
    const [rgbDecode, newDecode] = [await decodeCost(masters.rgb), await decodeCost(masters.now)];
    console.log(
      `masters: ${FRAMES} frames ${WIDTH}x${HEIGHT} @ ${FPS} fps (${CLIP_SECONDS.toFixed(2)} s), Mandelbrot`,
    );
    console.log(
      `   FFV1 RGB (before)          ${await mb(masters.rgb)} MB, decoding alone ${rgbDecode.cpu.toFixed(2)} CPU s`,
    );
    console.log(
      `   H.264 lossless yuv444p     ${await mb(masters.now)} MB, decoding alone ${newDecode.cpu.toFixed(2)} CPU s` +
        `   (decode CPU ratio ${(newDecode.cpu / rgbDecode.cpu).toFixed(2)})`,
    );
    await post(dir, ['x', 'reels', 'tiktok'], masters);
    await post(dir, ['x', 'reels'], masters);
    console.log(`\nload average at end: ${load()}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
