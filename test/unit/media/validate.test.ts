/**
 * Validation reports every way a rendition can miss its channel's spec, and the box reader tells
 * a fast-start MP4 from one with the index at the end.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PRESETS } from '../../../activities/media';
import { isFastStart, readX264Settings, topLevelBoxes } from '../../../activities/media/mp4-boxes';
import type { RenditionSummary } from '../../../activities/media/probe';
import { AI_DISCLOSURE, renditionProblems, sourceProblems } from '../../../activities/media/validate';

const reels = PRESETS.reels;

function goodSummary(): RenditionSummary {
  return {
    container: 'mov,mp4,m4a,3gp,3g2,mj2',
    durationSeconds: 5,
    bytes: 3_000_000,
    video: {
      codec: 'h264',
      profile: 'High',
      level: 41,
      pixFmt: 'yuv420p',
      width: 1080,
      height: 1920,
      sar: '1:1',
      frameRate: '30/1',
      avgFrameRate: '30/1',
      frames: 150,
      bitrate: 4_000_000,
    },
    audio: { codec: 'aac', profile: 'LC', sampleRate: 48000, channels: 2 },
    comment: AI_DISCLOSURE,
  };
}

const goodX264 = { open_gop: '0', keyint: '60', bframes: '2' };

describe('renditionProblems', () => {
  test('a rendition that matches the preset has no problems', () => {
    expect(renditionProblems({ summary: goodSummary(), fastStart: true, x264: goodX264 }, reels)).toEqual([]);
  });

  test.each<[string, (s: RenditionSummary) => void, RegExp]>([
    ['level 4.2', (s) => (s.video.level = 42), /level is 4\.2, expected 4\.1/],
    ['Main profile', (s) => (s.video.profile = 'Main'), /profile is Main/],
    ['10-bit pixels', (s) => (s.video.pixFmt = 'yuv420p10le'), /pixel format is yuv420p10le/],
    [
      'a landscape frame',
      (s) => ((s.video.width = 1920), (s.video.height = 1080)),
      /frame is 1920x1080, expected 1080x1920/,
    ],
    ['anamorphic pixels', (s) => (s.video.sar = '4:3'), /sample aspect ratio is 4:3/],
    [
      'the model frame rate',
      (s) => ((s.video.frameRate = '24/1'), (s.video.avgFrameRate = '24/1')),
      /expected constant 30\/1/,
    ],
    ['variable frame rate', (s) => (s.video.avgFrameRate = '2997/100'), /frame rate is 2997\/100/],
    ['a bitrate over the cap', (s) => (s.video.bitrate = 12_000_000), /12\.00 Mbps is above the 8 Mbps cap/],
    ['too long for the channel', (s) => (s.durationSeconds = 1000), /duration 1000\.00 s is outside 3–900 s/],
    ['too big a file', (s) => (s.bytes = 2 * 1024 ** 3), /file is 2048\.0 MiB, limit 1024 MiB/],
    ['no audio', (s) => (s.audio = undefined), /no audio track/],
    ['44.1 kHz audio', (s) => (s.audio!.sampleRate = 44100), /44100 Hz, expected 48000/],
    ['HE-AAC', (s) => (s.audio!.profile = 'HE-AAC'), /expected AAC-LC/],
    ['mono', (s) => (s.audio!.channels = 1), /1 channels, expected 2/],
    ['no disclosure', (s) => (s.comment = undefined), /AI-generated disclosure/],
    ['HEVC', (s) => (s.video.codec = 'hevc'), /video codec is hevc/],
  ])('%s is reported', (_what, spoil, message) => {
    const summary = goodSummary();
    spoil(summary);
    const problems = renditionProblems({ summary, fastStart: true, x264: goodX264 }, reels);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  test('index at the end, open GOPs and a wrong keyframe interval are reported together', () => {
    const problems = renditionProblems(
      { summary: goodSummary(), fastStart: false, x264: { open_gop: '1', keyint: '250' } },
      reels,
    );
    expect(problems).toEqual([
      'moov box is not before mdat (not fast start)',
      'GOPs are open, expected closed',
      'keyframe interval is 250, expected 60',
    ]);
  });

  test('source duration is checked against the channel before encoding', () => {
    expect(sourceProblems(5, reels)).toEqual([]);
    expect(sourceProblems(141, PRESETS.x)[0]).toMatch(/141\.00 s; x accepts 0\.5–140 s/);
  });
});

describe('MP4 boxes', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'reelcast-media-boxes-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function encode(name: string, extra: string[]): string {
    const path = join(dir, name);
    execFileSync('ffmpeg', [
      ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=64x64:rate=10:duration=1'],
      ...['-c:v', 'libx264', '-preset', 'veryfast', '-x264-params', 'keyint=7', ...extra, path],
    ]);
    return path;
  }

  test('tells fast start (moov first) from the muxer default (moov last)', async () => {
    const fast = await topLevelBoxes(encode('fast.mp4', ['-movflags', '+faststart']));
    const slow = await topLevelBoxes(encode('slow.mp4', []));
    expect(fast.map((b) => b.type)).toEqual(['ftyp', 'moov', 'free', 'mdat']);
    expect(slow.map((b) => b.type)).toEqual(['ftyp', 'free', 'mdat', 'moov']);
    expect(isFastStart(fast)).toBe(true);
    expect(isFastStart(slow)).toBe(false);
  });

  test("reads x264's settings back from the stream", async () => {
    const path = encode('settings.mp4', ['-movflags', '+faststart']);
    const settings = await readX264Settings(path, await topLevelBoxes(path));
    expect(settings).toMatchObject({ keyint: '7', open_gop: '0' });
  });
});
