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
