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
 * Reads byte ranges of an object in increasing order from one storage stream, keeping only the
 * last range read (a chunk) so a resume inside it does not re-read storage. A range before that
 * opens the object again. Memory: about one chunk plus one stream piece.
 */
export class RangeReader {
  readonly #open: () => Promise<Readable>;
  #stream: Readable | undefined;
  #pieces: AsyncIterator<Buffer> | undefined;
  #kept: Buffer = Buffer.alloc(0);
  #keptStart = 0;

  constructor(open: () => Promise<Readable>) {
    this.#open = open;
  }

  /** Bytes [first, end); shorter only when the object ends first. */
  async read(first: number, end: number): Promise<Buffer> {
    if (!this.#pieces || first < this.#keptStart) await this.#reopen();
    const parts: Buffer[] = [];
    let pos = this.#keptStart + this.#kept.length; // the stream's position
    let length = 0;
    if (first < pos) {
      parts.push(this.#kept.subarray(first - this.#keptStart));
      length = pos - first;
    }
    while (first + length < end) {
      const next = await this.#pieces!.next();
      if (next.done) break;
      const piece = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as Uint8Array);
      const start = pos;
      pos += piece.length;
      if (pos <= first) continue; // before the range: skipped
      const from = Math.max(0, first - start);
      parts.push(from ? piece.subarray(from) : piece);
      length += piece.length - from;
    }
    const all = parts.length === 1 ? parts[0] : Buffer.concat(parts, length);
    this.#kept = all;
    this.#keptStart = first;
    return all.subarray(0, Math.min(end - first, all.length));
  }

  close(): void {
    this.#stream?.destroy();
    this.#stream = undefined;
    this.#pieces = undefined;
  }

  async #reopen(): Promise<void> {
    this.close();
    this.#stream = await this.#open();
    this.#pieces = this.#stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    this.#kept = Buffer.alloc(0);
    this.#keptStart = 0;
  }
}
