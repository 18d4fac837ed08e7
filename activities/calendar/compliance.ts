/**
 * The blocked-terms list (compliance): a rendered prompt or caption containing one is an error,
 * so the post is never generated. Matching ignores case and width (NFKC); a Latin term matches
 * whole words only ("ass" does not block "class"), a CJK term matches anywhere.
 */
export class BlockedTerms {
  readonly #pattern?: RegExp;

  constructor(readonly terms: readonly string[]) {
    const cleaned = [...new Set(terms.map((t) => t.normalize('NFKC').trim()).filter(Boolean))];
    if (cleaned.length === 0) return;
    const parts = cleaned
      .sort((a, b) => b.length - a.length)
      .map((t) => {
        const escaped = t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+');
        const wordy = /^[\p{L}\p{N}]/u.test(t) && !/[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]/.test(t);
        return wordy ? `(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])` : escaped;
      });
    this.#pattern = new RegExp(parts.join('|'), 'iu');
  }

  /** The first blocked term in the text, as written in the text; undefined when clean. */
  find(text: string): string | undefined {
    if (!this.#pattern) return undefined;
    return this.#pattern.exec(text.normalize('NFKC'))?.[0];
  }
}

/** Reads a blocked-terms file: one term a line; blank lines and lines starting with # are skipped. */
export function parseBlockedTermsFile(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}
