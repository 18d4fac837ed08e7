/**
 * The content gate: which frames it samples, how thresholds judge scores, and that a master is
 * classified once (the stored check is reused by key), with the real classifier and ffmpeg.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { posterFrameIndex } from '../../../activities/media/rendition-job';
import {
  checkContent,
  DEFAULT_SAFETY_THRESHOLDS,
  MasterUnreadableError,
  readCheck,
  resolveThresholds,
  sampleFrames,
  tripOf,
  type FrameScores,
} from '../../../activities/safety';
import { FsStorage } from '../../../activities/storage';
import { makeClip } from '../media/clips';

describe('sampleFrames', () => {
  test.each([
    [1, 8, [0]],
    [3, 8, [0, 1, 2]],
    [16, 8, [1, 3, 4, 5, 7, 9, 11, 13, 15]],
    [121, 4, [15, 36, 45, 75, 105]],
  ])('%i frames, %i spread: %j', (total, count, expected) => {
    const samples = sampleFrames(total, count);
    expect(samples.map((s) => s.index)).toEqual(expected);
  });

  test('always includes the rendition poster frame, and marks it', () => {
    for (const total of [1, 2, 5, 17, 49, 121, 241]) {
      const poster = sampleFrames(total).filter((s) => s.poster);
      expect(poster).toEqual([{ index: posterFrameIndex(total), poster: true }]);
    }
  });
});

describe('thresholds', () => {
  const frame = (index: number, scores: Partial<FrameScores['scores']>): FrameScores => ({
    index,
    atSeconds: index / 8,
    poster: false,
    frameKey: `safety/m/c/frame-${index}.jpg`,
    scores: { Drawing: 0, Hentai: 0, Neutral: 0, Porn: 0, Sexy: 0, ...scores },
  });

  test('defaults hold explicit frames and let fashion-like and drawn ones pass', () => {
    const t = resolveThresholds();
    expect(t).toEqual(DEFAULT_SAFETY_THRESHOLDS);
    expect(tripOf([frame(0, { Neutral: 0.9 }), frame(1, { Drawing: 0.99 })], t)).toBeUndefined();
    expect(tripOf([frame(0, { Sexy: 0.7, Neutral: 0.3 })], t)).toBeUndefined();
    expect(tripOf([frame(0, { Neutral: 0.4 }), frame(5, { Porn: 0.55 })], t)).toMatchObject({
      className: 'Porn',
      frame: 5,
      score: 0.55,
      threshold: 0.5,
      frameKey: 'safety/m/c/frame-5.jpg',
    });
  });

  test('the calendar, then the campaign, override class by class; 0 holds everything, 1 nothing', () => {
    const t = resolveThresholds({ sexy: 0.6 }, { porn: 0.3, neutral: 0 });
    expect(t).toEqual({ drawing: 1, hentai: 0.5, neutral: 0, porn: 0.3, sexy: 0.6 });
    expect(tripOf([frame(0, { Neutral: 0.01 })], t)?.className).toBe('Neutral');
    expect(tripOf([frame(0, { Porn: 1 })], resolveThresholds({ porn: 1 }))).toBeUndefined();
  });

  test('the frame furthest over its threshold is the one shown', () => {
    const t = resolveThresholds({ sexy: 0.5 });
    const trip = tripOf([frame(1, { Sexy: 0.6 }), frame(2, { Porn: 0.95 }), frame(3, { Sexy: 0.7 })], t);
    expect(trip).toMatchObject({ className: 'Porn', frame: 2 });
  });
});

describe('checkContent (real classifier, real ffmpeg)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reelcast-gate-test-'));
  const storage = new FsStorage(join(dir, 'storage'));
  const ffmpeg = { ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe' };
  const masterKey = 'masters/0123456789abcdef0123.mkv';
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeAll(async () => {
    const clip = makeClip(dir, { shape: 'square', seconds: 2, fps: 8, audio: false });
    await storage.putFile(masterKey, clip);
  });

  test('a neutral clip passes; its scores and frames are stored beside the master and reused', async () => {
    const first = await checkContent({ masterKey, postId: 'c/2026-11-27/a' }, { storage, ffmpeg });
    expect(first).toMatchObject({ passed: true, reused: false, frames: sampleFrames(16).length });
    expect(first.resultKey).toMatch(/^safety\/0123456789abcdef0123\/nsfwjs-4-\d+-\d+-mobilenetv2-s4\.json$/);
    expect(first.classifier).toMatch(/^nsfwjs 4\.\d+\.\d+ MobileNetV2 \(wasm\)$/);

    const stored = await readCheck(storage, first.resultKey);
    expect(stored!.frames.map((f) => f.index)).toEqual(sampleFrames(16).map((s) => s.index));
    for (const f of stored!.frames) {
      const sum = Object.values(f.scores).reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(1, 3);
      const jpeg = await storage.getBuffer(f.frameKey);
      expect(jpeg.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    }

    // A retry, a replay, another post of the same master: judged from the stored check.
    const again = await checkContent({ masterKey, thresholds: { neutral: 0 } }, { storage, ffmpeg });
    expect(again).toMatchObject({ passed: false, reused: true, createdAt: first.createdAt });
    expect(again.trip).toMatchObject({ className: 'Neutral', threshold: 0 });
    expect(stored!.frames.map((f) => f.frameKey)).toContain(again.trip!.frameKey);
    expect((await readCheck(storage, first.resultKey))!.createdAt).toBe(first.createdAt);
  });

  test('an unreadable master is a non-retryable error naming its key', async () => {
    await expect(
      checkContent({ masterKey: 'masters/ffffffffffffffff.mkv' }, { storage, ffmpeg }),
    ).rejects.toThrow(
      new MasterUnreadableError('masters/ffffffffffffffff.mkv', 'no object is stored under it').message,
    );
    const junk = join(dir, 'junk.mkv');
    writeFileSync(junk, 'not a video at all');
    await storage.putFile('masters/eeeeeeeeeeeeeeee.mkv', junk);
    const err = await checkContent({ masterKey: 'masters/eeeeeeeeeeeeeeee.mkv' }, { storage, ffmpeg }).catch(
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(MasterUnreadableError);
    expect((err as Error).message).toMatch(/cannot read the master clip masters\/eeeeeeeeeeeeeeee\.mkv: /);
  });
});
