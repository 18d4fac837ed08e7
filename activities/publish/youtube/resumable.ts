import type { Readable } from 'node:stream';

/**
 * Google's resumable upload protocol, the parts that are plain arithmetic
 * (developers.google.com/youtube/v3/guides/using_resumable_upload_protocol):
 *
 *   POST /upload/youtube/v3/videos?uploadType=resumable  → 200, Location: the session URI
 *   PUT  <session>  Content-Range: bytes FIRST-LAST/TOTAL  → 308 Range: bytes=0-N  (continue at N+1)
 *                                                           → 200/201 with the video (the last byte)
 *   PUT  <session>  Content-Range: bytes *\/TOTAL, no body  → the same answers: where to continue
 *
 * Every chunk but the last is a multiple of 256 KiB, and after an interruption the server may
 * have kept fewer bytes than were sent: the Range it answers, not what was sent, says where to go on.
 */

export const UPLOAD_GRANULARITY = 256 * 1024;

export interface ChunkPlan {
  first: number;
  /** Inclusive, as Content-Range writes it. */
  last: number;
  isLast: boolean;
}

/** Throws unless `chunkBytes` is a positive multiple of 256 KiB. */
export function checkChunkBytes(chunkBytes: number): number {
  if (!Number.isInteger(chunkBytes) || chunkBytes <= 0 || chunkBytes % UPLOAD_GRANULARITY !== 0) {
    throw new RangeError(
      `YouTube upload chunks must be a multiple of 256 KiB (262144 bytes); got ${chunkBytes}`,
    );
  }
  return chunkBytes;
}

/** The chunk that starts at `offset` of a `total`-byte file. */
export function chunkAt(offset: number, total: number, chunkBytes: number): ChunkPlan {
  if (offset < 0 || offset >= total) throw new RangeError(`offset ${offset} is outside 0-${total - 1}`);
  const last = Math.min(offset + chunkBytes, total) - 1;
  return { first: offset, last, isLast: last === total - 1 };
}

export function contentRange(chunk: ChunkPlan, total: number): string {
  return `bytes ${chunk.first}-${chunk.last}/${total}`;
}

/** The Content-Range of a status query: no bytes, only the total. */
export function statusQueryRange(total: number): string {
  return `bytes */${total}`;
}

/**
 * The number of bytes the server holds, from a 308's Range header (`bytes=0-N` → N+1). No header:
 * nothing was received. Anything else (a range not starting at 0) is a protocol error.
 */
export function receivedBytes(range: string | null | undefined): number {
  if (range === null || range === undefined || range.trim() === '') return 0;
  const m = /^bytes=0-(\d+)$/.exec(range.trim());
  if (!m) throw new Error(`unexpected Range header from the upload server: ${JSON.stringify(range)}`);
  return Number(m[1]) + 1;
}

/**
 * Reads byte ranges of an object in increasing order from one storage stream into one reused
 * buffer, so an upload holds about one chunk in memory whatever the file size, and makes no
 * garbage per chunk beyond the stream's own pieces. A range that starts inside the last one (a
 * resume after YouTube kept part of a chunk) is served from the buffer; one that starts before it
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

  constructor(open: () => Promise<Readable>) {
    this.#open = open;
  }

  /**
   * Bytes [first, end), shorter only when the object ends first. The view is valid until the
   * next read: send it before reading again.
   */
  async read(first: number, end: number): Promise<Buffer> {
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
