/**
 * Damaged masters fail fast with a clear, non-retryable error, leave nothing in storage and no
 * temp files behind.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStorage } from '../../../activities/storage';
import {
  checkMediaTools,
  CorruptMediaError,
  MediaToolMissingError,
  NON_RETRYABLE_MEDIA_ERRORS,
  RenditionValidationError,
  sweepStaleWorkDirs,
  transcodeRendition,
  TruncatedMediaError,
} from '../../../activities/media';
import { makeClip } from './clips';

const config = { ffmpeg: { ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe' } };
let dir: string;
let tmpRoot: string;
let storage: FsStorage;
let good: Buffer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reelcast-media-bad-'));
  tmpRoot = join(dir, 'tmp');
  mkdirSync(tmpRoot);
  storage = new FsStorage(join(dir, 'storage'));
  good = readFileSync(makeClip(dir, { shape: 'landscape', seconds: 2, fps: 24, audio: false }));
  // Matroska framing: truncating or zeroing the middle of the FFV1 data damages frames, not the header.
  await storage.put('masters/truncated.mkv', good.subarray(0, Math.floor(good.length / 2)));
  const zeroed = Buffer.from(good);
  zeroed.fill(0, Math.floor(good.length / 3), Math.floor(good.length / 3) + 20_000);
  await storage.put('masters/zeroed.mkv', zeroed);
  await storage.put(
    'masters/noise.mkv',
    Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251)),
  );
  await storage.put('masters/text.mkv', 'this is not a video\n');
  await storage.put(
    'masters/short.mkv',
    readFileSync(makeClip(dir, { shape: 'square', seconds: 1, fps: 16, audio: false })),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function failureOf(masterKey: string, preset: 'x' | 'reels' = 'x'): Promise<Error> {
  const err = await transcodeRendition({ masterKey, preset }, { storage, config, tmpRoot }).then(
    () => undefined,
    (e: Error) => e,
  );
  if (!err) throw new Error(`${masterKey} was accepted`);
  return err;
}

async function storedRenditions(): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of storage.list('renditions/')) keys.push(o.key);
  return keys;
}

afterEach(async () => {
  expect(readdirSync(tmpRoot)).toEqual([]);
  expect(await storedRenditions()).toEqual([]);
});

test('a truncated master is a TruncatedMediaError naming the key', async () => {
  const err = await failureOf('masters/truncated.mkv');
  expect(err).toBeInstanceOf(TruncatedMediaError);
  expect(err.message).toMatch(/masters\/truncated\.mkv is truncated/);
  expect(err.message).toMatch(/Regenerate or re-upload/);
});

test('a master with damaged data in the middle is a CorruptMediaError', async () => {
  // The damage is inside the frame data: the file still starts like Matroska.
  expect((await storage.getBuffer('masters/zeroed.mkv')).subarray(0, 4)).toEqual(
    Buffer.from([0x1a, 0x45, 0xdf, 0xa3]),
  );
  const err = await failureOf('masters/zeroed.mkv');
  expect(err).toBeInstanceOf(CorruptMediaError);
  expect(err.message).toMatch(/masters\/zeroed\.mkv is not a readable video/);
});

test.each(['masters/noise.mkv', 'masters/text.mkv'])(
  '%s, not a video at all, is a CorruptMediaError',
  async (key) => {
    const err = await failureOf(key);
    expect(err).toBeInstanceOf(CorruptMediaError);
    expect(err.message).toContain(key);
  },
);

test('a clip shorter than the channel allows is refused before encoding', async () => {
  const err = await failureOf('masters/short.mkv', 'reels');
  expect(err).toBeInstanceOf(RenditionValidationError);
  expect(err.message).toMatch(/1\.00 s; reels accepts 3–900 s/);
});

test('the errors a retry cannot fix are listed for the retry policy, by their stable names', () => {
  expect(NON_RETRYABLE_MEDIA_ERRORS).toEqual(
    expect.arrayContaining([
      new CorruptMediaError('k', 'd').name,
      new TruncatedMediaError('k', 'd').name,
      new RenditionValidationError('x', []).name,
    ]),
  );
  expect(NON_RETRYABLE_MEDIA_ERRORS).not.toContain('MediaToolMissingError');
  expect(NON_RETRYABLE_MEDIA_ERRORS).not.toContain('FfmpegFailedError');
});

test('temp folders a killed worker left behind are swept, running ones are not', async () => {
  const root = mkdtempSync(join(dir, 'sweep-'));
  const stale = join(root, 'reelcast-media-dead');
  const fresh = join(root, 'reelcast-media-running');
  const other = join(root, 'someone-else');
  for (const d of [stale, fresh, other]) mkdirSync(d);
  const old = new Date(Date.now() - 7 * 3600_000);
  utimesSync(stale, old, old);
  utimesSync(other, old, old);
  expect(await sweepStaleWorkDirs(root)).toEqual([stale]);
  expect(readdirSync(root).sort()).toEqual(['reelcast-media-running', 'someone-else']);
});

describe('media tools', () => {
  test('the installed ffmpeg and ffprobe pass the version check', async () => {
    const info = await checkMediaTools(config.ffmpeg);
    expect(info.ffmpegVersion).toMatch(/^\d+\.\d+/);
  });

  test.each([
    ['ffmpeg', { ffmpegPath: '/nonexistent/ffmpeg', ffprobePath: 'ffprobe' }],
    ['ffprobe', { ffmpegPath: 'ffmpeg', ffprobePath: '/nonexistent/ffprobe' }],
  ])('a missing %s says which setting to fix', async (tool, paths) => {
    const err = await checkMediaTools(paths).catch((e: Error) => e);
    expect(err).toBeInstanceOf(MediaToolMissingError);
    expect((err as Error).message).toMatch(
      new RegExp(`${tool} at "/nonexistent/${tool}" cannot be used: not found`),
    );
    expect((err as Error).message).toMatch(tool === 'ffmpeg' ? /FFMPEG_PATH/ : /FFPROBE_PATH/);
  });

  test('a transcode on a worker without ffmpeg fails with MediaToolMissingError (retryable elsewhere)', async () => {
    await storage.put('masters/good.mkv', good);
    const err = await transcodeRendition(
      { masterKey: 'masters/good.mkv', preset: 'x' },
      { storage, tmpRoot, config: { ffmpeg: { ffmpegPath: '/nonexistent/ffmpeg', ffprobePath: 'ffprobe' } } },
    ).catch((e: Error) => e);
    expect(err).toBeInstanceOf(MediaToolMissingError);
  });
});
