/**
 * `reelcast transcode`: local file in, validated rendition with poster and preview out; a bad
 * input leaves no output file.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgram } from '../../../cli/main';
import { CorruptMediaError } from '../../../activities/media';
import { ffprobe, makeClip } from './clips';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'reelcast-media-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function program() {
  const p = await buildProgram();
  for (const c of [p, ...p.commands])
    c.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  return p;
}

test('writes the rendition, its poster and its preview, and shows progress', async () => {
  const clip = makeClip(dir, { shape: 'landscape', seconds: 1, fps: 24, audio: true });
  const out = join(dir, 'post.mp4');
  const stderr: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
  try {
    await (
      await program()
    ).parseAsync([
      'node',
      'reelcast',
      'transcode',
      clip,
      '--preset',
      'x',
      '--out',
      out,
      '--fit',
      'crop',
      '--caption',
      '新年快乐',
    ]);
  } finally {
    spy.mockRestore();
  }
  expect(ffprobe(out).streams[0]).toMatchObject({ codec_name: 'h264', width: 720, height: 1280 });
  expect(existsSync(join(dir, 'post.poster.jpg'))).toBe(true);
  expect(existsSync(join(dir, 'post.preview.webp'))).toBe(true);
  expect(stderr.join('')).toMatch(/transcode x \[#+\] 100%/);
  expect(stderr.join('')).toMatch(/720x1280 H\.264 High 3\.1/);
});

test('a corrupt input fails with the reason and writes nothing', async () => {
  const bad = join(dir, 'bad.mkv');
  writeFileSync(bad, 'not a video');
  const out = join(dir, 'bad.mp4');
  await expect(
    (await program()).parseAsync(['node', 'reelcast', 'transcode', bad, '--preset', 'reels', '--out', out]),
  ).rejects.toBeInstanceOf(CorruptMediaError);
  expect(existsSync(out)).toBe(false);
});

test('an unknown preset is refused by the command line parser', async () => {
  await expect(
    (await program()).parseAsync([
      'node',
      'reelcast',
      'transcode',
      'in.mkv',
      '--preset',
      'facebook',
      '--out',
      'o.mp4',
    ]),
  ).rejects.toThrow(/Allowed choices are x, reels, tiktok, shorts/);
});
