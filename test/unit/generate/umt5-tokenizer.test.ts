import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PromptTokenizer } from '../../../activities/generate/tokenizer';

/**
 * Wan2.2's text encoder is umT5, whose tokenizer is a SentencePiece Unigram model with byte
 * fallback and SentencePiece's own normalisation (a precompiled charsmap). The tiny checkpoint's
 * parity test uses a simpler tokenizer, so this one checks that shape: a tokenizer built like
 * umT5's (models/export/build_tiny.py --umt5-tokenizer, offline) must give the ids that Python's
 * `tokenizers` gives (diffusers' tokenizer), which build_tiny.py checked against SentencePiece
 * itself for the first 13 prompts; the last 5 are where the tokenizer's own normalisation table
 * and NFKC part ways. `make test-export` rebuilds it into WAN_TINY_DIR and runs this file on the fresh copy.
 */

const DIR = join(
  resolve(process.env.WAN_TINY_DIR ?? join(__dirname, '../../fixtures/wan-tiny')),
  'umt5-tokenizer',
);
const { cases } = JSON.parse(readFileSync(join(DIR, 'cases.json'), 'utf8')) as {
  cases: { text: string; ids: number[] }[];
};

describe('an umT5-shaped tokenizer gives the ids diffusers gives', () => {
  const tokenizer = new PromptTokenizer(join(DIR, 'tokenizer.json'), 512);

  it.each(cases.map((c) => [JSON.stringify(c.text), c] as const))('%s', (_, { text, ids }) => {
    const encoded = tokenizer.encode(text);
    expect(encoded.ids.slice(0, encoded.length)).toEqual(ids);
  });

  it('spells characters outside the vocabulary as their UTF-8 bytes, not <unk>', () => {
    const emoji = tokenizer.encode('🐶');
    const pieces = emoji.ids.slice(0, emoji.length);
    expect(pieces).not.toContain(2); // <unk>
    expect(pieces.length).toBeGreaterThanOrEqual(5); // 4 bytes of U+1F436, then </s>
  });
});

describe("the tokenizer's normalisation table", () => {
  it('a tokenizer.json whose table is cut short is refused, naming the file and the table', () => {
    const dir = mkdtempSync(join(tmpdir(), 'reelcast-umt5-'));
    try {
      const json = JSON.parse(readFileSync(join(DIR, 'tokenizer.json'), 'utf8'));
      const table = json.normalizer.normalizers[0];
      table.precompiled_charsmap = Buffer.from(table.precompiled_charsmap, 'base64')
        .subarray(0, 100)
        .toString('base64');
      const path = join(dir, 'tokenizer.json');
      writeFileSync(path, JSON.stringify(json));
      expect(() => new PromptTokenizer(path, 512)).toThrow(
        new RegExp(
          `${path}[\\s\\S]*not a readable Hugging Face tokenizer\\.json: precompiled_charsmap: a trie of \\d+ bytes does not fit its 100`,
        ),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
