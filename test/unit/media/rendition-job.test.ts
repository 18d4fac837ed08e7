/**
 * The rendition's layout: watermark inside each channel's safe area, filter-graph escaping, frame
 * counts and the encoder settings each preset asks for; and a watermark really lands where the
 * layout says.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PRESET_NAMES, PRESETS, renderRendition, WATERMARK_POSITIONS } from '../../../activities/media';
import { safeRect } from '../../../activities/media/presets';
import type { SourceInfo } from '../../../activities/media/probe';
import {
  buildRenditionJob,
  escapeFilterValue,
  layoutWatermark,
  outputFrameCount,
} from '../../../activities/media/rendition-job';
import { makeClip } from './clips';

const source: SourceInfo = {
  width: 1280,
  height: 704,
  sampleAspect: 1,
  fps: 24,
  durationSeconds: 121 / 24,
  hasAudio: false,
  formatName: 'matroska,webm',
  codecNames: ['ffv1'],
};
const logo = { path: '/brand/logo.png', width: 400, height: 160 };

describe('watermark layout', () => {
  test.each(PRESET_NAMES.flatMap((p) => WATERMARK_POSITIONS.map((pos) => [p, pos] as const)))(
    '%s %s stays inside the safe area',
    (name, position) => {
      const preset = PRESETS[name];
      const layout = layoutWatermark(preset, logo, { position, scale: 0.2, opacity: 0.8 });
      if (typeof layout === 'string') throw new Error(layout);
      const safe = safeRect(preset);
      expect(layout.x).toBeGreaterThanOrEqual(safe.x);
      expect(layout.y).toBeGreaterThanOrEqual(safe.y);
      expect(layout.x + layout.width).toBeLessThanOrEqual(safe.x + safe.width);
      expect(layout.y + layout.height).toBeLessThanOrEqual(safe.y + safe.height);
      expect(layout.width / layout.height).toBeCloseTo(400 / 160, 1);
      expect([layout.x, layout.y, layout.width, layout.height].every((n) => n % 2 === 0)).toBe(true);
    },
  );

  test('a watermark too large for the safe area is refused with the reason', () => {
    const tall = { path: '/brand/tall.png', width: 100, height: 400 };
    expect(layoutWatermark(PRESETS.reels, tall, { position: 'top-left', scale: 0.5, opacity: 1 })).toMatch(
      /does not fit the reels safe area/,
    );
  });
});

describe('filter graph', () => {
  test('escapes option values twice, for the option parser and the graph parser', () => {
    expect(escapeFilterValue('/tmp/plain/caption-0.txt')).toBe('/tmp/plain/caption-0.txt');
    expect(escapeFilterValue("/tmp/it's:here")).toBe("/tmp/it\\\\\\'s\\\\:here");
    expect(escapeFilterValue('/tmp/a[1],b;c')).toBe('/tmp/a\\[1\\]\\,b\\;c');
  });

  test('121 model frames at 24 fps become 151 frames at 30 fps, with audio of the same length', () => {
    const job = buildRenditionJob({
      sourcePath: 'in.mkv',
      source,
      preset: PRESETS.reels,
      fit: 'blur',
      outputs: { video: 'v.mp4', poster: 'p.jpg', preview: 'p.webp' },
    });
    expect(outputFrameCount(source, PRESETS.reels)).toBe(151);
    expect(job.filterGraph).toContain('fps=30,trim=end_frame=151');
    // 151 frames / 30 fps * 48 kHz
    expect(job.filterGraph).toContain('anullsrc=r=48000:cl=stereo,atrim=end_sample=241600');
  });

  test('blend mode interpolates with the framerate filter instead of repeating frames', () => {
    const spec = {
      sourcePath: 'in.mkv',
      source,
      preset: PRESETS.x,
      fit: 'pad' as const,
      outputs: { video: 'v.mp4', poster: 'p.jpg', preview: 'p.webp' },
    };
    expect(buildRenditionJob({ ...spec, frameRate: 'blend' }).filterGraph).toContain(
      'framerate=fps=30,trim=end_frame=151',
    );
    expect(buildRenditionJob(spec).filterGraph).not.toContain('framerate=');
  });

  test.each(PRESET_NAMES)('%s asks x264 for its profile, level, caps and closed GOP', (name) => {
    const preset = PRESETS[name];
    const job = buildRenditionJob({
      sourcePath: 'in.mkv',
      source: { ...source, hasAudio: true },
      preset,
      fit: 'crop',
      outputs: { video: 'v.mp4', poster: 'p.jpg', preview: 'p.webp' },
    });
    const args = job.outputs[0].options.join(' ');
    expect(args).toContain(`-profile:v high -level:v ${name === 'x' ? '3.1' : '4.1'}`);
    expect(args).toContain(`-maxrate ${preset.video.maxBitrate} -bufsize ${preset.video.bufferSize}`);
    expect(args).toContain(`-g ${preset.video.gopFrames} -bf 2 -x264-params open-gop=0`);
    expect(args).toContain('-movflags +faststart');
    expect(job.filterGraph).toContain(
      '[0:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo',
    );
  });
});

describe('frame rate conversion', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'reelcast-media-fps-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each(['duplicate', 'blend'] as const)(
    '%s: 16 fps in, constant 30 fps out, same duration',
    async (frameRate) => {
      const clip = makeClip(dir, { shape: 'landscape', seconds: 1, fps: 16, audio: false });
      const outputs = {
        video: join(dir, `${frameRate}.mp4`),
        poster: join(dir, `${frameRate}.jpg`),
        preview: join(dir, `${frameRate}.webp`),
      };
      const { summary } = await renderRendition(
        { inputPath: clip, preset: 'x', fit: 'crop', frameRate, outputs },
        { ffmpeg: { ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe' }, workDir: dir },
      );
      expect(summary.video).toMatchObject({ frameRate: '30/1', avgFrameRate: '30/1', frames: 30 });
      expect(summary.durationSeconds).toBeCloseTo(1, 1);
    },
  );
});

describe('watermark in the picture', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'reelcast-media-wm-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function rgbAt(image: string, x: number, y: number): number[] {
    const px = execFileSync('ffmpeg', [
      '-v',
      'error',
      '-i',
      image,
      '-vf',
      `crop=2:2:${x}:${y},format=rgb24`,
      '-f',
      'rawvideo',
      '-',
    ]);
    return [px[0], px[1], px[2]];
  }

  test('lands in the chosen corner at the chosen opacity', async () => {
    const clip = makeClip(dir, { shape: 'square', seconds: 1, fps: 16, audio: false });
    const png = join(dir, 'logo.png');
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'color=c=0x00ff00:s=200x80',
      '-frames:v',
      '1',
      png,
    ]);
    const preset = PRESETS.x;
    const layout = layoutWatermark(
      preset,
      { path: png, width: 200, height: 80 },
      { position: 'bottom-left', scale: 0.2, opacity: 1 },
    );
    if (typeof layout === 'string') throw new Error(layout);
    const out = (n: string): { video: string; poster: string; preview: string } => ({
      video: join(dir, `${n}.mp4`),
      poster: join(dir, `${n}.jpg`),
      preview: join(dir, `${n}.webp`),
    });
    const ffmpeg = { ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe' };
    await renderRendition(
      {
        inputPath: clip,
        preset: 'x',
        fit: 'pad',
        watermark: { path: png, position: 'bottom-left', scale: 0.2, opacity: 1 },
        outputs: out('solid'),
      },
      { ffmpeg, workDir: dir },
    );
    await renderRendition(
      {
        inputPath: clip,
        preset: 'x',
        fit: 'pad',
        watermark: { path: png, position: 'bottom-left', scale: 0.2, opacity: 0.5 },
        outputs: out('half'),
      },
      { ffmpeg, workDir: dir },
    );
    const cx = layout.x + layout.width / 2;
    const cy = layout.y + layout.height / 2;
    const [r, g, b] = rgbAt(out('solid').poster, cx, cy);
    expect(g).toBeGreaterThan(200);
    expect(r + b).toBeLessThan(80);
    // Over the black pad, half opacity is half as bright.
    const [, gHalf] = rgbAt(out('half').poster, cx, cy);
    expect(gHalf).toBeGreaterThan(90);
    expect(gHalf).toBeLessThan(170);
    // Just outside the watermark the pad is still black.
    expect(rgbAt(out('solid').poster, layout.x + layout.width + 8, cy)[1]).toBeLessThan(40);
  });
});
