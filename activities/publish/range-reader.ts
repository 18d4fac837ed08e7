import type { Readable } from 'node:stream';
import type { ObjectStorage } from '../storage';

/**
 * Reads byte ranges of an object in increasing order from one storage stream into one reused
 * buffer, so an upload holds about one chunk in memory whatever the file size, and makes no
 * garbage per chunk beyond the stream's own pieces. A range that starts inside the last one (a
 * resume after the platform kept part of a chunk) is served from the buffer; one that starts before it
 * opens the object again.
 */
export class RangeReader {
  readonly #open: () => Promise<Readable>;
  #stream: Readable | undefined;
  #pieces: AsyncIterator<Buffer> | undefined;
  #buf: Buffer = Buffer.alloc(0);
  /** The buffer holds bytes [#start, #start + #length); stream bytes after them wait in #spare. */
  #start = 0;
  #length = 0;
  #spare: Buffer | undefined;

  readonly #readAt: ((position: number, into: Buffer) => Promise<number>) | undefined;

  /**
   * `readAt`, when the store has it (ObjectStorage.readInto), fills the buffer straight from
   * storage: a stream's pieces are a new buffer each, garbage that held a 500 MB upload's RSS
   * about 55 MB higher until the GC came (bench/publish-instagram.bench.ts).
   */
  constructor(open: () => Promise<Readable>, readAt?: (position: number, into: Buffer) => Promise<number>) {
    this.#open = open;
    this.#readAt = readAt;
  }

  /** Reads `key` of `storage`, with its readInto when it has one. */
  static of(storage: ObjectStorage, key: string): RangeReader {
    return new RangeReader(
      () => storage.get(key),
      storage.readInto && ((position, into) => storage.readInto!(key, position, into)),
    );
  }

  /**
   * Bytes [first, end), shorter only when the object ends first. The view is valid until the
   * next read: send it before reading again.
   */
  async read(first: number, end: number): Promise<Buffer> {
    if (this.#readAt) return this.#readDirect(first, end - first);
    if (!this.#pieces || first < this.#start) await this.#reopen();
    const kept = this.#start + this.#length;
    if (first < kept) {
      this.#buf.copyWithin(0, first - this.#start, this.#length);
      this.#length = kept - first;
    } else {
      await this.#skipTo(first, kept);
      this.#length = 0;
    }
    this.#start = first;
    const want = end - first;
    if (this.#buf.length < want) {
      const bigger = Buffer.allocUnsafe(want);
      this.#buf.copy(bigger, 0, 0, this.#length);
      this.#buf = bigger;
    }
    while (this.#length < want) {
      const piece = this.#spare ?? (await this.#next());
      if (!piece) break;
      const n = Math.min(piece.length, want - this.#length);
      piece.copy(this.#buf, this.#length, 0, n);
      this.#length += n;
      this.#spare = n < piece.length ? piece.subarray(n) : undefined;
    }
    return this.#buf.subarray(0, Math.min(this.#length, want));
  }

  async #readDirect(first: number, want: number): Promise<Buffer> {
    if (this.#buf.length < want) this.#buf = Buffer.allocUnsafe(want);
    let n = 0;
    while (n < want) {
      const got = await this.#readAt!(first + n, this.#buf.subarray(n, want));
      if (got === 0) break;
      n += got;
    }
    return this.#buf.subarray(0, n);
  }

  close(): void {
    this.#stream?.destroy();
    this.#stream = undefined;
    this.#pieces = undefined;
  }

  /** Drops stream bytes from `at` (where #spare starts) up to `first`. */
  async #skipTo(first: number, at: number): Promise<void> {
    while (at < first) {
      const piece = this.#spare ?? (await this.#next());
      if (!piece) return;
      this.#spare = at + piece.length > first ? piece.subarray(first - at) : undefined;
      at = Math.min(at + piece.length, first);
    }
  }

  async #next(): Promise<Buffer | undefined> {
    const next = await this.#pieces!.next();
    if (next.done) return undefined;
    return Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as Uint8Array);
  }

  async #reopen(): Promise<void> {
    this.close();
    this.#stream = await this.#open();
    this.#pieces = this.#stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    this.#start = 0;
    this.#length = 0;
    this.#spare = undefined;
  }
}
