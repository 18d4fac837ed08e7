/**
 * Rendition keys are derived from what determines the bytes, so a retry or replay finds the
 * rendition a previous attempt stored instead of encoding again.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { FsStorage } from '../../../activities/storage';
import { PRESETS, renditionKeys, transcodeRendition } from '../../../activities/media';
import { makeClip } from './clips';

describe('renditionKeys', () => {
  const base = { masterKey: 'masters/abc123.mkv', preset: PRESETS.reels, fit: 'blur' as const };

  test('are stable and readable', () => {
    const keys = renditionKeys(base);
    expect(keys).toEqual(renditionKeys({ ...base }));
    expect(keys.renditionKey).toMatch(/^renditions\/abc123\/reels-blur-[0-9a-f]{16}\.mp4$/);
    expect(keys.posterKey).toBe(keys.renditionKey.replace(/\.mp4$/, '.poster.jpg'));
    expect(keys.previewKey).toBe(keys.renditionKey.replace(/\.mp4$/, '.preview.webp'));
  });

  test.each([
    ['another master', { masterKey: 'masters/def456.mkv' }],
    ['another preset', { preset: PRESETS.tiktok }],
    ['another fit', { fit: 'crop' as const }],
    ['blended frame rate conversion', { frameRate: 'blend' as const }],
    ['a caption', { caption: 'Happy new year' }],
    [
      'a watermark',
      { watermark: { sha256: 'a'.repeat(64), position: 'top-right', scale: 0.18, opacity: 0.85 } },
    ],
    [
      'a changed preset setting',
      { preset: { ...PRESETS.reels, video: { ...PRESETS.reels.video, crf: 23 } } },
    ],
  ])('change with %s', (_what, change) => {
    expect(renditionKeys({ ...base, ...change }).renditionKey).not.toBe(renditionKeys(base).renditionKey);
  });

  test('naming the default frame rate conversion changes nothing', () => {
    expect(renditionKeys({ ...base, frameRate: 'duplicate' })).toEqual(renditionKeys(base));
  });

  test('the same watermark at another opacity is another rendition', () => {
    const wm = { sha256: 'a'.repeat(64), position: 'top-right', scale: 0.18, opacity: 0.85 };
    expect(renditionKeys({ ...base, watermark: wm }).renditionKey).not.toBe(
      renditionKeys({ ...base, watermark: { ...wm, opacity: 0.5 } }).renditionKey,
    );
  });
});

describe('retries', () => {
  let dir: string;
  let storage: FsStorage;
  const config = { ffmpeg: { ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe' } };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reelcast-media-reuse-'));
    storage = new FsStorage(join(dir, 'storage'));
    await storage.put(
      'masters/m1.mkv',
      readFileSync(makeClip(dir, { shape: 'square', seconds: 1, fps: 16, audio: false })),
    );
    const logo = join(dir, 'logo.png');
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'color=c=red:s=200x80',
      '-frames:v',
      '1',
      logo,
    ]);
    await storage.put('brand/logo.png', readFileSync(logo));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('a second run with the same request reuses the stored rendition without encoding', async () => {
    const request = {
      masterKey: 'masters/m1.mkv',
      preset: 'x' as const,
      watermark: { key: 'brand/logo.png' },
      postId: 'post/a/2026-01-01/am',
    };
    const first = await transcodeRendition(request, { storage, config });
    const file = join(storage.root, first.renditionKey);
    const mtime = statSync(file).mtimeMs;

    const progress: string[] = [];
    const second = await transcodeRendition(
      { ...request, postId: 'post/b/2026-01-02/pm' },
      { storage, config, onProgress: (p) => progress.push(p.stage) },
    );
    expect(second).toEqual({ ...first, reused: true });
    expect(progress).toEqual([]); // no download, no encode
    expect(statSync(file).mtimeMs).toBe(mtime);
    expect((await storage.head(first.renditionKey))?.metadata).toMatchObject({
      'ai-generated': 'true',
      'reelcast-preset': 'x',
    });
  });

  test('a rendition whose poster is missing (an attempt that died mid-upload) is made again', async () => {
    const request = { masterKey: 'masters/m1.mkv', preset: 'x' as const, fit: 'crop' as const };
    const first = await transcodeRendition(request, { storage, config });
    await storage.delete(first.posterKey);
    const again = await transcodeRendition(request, { storage, config });
    expect(again.reused).toBe(false);
    expect(await storage.head(first.posterKey)).toBeDefined();
  });

  test('replacing the brand image under the same key makes a new rendition', async () => {
    const request = {
      masterKey: 'masters/m1.mkv',
      preset: 'x' as const,
      watermark: { key: 'brand/logo.png' },
    };
    const before = await transcodeRendition(request, { storage, config });
    const logo = join(dir, 'logo2.png');
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'color=c=blue:s=200x80',
      '-frames:v',
      '1',
      logo,
    ]);
    await storage.put('brand/logo.png', readFileSync(logo));
    const after = await transcodeRendition(request, { storage, config });
    expect(after.renditionKey).not.toBe(before.renditionKey);
    expect(after.reused).toBe(false);
  });
});
