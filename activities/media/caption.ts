/**
 * Burned-in captions: which font draws them and how the text breaks into lines. ffmpeg's drawtext
 * does not wrap, so lines are broken here, from an estimate of each character's width: CJK and
 * other full-width characters take one em, everything else at most 0.6 em (Noto Sans' widest
 * Latin capitals), so an estimated line never overflows the safe area.
 */
import { existsSync } from 'node:fs';
import { InvalidMediaOptionsError } from './errors';

/** Debian's fonts-noto-cjk: one face that draws Latin, Chinese, Japanese and Korean. */
export const CJK_FONT_CANDIDATES = [
  '/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc',
  '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc',
];

/** The font file captions are drawn with; a clear error when the package is missing. */
export function captionFontFile(override?: string): string {
  const candidates = override ? [override] : CJK_FONT_CANDIDATES;
  const found = candidates.find((f) => existsSync(f));
  if (!found) {
    throw new InvalidMediaOptionsError(
      'caption',
      override
        ? `font file ${override} does not exist`
        : `no CJK-capable font found (looked for ${CJK_FONT_CANDIDATES.join(', ')}); install Debian's fonts-noto-cjk (apt-get install -y fonts-noto-cjk)`,
    );
  }
  return found;
}

/** East Asian Wide / Fullwidth ranges (Unicode UAX #11), enough for CJK, kana, hangul and fullwidth forms. */
const WIDE =
  /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]|[\u{20000}-\u{3fffd}]|[\u{1f300}-\u{1faff}]/u;

export function charWidthEm(ch: string): number {
  if (WIDE.test(ch)) return 1;
  if (ch === ' ') return 0.3;
  return 0.6;
}

function widthEm(text: string): number {
  let w = 0;
  for (const ch of text) w += charWidthEm(ch);
  return w;
}

/**
 * Normalizes caption text a person typed: control characters out, runs of spaces collapsed,
 * explicit line breaks kept.
 */
export function cleanCaption(text: string): string {
  return (
    text
      .replace(/\r\n?/g, '\n')
      .replace(/\t/g, ' ')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
      .split('\n')
      .map((line) => line.replace(/ {2,}/g, ' ').trim())
      .filter((line) => line.length > 0)
      .join('\n')
  );
}

/**
 * Breaks text into lines no wider than `maxEm`: at spaces between words, anywhere between two
 * wide (CJK) characters, and inside a word only when the word alone is too wide.
 */
export function wrapCaption(text: string, maxEm: number): string[] {
  const lines: string[] = [];
  for (const paragraph of cleanCaption(text).split('\n')) {
    if (!paragraph) continue;
    // Tokens: a wide character alone, or a run of narrow characters with its trailing space.
    const tokens =
      paragraph.match(
        /\p{Ideographic}|[\u3040-\u30ff\uac00-\ud7a3\uff00-\uffef]|[^\s\p{Ideographic}\u3040-\u30ff\uac00-\ud7a3\uff00-\uffef]+\s*|\s+/gu,
      ) ?? [];
    let line = '';
    const flush = (): void => {
      if (line.trim()) lines.push(line.trim());
      line = '';
    };
    for (const token of tokens) {
      if (widthEm(line + token.trimEnd()) <= maxEm) {
        line += token;
        continue;
      }
      flush();
      if (widthEm(token.trimEnd()) <= maxEm) {
        line = token.trimStart();
        continue;
      }
      // One word wider than a line: cut it by characters.
      for (const ch of token.trimEnd()) {
        if (widthEm(line + ch) > maxEm) flush();
        line += ch;
      }
      line += token.endsWith(' ') ? ' ' : '';
    }
    flush();
  }
  return lines;
}
