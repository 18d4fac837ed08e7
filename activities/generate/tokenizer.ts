import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import { decodeHTML } from 'entities';
import { ManifestMismatchError } from './errors';

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
    } catch (err) {
      throw new ManifestMismatchError(path, [
        `not a readable Hugging Face tokenizer.json: ${(err as Error).message}`,
      ]);
    }
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
