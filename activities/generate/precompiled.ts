/**
 * SentencePiece's "Precompiled" normaliser, exactly as the Rust `tokenizers` library (what
 * diffusers runs) applies it: the `precompiled_charsmap` of a tokenizer.json holds a double-array
 * trie (Darts-clone) over UTF-8 bytes whose values point into a blob of NUL-terminated
 * replacement strings (umT5's is nmt_nfkc: NFKC plus SentencePiece's own rules for spaces and
 * control characters). @huggingface/tokenizers approximates it with String.normalize('NFKC') and
 * a few regular expressions, which differs for some characters; this reads the table itself.
 *
 * Layout: u32 LE trie size in bytes, the trie (u32 LE units), then the replacement strings.
 * Each grapheme cluster under 6 bytes is looked up whole first, otherwise (or when it has no
 * rule) each of its characters; a lookup takes the first (shortest) key that is a prefix of it.
 * That is SentencePiece's and the Rust library's behaviour, odd as it is, reproduced as is.
 */
export class PrecompiledCharsmap {
  readonly #trie: Uint32Array;
  readonly #replacements: Buffer;
  readonly #graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

  constructor(base64: string) {
    const bytes = Buffer.from(base64, 'base64');
    if (bytes.length < 4) throw new Error('precompiled_charsmap: shorter than its 4-byte header');
    const trieBytes = bytes.readUInt32LE(0);
    if (trieBytes % 4 !== 0 || 4 + trieBytes > bytes.length)
      throw new Error(`precompiled_charsmap: a trie of ${trieBytes} bytes does not fit its ${bytes.length}`);
    this.#trie = new Uint32Array(trieBytes / 4);
    for (let i = 0; i < this.#trie.length; i++) this.#trie[i] = bytes.readUInt32LE(4 + 4 * i);
    this.#replacements = bytes.subarray(4 + trieBytes);
  }

  normalize(text: string): string {
    let out = '';
    for (const { segment } of this.#graphemes.segment(text)) {
      const whole = Buffer.byteLength(segment, 'utf8') < 6 ? this.#transform(segment) : undefined;
      if (whole !== undefined) {
        out += whole;
        continue;
      }
      for (const char of segment) out += this.#transform(char) ?? char;
    }
    return out;
  }

  /** The replacement of the first trie key that is a prefix of `chunk`'s bytes, if any. */
  #transform(chunk: string): string | undefined {
    const value = this.#firstPrefixValue(Buffer.from(chunk, 'utf8'));
    if (value === undefined) return undefined;
    const end = this.#replacements.indexOf(0, value);
    return this.#replacements.toString('utf8', value, end < 0 ? this.#replacements.length : end);
  }

  #firstPrefixValue(key: Buffer): number | undefined {
    const trie = this.#trie;
    let node = offset(trie[0]);
    for (const c of key) {
      if (c === 0) break;
      node ^= c;
      const unit = trie[node];
      if (unit === undefined || label(unit) !== c) return undefined;
      node ^= offset(unit);
      if (hasLeaf(unit)) return trie[node] & 0x7fffffff;
    }
    return undefined;
  }
}

// Darts-clone's unit: bits 0-7 label (bit 31 set on value units), bit 8 has-leaf, bit 9 offset
// scale, bits 10-31 offset.
const hasLeaf = (unit: number): boolean => ((unit >>> 8) & 1) === 1;
const label = (unit: number): number => (unit & 0x800000ff) >>> 0;
const offset = (unit: number): number => (unit >>> 10) << ((unit & 0x200) >>> 6);
