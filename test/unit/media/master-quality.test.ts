/**
 * The master format (activities/generate/master.ts) changed from FFV1 RGB to lossless H.264 in
 * BT.709 yuv444p. Renditions made from a new master must look like the renditions made from an
 * old one (ffmpeg's SSIM ≥ 0.995), and masters already stored in the old format must still
 * transcode.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MasterWriter } from '../../../activities/generate/master';
import { FsStorage } from '../../../activities/storage';
import { transcodeRendition, transcodeRenditions, type TranscodeResult } from '../../../activities/media';
import { ffprobe } from './clips';

const config = { ffmpeg: { ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe' } };
const [width, height, fps, frames] = [640, 352, 24, 73];
let dir: string;
let storage: FsStorage;

/** ffmpeg's SSIM of `a` against `b`, all planes ("All:"). */
function ssim(a: string, b: string): number {
  const run = spawnSync('ffmpeg', ['-hide_banner', '-i', a, '-i', b, '-lavfi', 'ssim', '-f', 'null', '-']);
  return Number(/All:([\d.]+)/.exec(run.stderr.toString())?.[1]);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reelcast-media-master-'));
  storage = new FsStorage(join(dir, 'storage'));
  // The model's output as the generation step hands it over: planar RGB. Mandelbrot's fine
  // detail and saturated colours are the hard case for a colour conversion.
  const planes = execFileSync(
    'ffmpeg',
    [
      ...['-v', 'error', '-f', 'lavfi', '-i', `mandelbrot=size=${width}x${height}:rate=${fps}`],
      ...['-frames:v', String(frames), '-pix_fmt', 'gbrp', '-f', 'rawvideo', '-'],
    ],
    { maxBuffer: 1 << 27 },
  );
  // Before: FFV1 in RGB, as master.ts wrote it until the format changed.
  const old = join(dir, 'old.mkv');
  execFileSync(
    'ffmpeg',
    [
      ...['-v', 'error', '-f', 'rawvideo', '-pix_fmt', 'gbrp', '-s', `${width}x${height}`],
      ...['-framerate', String(fps), '-i', '-', '-c:v', 'ffv1', '-level', '3', '-g', '1'],
      ...['-slices', '4', '-slicecrc', '1', '-pix_fmt', 'gbrp', '-f', 'matroska', old],
    ],
    { input: planes },
  );
  // Now: the generation step's own writer.
  const now = join(dir, 'new.mkv');
  const writer = new MasterWriter({ ffmpegPath: 'ffmpeg', width, height, fps, file: now });
  await writer.write(planes);
  await writer.finish();
  await storage.put('masters/old.mkv', readFileSync(old));
  await storage.put('masters/new.mkv', readFileSync(now));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (r: TranscodeResult): string => join(storage.root, r.renditionKey);

test('renditions from the new master match those made the old way from an RGB master (SSIM ≥ 0.995)', async () => {
  const master = ffprobe(join(storage.root, 'masters/new.mkv')).streams[0];
  expect(master).toMatchObject({ codec_name: 'h264', pix_fmt: 'yuv444p', color_space: 'bt709' });

  // Today's way: one activity per preset, each decoding the RGB master.
  const before = [
    await transcodeRendition({ masterKey: 'masters/old.mkv', preset: 'x' }, { storage, config }),
    await transcodeRendition({ masterKey: 'masters/old.mkv', preset: 'reels' }, { storage, config }),
  ];
  // The new way: one decode of the new master for both.
  const after = await transcodeRenditions(
    { masterKey: 'masters/new.mkv', presets: ['x', 'reels'] },
    { storage, config },
  );
  for (const [i, preset] of (['x', 'reels'] as const).entries()) {
    const score = ssim(file(after[i]), file(before[i]));
    expect({ preset, ok: score >= 0.995, score }).toMatchObject({ preset, ok: true });
  }
});

test('a master stored in the old FFV1 RGB format still transcodes, to the same picture', async () => {
  const today = await transcodeRendition({ masterKey: 'masters/old.mkv', preset: 'x' }, { storage, config });
  const [x] = await transcodeRenditions(
    { masterKey: 'masters/old.mkv', presets: ['x'] },
    { storage, config },
  );
  expect(x.reused).toBe(false);
  expect(x.summary.video).toMatchObject({ width: 720, height: 1280, profile: 'High', level: 31 });
  expect(ssim(file(x), file(today))).toBeGreaterThanOrEqual(0.999);
});
