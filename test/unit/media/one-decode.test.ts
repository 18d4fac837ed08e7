/**
 * A post's renditions from one decode: presets with the same encode share one rendition file,
 * one ffmpeg process makes every distinct rendition, each is checked against every channel that
 * uses it, and cancelling kills that one ffmpeg.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { NO_SIGNING } from '../../../activities/provenance';
import { FsStorage } from '../../../activities/storage';
import {
  createMediaActivities,
  RenditionValidationError,
  transcodeRenditions,
  type PresetName,
  type TranscodeProgress,
} from '../../../activities/media';
import { childFfmpegPids, ffprobe, makeClip } from './clips';

let dir: string;
let tmpRoot: string;
let storage: FsStorage;
let log: string;
/** ffmpeg behind a wrapper that logs each run's outputs, so the test can count the runs. */
let config: { ffmpeg: { ffmpegPath: string; ffprobePath: string } };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reelcast-media-one-decode-'));
  tmpRoot = join(dir, 'tmp');
  mkdirSync(tmpRoot);
  storage = new FsStorage(join(dir, 'storage'));
  log = join(dir, 'ffmpeg-runs.log');
  const wrapper = join(dir, 'ffmpeg');
  writeFileSync(
    wrapper,
    `#!/bin/sh\ncase "$*" in *-filter_complex*) echo "$*" | grep -o '[^ ]*\\.mp4' | tr '\\n' ' ' >> '${log}'; echo >> '${log}';; esac\nexec ffmpeg "$@"\n`,
  );
  chmodSync(wrapper, 0o755);
  config = { ffmpeg: { ffmpegPath: wrapper, ffprobePath: 'ffprobe' } };
  // Reels and TikTok take 3 s at least.
  await storage.put(
    'masters/post.mkv',
    readFileSync(makeClip(dir, { shape: 'landscape', seconds: 3, fps: 16, audio: true })),
  );
  await storage.put(
    'masters/short.mkv',
    readFileSync(makeClip(dir, { shape: 'square', seconds: 2, fps: 16, audio: false })),
  );
  await storage.put(
    'masters/long.mkv',
    readFileSync(makeClip(dir, { shape: 'landscape', seconds: 20, fps: 24, audio: false })),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The .mp4 outputs of each ffmpeg encode run since the last call. */
function encodeRuns(): string[][] {
  let text = '';
  try {
    text = readFileSync(log, 'utf8');
  } catch {
    // No run yet.
  }
  writeFileSync(log, '');
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => l.trim().split(' '));
}

async function storedRenditions(): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of storage.list('renditions/')) if (o.key.endsWith('.mp4')) keys.push(o.key);
  return keys.sort();
}

test('x + reels + tiktok + shorts: one ffmpeg run, three renditions, reels and tiktok share one', async () => {
  encodeRuns();
  const results = await transcodeRenditions(
    { masterKey: 'masters/post.mkv', presets: ['x', 'reels', 'tiktok', 'shorts'], postId: 'post/a/1' },
    { storage, config, tmpRoot },
  );
  expect(results.map((r) => r.preset)).toEqual(['x', 'reels', 'tiktok', 'shorts']);
  const [x, reels, tiktok, shorts] = results;
  expect(tiktok.renditionKey).toBe(reels.renditionKey);
  expect(tiktok.posterKey).toBe(reels.posterKey);
  expect(reels.renditionKey).toMatch(/^renditions\/post\/1080x1920-blur-[0-9a-f]{16}\.mp4$/);
  // Shorts asks for a GOP of half the frame rate: another encode.
  expect(shorts.renditionKey).not.toBe(reels.renditionKey);
  expect(new Set(results.map((r) => r.renditionKey)).size).toBe(3);

  const runs = encodeRuns();
  expect(runs).toHaveLength(1);
  expect(runs[0]).toHaveLength(3);
  expect(await storedRenditions()).toEqual([x, reels, shorts].map((r) => r.renditionKey).sort());

  // Each file is what its channels expect, read back with ffprobe, not through the code under test.
  for (const [r, size, level, keyint] of [
    [x, '720x1280', 31, undefined],
    [reels, '1080x1920', 41, undefined],
    [shorts, '1080x1920', 41, 15],
  ] as const) {
    const probe = ffprobe(join(storage.root, r.renditionKey));
    const video = probe.streams.find((s) => s.codec_type === 'video')!;
    expect(`${video.width}x${video.height}`).toBe(size);
    expect(video).toMatchObject({ profile: 'High', level, pix_fmt: 'yuv420p', avg_frame_rate: '30/1' });
    expect(Number(video.nb_frames)).toBe(90);
    expect(probe.streams.find((s) => s.codec_type === 'audio')).toMatchObject({
      codec_name: 'aac',
      sample_rate: '48000',
    });
    expect(probe.format.tags?.comment).toMatch(/AI-generated/);
    expect(readFileSync(join(storage.root, r.posterKey)).subarray(0, 3)).toEqual(
      Buffer.from([0xff, 0xd8, 0xff]),
    );
    expect(readFileSync(join(storage.root, r.previewKey)).toString('latin1', 8, 12)).toBe('WEBP');
    if (keyint) {
      const text = readFileSync(join(storage.root, r.renditionKey)).toString('latin1');
      expect(text).toContain(`keyint=${keyint} `);
    }
  }
  expect((await storage.head(reels.renditionKey))?.metadata).toMatchObject({
    'reelcast-preset': 'reels,tiktok',
    'reelcast-post': encodeURIComponent('post/a/1'),
  });

  // A retry (or another post with the same master) finds them all: nothing runs.
  const again = await transcodeRenditions(
    { masterKey: 'masters/post.mkv', presets: ['tiktok', 'x'] },
    { storage, config, tmpRoot },
  );
  expect(again).toEqual([
    { ...tiktok, reused: true },
    { ...x, reused: true },
  ]);
  expect(encodeRuns()).toEqual([]);
});

test('a caption is laid out in each channel’s own safe area, so reels and tiktok then differ', async () => {
  encodeRuns();
  const [reels, tiktok] = await transcodeRenditions(
    { masterKey: 'masters/post.mkv', presets: ['reels', 'tiktok'], fit: 'pad', caption: 'Happy new year' },
    { storage, config, tmpRoot },
  );
  expect(tiktok.renditionKey).not.toBe(reels.renditionKey);
  expect(encodeRuns()).toEqual([[expect.stringMatching(/\.mp4$/), expect.stringMatching(/\.mp4$/)]]);
});

test('each channel’s limits are checked: a 2 s clip suits X but not Reels, and nothing is stored', async () => {
  const before = await storedRenditions();
  const err = await transcodeRenditions(
    { masterKey: 'masters/short.mkv', presets: ['x', 'reels'] },
    { storage, config, tmpRoot },
  ).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RenditionValidationError);
  expect((err as RenditionValidationError).preset).toBe('reels');
  expect((err as Error).message).toMatch(/2\.00 s; reels accepts 3–900 s/);
  expect(await storedRenditions()).toEqual(before);
  expect(readdirSync(tmpRoot)).toEqual([]);
});

test('the activity heartbeats encode progress and a Temporal cancellation kills the one ffmpeg', async () => {
  const env = new MockActivityEnvironment();
  const heartbeats: TranscodeProgress[] = [];
  let pidsWhileEncoding: number[] = [];
  env.on('heartbeat', (details: TranscodeProgress) => {
    heartbeats.push(details);
    if (details.stage === 'encode' && (details.frame ?? 0) > 0 && pidsWhileEncoding.length === 0) {
      pidsWhileEncoding = childFfmpegPids();
      env.cancel();
    }
  });
  const before = await storedRenditions();
  const activities = createMediaActivities({ storage, config, tmpRoot, signer: NO_SIGNING });
  const run = env.run(activities.transcodeRenditions, {
    masterKey: 'masters/long.mkv',
    presets: ['x', 'reels', 'tiktok'] as PresetName[],
  });
  await expect(run).rejects.toBeInstanceOf(CancelledFailure);
  expect(pidsWhileEncoding).toHaveLength(1); // one ffmpeg for all three presets
  expect(heartbeats.some((h) => h.stage === 'encode' && h.totalFrames === 600)).toBe(true);
  expect(childFfmpegPids()).toEqual([]);
  expect(readdirSync(tmpRoot)).toEqual([]);
  expect(await storedRenditions()).toEqual(before);
});
