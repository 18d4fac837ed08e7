import { inspect } from 'node:util';

/**
 * A secret value (API key, token, password). It never prints itself: logs, JSON and
 * `console.log` see `[redacted]`; only `reveal()` gives the value, at the point of use.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return 'Secret([redacted])';
  }
}
