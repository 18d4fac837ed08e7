/**
 * Cancelling a transcode, directly or through Temporal's activity cancellation, kills ffmpeg and
 * leaves no temporary file and no stored rendition behind.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { FsStorage } from '../../../activities/storage';
import { NO_SIGNING } from '../../../activities/provenance';
import {
  createMediaActivities,
  transcodeRendition,
  TranscodeCancelledError,
  type TranscodeProgress,
} from '../../../activities/media';
import { childFfmpegPids, makeClip } from './clips';

const config = { ffmpeg: { ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe' } };
let dir: string;
let tmpRoot: string;
let storage: FsStorage;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reelcast-media-cancel-'));
  tmpRoot = join(dir, 'tmp');
  mkdirSync(tmpRoot);
  storage = new FsStorage(join(dir, 'storage'));
  // Long enough (at 1080x1920) that the encode is still running when the test cancels it.
  await storage.put(
    'masters/long.mkv',
    readFileSync(makeClip(dir, { shape: 'landscape', seconds: 20, fps: 24, audio: true })),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function expectNothingLeft(): Promise<void> {
  expect(childFfmpegPids()).toEqual([]);
  expect(readdirSync(tmpRoot)).toEqual([]);
  const stored: string[] = [];
  for await (const o of storage.list('renditions/')) stored.push(o.key);
  expect(stored).toEqual([]);
}

test('aborting during the encode kills ffmpeg and removes the temp files', async () => {
  const controller = new AbortController();
  const seen: TranscodeProgress[] = [];
  let pidsWhileEncoding: number[] = [];
  const job = transcodeRendition(
    { masterKey: 'masters/long.mkv', preset: 'reels', caption: 'キャンセル test' },
    {
      storage,
      config,
      tmpRoot,
      signal: controller.signal,
      onProgress: (p) => {
        seen.push(p);
        if (p.stage === 'encode' && (p.frame ?? 0) > 0 && !controller.signal.aborted) {
          pidsWhileEncoding = childFfmpegPids();
          controller.abort();
        }
      },
    },
  );
  await expect(job).rejects.toBeInstanceOf(TranscodeCancelledError);
  expect(pidsWhileEncoding).toHaveLength(1); // the test did catch ffmpeg running
  expect(seen.some((p) => p.stage === 'encode' && p.percent > 0 && p.percent < 100)).toBe(true);
  await expectNothingLeft();
});

test('aborting before the encode starts never leaves an ffmpeg behind', async () => {
  const controller = new AbortController();
  const job = transcodeRendition(
    { masterKey: 'masters/long.mkv', preset: 'x' },
    {
      storage,
      config,
      tmpRoot,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.stage === 'download') controller.abort();
      },
    },
  );
  await expect(job).rejects.toBeInstanceOf(TranscodeCancelledError);
  await expectNothingLeft();
});

test('the activity heartbeats encode progress and a Temporal cancellation kills ffmpeg', async () => {
  const env = new MockActivityEnvironment();
  const heartbeats: TranscodeProgress[] = [];
  env.on('heartbeat', (details: TranscodeProgress) => {
    heartbeats.push(details);
    if (details.stage === 'encode' && (details.frame ?? 0) > 0) env.cancel();
  });
  const activities = createMediaActivities({ storage, config, tmpRoot, signer: NO_SIGNING });
  const run = env.run(activities.transcodeRendition, {
    masterKey: 'masters/long.mkv',
    preset: 'shorts' as const,
  });
  await expect(run).rejects.toBeInstanceOf(CancelledFailure);
  expect(heartbeats.some((h) => h.stage === 'encode' && (h.totalFrames ?? 0) === 600)).toBe(true);
  await expectNothingLeft();
});
