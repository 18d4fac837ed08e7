import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import { decodeHTML } from 'entities';
import { ManifestMismatchError } from './errors';
import { PrecompiledCharsmap } from './precompiled';

/** Token ids and attention mask of one prompt, padded or cut to the encoder's fixed length. */
export interface EncodedPrompt {
  ids: number[];
  mask: number[];
  /** Tokens the prompt had before it was cut (so a caller can warn that text was dropped). */
  length: number;
}

/**
 * WanPipeline's prompt_clean: HTML entities decoded twice (as Python's html.unescape does),
 * whitespace runs collapsed to one space, ends trimmed. (diffusers also runs ftfy.fix_text when
 * ftfy is installed; it is not a diffusers dependency and Reelcast does not mirror it.)
 */
export function cleanPrompt(text: string): string {
  return decodeHTML(decodeHTML(text)).trim().replace(/\s+/g, ' ').trim();
}

/**
 * The model's tokenizer.json, read offline. Wan pads umT5 input to 512 with the pad id (0) and a
 * zero mask; prompts longer than that are cut, keeping the end-of-sequence token last.
 */
export class PromptTokenizer {
  readonly #tokenizer: Tokenizer;
  readonly #padId: number;
  readonly #eosId: number | undefined;

  constructor(
    readonly path: string,
    readonly maxTokens: number,
  ) {
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
      this.#tokenizer = new Tokenizer(json, {});
      withExactCharsmap(this.#tokenizer);
    } catch (err) {
      throw new ManifestMismatchError(path, [
        `not a readable Hugging Face tokenizer.json: ${(err as Error).message}`,
      ]);
    }
    const model = json.model as { type?: string; byte_fallback?: boolean } | undefined;
    if (model?.type === 'Unigram' && model.byte_fallback) withByteFallback(this.#tokenizer);
    const padding = json.padding as { pad_id?: number } | null | undefined;
    this.#padId = padding?.pad_id ?? this.#tokenizer.token_to_id('<pad>') ?? 0;
    this.#eosId = this.#tokenizer.token_to_id('</s>');
  }

  encode(text: string): EncodedPrompt {
    const ids = this.#tokenizer.encode(text).ids.map(Number);
    const length = ids.length;
    if (ids.length > this.maxTokens) {
      const endsWithEos = this.#eosId !== undefined && ids[ids.length - 1] === this.#eosId;
      ids.length = this.maxTokens;
      if (endsWithEos) ids[this.maxTokens - 1] = this.#eosId!;
    }
    const mask = ids.map(() => 1);
    while (ids.length < this.maxTokens) {
      ids.push(this.#padId);
      mask.push(0);
    }
    return { ids, mask, length };
  }
}

/**
 * SentencePiece's byte fallback for a Unigram model that declares it (umT5's tokenizer, Wan2.2's
 * text encoder, does): characters that no piece covers become their UTF-8 bytes as `<0xNN>`
 * pieces, as the Rust `tokenizers` library (what diffusers runs) does. @huggingface/tokenizers'
 * Unigram ignores the flag (huggingface/tokenizers.js#26) and makes them one `<unk>`, which gives
 * the text encoder other ids than diffusers: an emoji in a prompt changed the clip. Its model
 * returns each piece's text, so the bytes are taken from there, per word, all or nothing like
 * the Rust library (a run of unknown characters is one span; if a byte piece is missing, `<unk>`).
 */
function withByteFallback(tokenizer: Tokenizer): void {
  const model = tokenizer.model;
  if (!model) return;
  const pieces = model.encode.bind(model);
  const bytePiece = (b: number): string => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
  model.encode = (words: string[]): string[] =>
    words.flatMap((word) => {
      const out: string[] = [];
      let unknown = '';
      const flush = (): void => {
        if (!unknown) return;
        const bytes = [...Buffer.from(unknown, 'utf8')].map(bytePiece);
        out.push(...(bytes.every((b) => model.tokens_to_ids.has(b)) ? bytes : [unknown]));
        unknown = '';
      };
      for (const piece of pieces([word])) {
        if (model.tokens_to_ids.has(piece)) {
          flush();
          out.push(piece);
        } else unknown += piece;
      }
      flush();
      return out;
    });
}

/**
 * SentencePiece's Precompiled normaliser read from its own table (precompiled.ts) in place of
 * @huggingface/tokenizers' NFKC approximation, which gave other ids than diffusers for 3 of
 * the umT5 fixture's 18 prompts (halfwidth katakana with a voiced mark, Hangul jamo, a
 * zero-width-joined emoji). Applied wherever one sits in the normaliser sequence.
 */
function withExactCharsmap(tokenizer: Tokenizer): void {
  interface Node {
    charsmap?: string | null;
    normalizers?: (Node | null)[];
    normalize(text: string): string;
  }
  const visit = (node: Node | null | undefined): void => {
    if (!node) return;
    if (typeof node.charsmap === 'string') {
      if (node.charsmap === '') node.normalize = (text) => text;
      else {
        const charsmap = new PrecompiledCharsmap(node.charsmap);
        node.normalize = (text) => charsmap.normalize(text);
      }
    }
    node.normalizers?.forEach(visit);
  };
  visit((tokenizer as unknown as { normalizer?: Node | null }).normalizer);
}
