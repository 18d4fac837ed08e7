/**
 * TikTok's media transfer rules for FILE_UPLOAD (developers.tiktok.com, "Media Transfer Guide"):
 *
 *   - total_chunk_count = floor(video_size / chunk_size)
 *   - each chunk 5–64 MB; the last one takes the trailing bytes and may reach 128 MB
 *   - a video under 5 MB goes whole, as one chunk of its own size; one over 64 MB in several
 *   - 1 to 1000 chunks, sent in order
 *
 * The guide does not say whether a MB is 10^6 or 2^20 bytes, so the plan stays inside both
 * readings: at least 5 MiB, at most 64 000 000 bytes per chunk. Pure module.
 */

const MiB = 1024 * 1024;
export const MIN_CHUNK_BYTES = 5 * MiB;
export const MAX_CHUNK_BYTES = 64_000_000;
export const MAX_LAST_CHUNK_BYTES = 128_000_000;
export const MAX_CHUNKS = 1000;
export const DEFAULT_CHUNK_BYTES = 10 * MiB;

export interface ChunkRange {
  /** Byte offsets, both inclusive, as Content-Range writes them. */
  first: number;
  last: number;
}

export interface ChunkPlan {
  videoSize: number;
  chunkSize: number;
  totalChunkCount: number;
}

/** The chunk_size and total_chunk_count to declare for a video of `videoSize` bytes. */
export function planChunks(videoSize: number, preferredChunkBytes = DEFAULT_CHUNK_BYTES): ChunkPlan {
  if (!Number.isSafeInteger(videoSize) || videoSize <= 0) {
    throw new RangeError(`a video to upload has at least one byte (got ${videoSize})`);
  }
  let chunkSize = Math.min(Math.max(preferredChunkBytes, MIN_CHUNK_BYTES), MAX_CHUNK_BYTES);
  // Chunks of the preferred size would be too many: take bigger ones.
  chunkSize = Math.max(chunkSize, Math.ceil(videoSize / MAX_CHUNKS));
  if (chunkSize > MAX_CHUNK_BYTES) {
    throw new RangeError(
      `a video of ${videoSize} bytes needs more than ${MAX_CHUNKS} chunks of ${MAX_CHUNK_BYTES} bytes; TikTok takes at most ${MAX_CHUNKS * MAX_CHUNK_BYTES} bytes`,
    );
  }
  // Whole, in one chunk: required under 5 MB, allowed up to the chunk maximum.
  if (videoSize <= MAX_CHUNK_BYTES && videoSize < 2 * chunkSize) {
    return { videoSize, chunkSize: videoSize, totalChunkCount: 1 };
  }
  // Over 64 MB is never one chunk: at least two, the second taking the odd byte.
  if (videoSize < 2 * chunkSize) chunkSize = Math.floor(videoSize / 2);
  return { videoSize, chunkSize, totalChunkCount: Math.floor(videoSize / chunkSize) };
}

/** The byte range of chunk `index` (0-based): the last chunk runs to the end of the video. */
export function chunkRange(plan: ChunkPlan, index: number): ChunkRange {
  const first = index * plan.chunkSize;
  const last = index === plan.totalChunkCount - 1 ? plan.videoSize - 1 : first + plan.chunkSize - 1;
  return { first, last };
}

export function contentRange(plan: ChunkPlan, range: ChunkRange): string {
  return `bytes ${range.first}-${range.last}/${plan.videoSize}`;
}

/** Which chunk starts at `offset`, or undefined when no chunk does (a resume must start at one). */
export function chunkAt(plan: ChunkPlan, offset: number): number | undefined {
  const index = offset / plan.chunkSize;
  return Number.isInteger(index) && index < plan.totalChunkCount ? index : undefined;
}
