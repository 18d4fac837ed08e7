/**
 * The content gate: which frames it samples, how thresholds judge scores, and that a master is
 * classified once (the stored check is reused by key), with the real classifier and ffmpeg.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { posterFrameIndex } from '../../../activities/media/rendition-job';
import {
  checkContent,
  CLASSIFIER_INPUT_SIZE,
  classifierLoads,
  closeClassifier,
  DEFAULT_SAFETY_THRESHOLDS,
  GATE_NICENESS,
  loadClassifier,
  MasterUnreadableError,
  readCheck,
  resolveThresholds,
  sampleFrames,
  tripOf,
  type FrameScores,
} from '../../../activities/safety';
import { decodeFrames } from '../../../activities/safety/frames';
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

describe('what the gate looks at, and what it leaves to the transcode beside it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reelcast-gate-frames-'));
  const ffmpeg = { ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe' };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Frame `index` of a clip, by a plain decode of the whole clip, squeezed as the gate does. */
  const reference = (clip: string, index: number): Buffer =>
    execFileSync('ffmpeg', [
      ...['-v', 'error', '-i', clip, '-vf'],
      `select=eq(n\\,${index}),scale=${CLASSIFIER_INPUT_SIZE}:${CLASSIFIER_INPUT_SIZE}:flags=bilinear,format=rgb24`,
      ...['-frames:v', '1', '-f', 'rawvideo', '-'],
    ]);
  const meanAbsDiff = (a: Uint8Array, b: Uint8Array): number => {
    let sum = 0;
    for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
    return sum / a.length;
  };

  test.each([
    [
      "an all-intra lossless H.264 master (today's)",
      ['-c:v', 'libx264', '-qp', '0', '-g', '1', '-pix_fmt', 'yuv444p'],
    ],
    ['an FFV1 master (before)', ['-c:v', 'ffv1']],
  ])('the sampled frames of %s are exactly the frames sampling names', async (_name, codec) => {
    const clip = join(dir, `clip-${codec[1]}.mkv`);
    execFileSync('ffmpeg', [
      ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x192:rate=8:duration=3'],
      ...codec,
      clip,
    ]);
    const samples = sampleFrames(24);
    const work = mkdtempSync(join(dir, 'work-'));
    const decoded = await decodeFrames(clip, samples, 8, work, { ffmpeg });
    samples.forEach((sample, k) => {
      // Its own frame, to the scaler's rounding; the next frame of the moving pattern is far off.
      expect(meanAbsDiff(decoded.rgb[k], reference(clip, sample.index))).toBeLessThan(1);
      expect(meanAbsDiff(decoded.rgb[k], reference(clip, sample.index + 1))).toBeGreaterThan(2);
    });
    expect(decoded.jpegs.map((j) => readFileSync(j).subarray(0, 2))).toEqual(
      samples.map(() => Buffer.from([0xff, 0xd8])),
    );
  });

  test('a classifier thread that stopped is started again by the next gate', async () => {
    const before = classifierLoads();
    await loadClassifier();
    await closeClassifier();
    const again = await loadClassifier();
    expect(classifierLoads()).toBe(before + (before === 0 ? 2 : 1));
    const frame = new Uint8Array(CLASSIFIER_INPUT_SIZE * CLASSIFIER_INPUT_SIZE * 3).fill(200);
    const [scores] = await again.classify([frame]);
    expect(Object.values(scores).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
  });

  test('the classifier works on a thread of its own, at a lower priority, off the event loop', async () => {
    const classifier = await loadClassifier();
    const frames = Array.from({ length: 8 }, () =>
      new Uint8Array(CLASSIFIER_INPUT_SIZE * CLASSIFIER_INPUT_SIZE * 3).fill(128),
    );
    // Node 23.9+ (the pinned Node is 24); @types/node does not have it yet.
    const { threadCpuUsage } = process as unknown as {
      threadCpuUsage(since?: NodeJS.CpuUsage): NodeJS.CpuUsage;
    };
    const ms = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;
    let ticks = 0;
    const ticker = setInterval(() => (ticks += 1), 20);
    const mainThread = threadCpuUsage();
    const wholeProcess = process.cpuUsage();
    const scores = await classifier.classify(frames);
    const usedHere = ms(threadCpuUsage(mainThread));
    const usedInAll = ms(process.cpuUsage(wholeProcess));
    clearInterval(ticker);
    expect(scores).toHaveLength(8);
    // Eight frames cost about half a CPU second, spent on another thread: this one only hands
    // them over and reads the scores (plus whatever else the process does meanwhile, e.g. a
    // garbage collection), and its event loop keeps turning (heartbeats, other activities).
    expect(usedHere).toBeLessThan(usedInAll / 4);
    expect(ticks).toBeGreaterThan(1);
    // Linux keeps a nice value per thread: one of this process' threads runs at the gate's.
    if (process.platform === 'linux') {
      const nices = readdirSync('/proc/self/task').map((tid) =>
        Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ')[16]),
      );
      expect(nices).toContain(GATE_NICENESS);
      expect(nices).toContain(0);
    }
  });
});
