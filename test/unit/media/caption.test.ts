/**
 * Captions: line breaking (pure), and burned in with a font that really draws CJK, from text
 * and temp paths that would break a naively escaped filter graph.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidMediaOptionsError, PRESETS, renderRendition } from '../../../activities/media';
import { charWidthEm, cleanCaption, wrapCaption } from '../../../activities/media/caption';
import { captionLineEm, layoutCaption } from '../../../activities/media/rendition-job';
import { greyBand, makeClip } from './clips';

const widthEm = (s: string): number => [...s].reduce((w, ch) => w + charWidthEm(ch), 0);

describe('wrapCaption', () => {
  test('breaks English at spaces and keeps every line within the width', () => {
    const lines = wrapCaption(
      'Spring sale starts today: fifty percent off every single item in the store',
      16,
    );
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) expect(widthEm(line)).toBeLessThanOrEqual(16);
    expect(lines.join(' ')).toBe(
      'Spring sale starts today: fifty percent off every single item in the store',
    );
  });

  test('breaks CJK between characters, where there are no spaces', () => {
    const text = '春节快乐新年新气象限时优惠全场五折欢迎光临';
    const lines = wrapCaption(text, 8);
    expect(lines).toEqual(['春节快乐新年新气', '象限时优惠全场五', '折欢迎光临']);
  });

  test('mixed scripts: a Latin word is never cut when it fits on the next line', () => {
    const lines = wrapCaption('新年快乐 Happy New Year 新年快乐', 9);
    for (const line of lines) expect(widthEm(line)).toBeLessThanOrEqual(9);
    expect(lines.join('|')).toMatch(/Happy/);
    expect(lines.some((l) => l.includes('Hap') && !l.includes('Happy'))).toBe(false);
  });

  test('a word longer than a line is cut by characters rather than overflowing', () => {
    const lines = wrapCaption('Supercalifragilisticexpialidocious', 10);
    for (const line of lines) expect(widthEm(line)).toBeLessThanOrEqual(10);
    expect(lines.join('')).toBe('Supercalifragilisticexpialidocious');
  });

  test('keeps explicit line breaks and drops control characters', () => {
    expect(cleanCaption('one\r\ntwo\u0007\tthree\n\n')).toBe('one\ntwo three');
    expect(wrapCaption('one\ntwo', 40)).toEqual(['one', 'two']);
  });
});

describe('burned-in captions', () => {
  let dir: string;
  let clip: string;
  const ffmpeg = { ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe' };
  const preset = PRESETS.x;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'reelcast-media-caption-'));
    clip = makeClip(dir, { pattern: 'smptebars', shape: 'landscape', seconds: 1, fps: 24, audio: false });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function posterWith(caption: string | undefined, name: string, workDirName = name): Promise<string> {
    const workDir = join(dir, workDirName);
    mkdirSync(workDir, { recursive: true });
    const outputs = {
      video: join(workDir, 'v.mp4'),
      poster: join(workDir, 'p.jpg'),
      preview: join(workDir, 'p.webp'),
    };
    await renderRendition(
      { inputPath: clip, preset: 'x', fit: 'pad', caption, outputs },
      { ffmpeg, workDir },
    );
    return outputs.poster;
  }

  /** The caption's one-line band in the x preset, from the same layout the encoder uses. */
  function captionBand(poster: string): Buffer {
    const line = layoutCaption(preset, ['line'], 'font').lines[0];
    return greyBand(poster, { y: line.y - 10, height: 64 }).pixels;
  }

  function difference(a: Buffer, b: Buffer): number {
    let sum = 0;
    for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
    return sum / a.length;
  }

  test('CJK text is drawn with real glyphs: different words give different pixels, not the same missing-glyph boxes', async () => {
    const none = captionBand(await posterWith(undefined, 'none'));
    const spring = captionBand(await posterWith('春节快乐', 'spring'));
    const future = captionBand(await posterWith('未来科技', 'future'));
    expect(difference(none, spring)).toBeGreaterThan(5); // a caption is there
    // With a font lacking CJK both would be four identical .notdef boxes.
    expect(difference(spring, future)).toBeGreaterThan(3);
  });

  test('quotes, colons, percent signs and brackets in the text and in the temp path are safe', async () => {
    const poster = await posterWith(
      `It's 50% off: [today]; {only} \\ "really" %{pts} 'quoted'`,
      'nasty',
      "it's: a [dir], with; commas",
    );
    expect(captionBand(poster).length).toBeGreaterThan(0);
  });

  test('a caption longer than the safe area can hold is refused with the line count', async () => {
    const words = Array.from({ length: Math.ceil(captionLineEm(preset)) * 6 }, () => 'word').join(' ');
    const err = await posterWith(words, 'long').catch((e: Error) => e);
    expect(err).toBeInstanceOf(InvalidMediaOptionsError);
    expect((err as Error).message).toMatch(/caption: needs \d+ lines on x; at most 4/);
  });
});
