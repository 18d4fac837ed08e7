/**
 * Every channel preset × every fit mode, through the storage-backed core, checked with ffprobe
 * run directly (not through the code under test) and by looking at the poster's pixels.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStorage } from '../../../activities/storage';
import {
  FIT_MODES,
  PRESET_NAMES,
  PRESETS,
  transcodeRendition,
  type PresetName,
} from '../../../activities/media';
import { ffprobe, greyBand, makeClip, mean, strongestEdge } from './clips';

const config = { ffmpeg: { ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe' } };
let dir: string;
let storage: FsStorage;

// Landscape without audio and square with audio, like a model's master and an edited clip.
// smptebars: its sharp vertical edges tell a cropped picture from a blurred background.
const SOURCE: Record<
  PresetName,
  { key: string; shape: 'landscape' | 'square'; fps: number; audio: boolean }
> = {
  reels: { key: 'masters/land24.mkv', shape: 'landscape', fps: 24, audio: false },
  shorts: { key: 'masters/land24.mkv', shape: 'landscape', fps: 24, audio: false },
  tiktok: { key: 'masters/square16.mkv', shape: 'square', fps: 16, audio: true },
  x: { key: 'masters/square16.mkv', shape: 'square', fps: 16, audio: true },
};
// Reels and TikTok refuse clips under 3 s; 3.25 s is a whole number of frames at 16 and 24 fps.
const SECONDS = 3.25;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reelcast-media-presets-'));
  storage = new FsStorage(join(dir, 'storage'));
  for (const s of new Set(Object.values(SOURCE))) {
    const clip = makeClip(dir, {
      pattern: 'smptebars',
      shape: s.shape,
      seconds: SECONDS,
      fps: s.fps,
      audio: s.audio,
    });
    await storage.put(s.key, readFileSync(clip));
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(PRESET_NAMES)('preset %s', (name) => {
  const preset = PRESETS[name];
  const bands: Record<string, ReturnType<typeof greyBand>> = {};

  test.each(FIT_MODES)('fit %s makes a rendition that meets the channel spec', async (fit) => {
    const result = await transcodeRendition(
      { masterKey: SOURCE[name].key, preset: name, fit },
      { storage, config },
    );
    expect(result.reused).toBe(false);

    const file = join(storage.root, result.renditionKey);
    const probe = ffprobe(file);
    const video = probe.streams.find((s) => s.codec_type === 'video')!;
    const audio = probe.streams.find((s) => s.codec_type === 'audio')!;
    expect(video).toMatchObject({
      codec_name: 'h264',
      profile: 'High',
      level: preset.video.level,
      pix_fmt: 'yuv420p',
      width: preset.width,
      height: preset.height,
      sample_aspect_ratio: '1:1',
      r_frame_rate: '30/1',
      avg_frame_rate: '30/1',
    });
    expect(Number(video.nb_frames)).toBe(Math.round(SECONDS * 30));
    expect(audio).toMatchObject({ codec_name: 'aac', profile: 'LC', sample_rate: '48000', channels: 2 });
    expect(Number(probe.format.duration)).toBeCloseTo(SECONDS, 1);
    expect(probe.format.tags?.comment).toMatch(/AI-generated/);
    expect(Number(video.bit_rate)).toBeLessThanOrEqual(preset.video.maxBitrate);

    // Fast start: the box right after ftyp is moov.
    const head = readFileSync(file).subarray(0, 64);
    const ftypSize = head.readUInt32BE(0);
    expect(head.toString('latin1', 4, 8)).toBe('ftyp');
    expect(head.toString('latin1', ftypSize + 4, ftypSize + 8)).toBe('moov');

    // Poster and preview are stored beside it and are what they say.
    const poster = ffprobe(join(storage.root, result.posterKey)).streams[0];
    expect(poster).toMatchObject({ codec_name: 'mjpeg', width: preset.width, height: preset.height });
    const preview = readFileSync(join(storage.root, result.previewKey));
    expect(preview.toString('latin1', 8, 12)).toBe('WEBP');

    // The band just below the top edge is background in blur and pad modes, picture in crop mode.
    bands[fit] = greyBand(join(storage.root, result.posterKey), {
      y: Math.round(preset.height * 0.02),
      height: Math.round(preset.height * 0.06),
    });
  });

  test('fit modes look like what they promise', () => {
    const { blur, crop, pad } = bands;
    expect(mean(pad.pixels)).toBeLessThan(20); // black bars
    expect(mean(blur.pixels)).toBeGreaterThan(30); // coloured, blurred background
    expect(strongestEdge(blur)).toBeLessThan(4);
    expect(strongestEdge(crop)).toBeGreaterThan(Math.max(8, 3 * strongestEdge(blur))); // the bars' own edges
  });
});
