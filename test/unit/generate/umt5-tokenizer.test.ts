import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PromptTokenizer } from '../../../activities/generate/tokenizer';

/**
 * Wan2.2's text encoder is umT5, whose tokenizer is a SentencePiece Unigram model with byte
 * fallback and SentencePiece's own normalisation (a precompiled charsmap). The tiny checkpoint's
 * parity test uses a simpler tokenizer, so this one checks that shape: a tokenizer built like
 * umT5's (models/export/build_tiny.py --umt5-tokenizer, offline) must give the ids that Python's
 * `tokenizers` gives (diffusers' tokenizer), which build_tiny.py checked against SentencePiece
 * itself. `make test-export` rebuilds it into WAN_TINY_DIR and runs this file on the fresh copy.
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
