import { chunkAt, chunkRange, contentRange, planChunks } from '../../../activities/publish/tiktok/chunks';
import { chunkRuleBroken } from '../../fakes/tiktok/server';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** Every Content-Range the upload sends, in order. */
function ranges(size: number, preferred?: number): string[] {
  const plan = planChunks(size, preferred);
  return Array.from({ length: plan.totalChunkCount }, (_, i) => contentRange(plan, chunkRange(plan, i)));
}

describe('TikTok chunk plan (media transfer guide)', () => {
  it.each([
    // size, chunk_size, total_chunk_count, last chunk's Content-Range
    ['1 MB', MiB, MiB, 1, `bytes 0-${MiB - 1}/${MiB}`],
    ['5 MB', 5 * MiB, 5 * MiB, 1, `bytes 0-${5 * MiB - 1}/${5 * MiB}`],
    ['5 MB + 1', 5 * MiB + 1, 5 * MiB + 1, 1, `bytes 0-${5 * MiB}/${5 * MiB + 1}`],
    ['64 MB', 64 * MiB, 10 * MiB, 6, `bytes ${50 * MiB}-${64 * MiB - 1}/${64 * MiB}`],
    ['200 MB', 200 * MiB, 10 * MiB, 20, `bytes ${190 * MiB}-${200 * MiB - 1}/${200 * MiB}`],
    ['1 GB', GiB, 10 * MiB, 102, `bytes ${1010 * MiB}-${GiB - 1}/${GiB}`],
  ])('%s: chunk_size, total_chunk_count and the last range', (_label, size, chunk, count, lastRange) => {
    const plan = planChunks(size);
    expect(plan).toEqual({ videoSize: size, chunkSize: chunk, totalChunkCount: count });
    const all = ranges(size);
    expect(all).toHaveLength(count);
    expect(all[all.length - 1]).toBe(lastRange);
    expect(chunkRuleBroken(size, plan.chunkSize, plan.totalChunkCount)).toBeUndefined();
  });

  it('the ranges cover every byte once, in order, the trailing bytes in the last chunk', () => {
    const size = 64 * MiB + 123;
    const plan = planChunks(size);
    let next = 0;
    for (let i = 0; i < plan.totalChunkCount; i++) {
      const r = chunkRange(plan, i);
      expect(r.first).toBe(next);
      next = r.last + 1;
    }
    expect(next).toBe(size);
    expect(
      chunkRange(plan, plan.totalChunkCount - 1).last - chunkRange(plan, plan.totalChunkCount - 1).first + 1,
    ).toBe(14 * MiB + 123);
  });

  it('keeps a preferred chunk size inside 5–64 MB and under 1000 chunks', () => {
    expect(planChunks(12 * MiB, 1 * MiB)).toEqual({
      videoSize: 12 * MiB,
      chunkSize: 5 * MiB,
      totalChunkCount: 2,
    });
    expect(planChunks(200 * MiB, 100 * MiB).chunkSize).toBe(64_000_000);
    const huge = planChunks(20 * GiB, 5 * MiB);
    expect(huge.totalChunkCount).toBeLessThanOrEqual(1000);
    expect(chunkRuleBroken(huge.videoSize, huge.chunkSize, huge.totalChunkCount)).toBeUndefined();
  });

  it('never sends a video over 64 MB as one chunk', () => {
    const plan = planChunks(100_000_001, 64_000_000);
    expect(plan.totalChunkCount).toBe(2);
    expect(chunkRuleBroken(plan.videoSize, plan.chunkSize, plan.totalChunkCount)).toBeUndefined();
  });

  it('a resume starts at a chunk boundary only', () => {
    const plan = planChunks(25 * MiB, 5 * MiB);
    expect(chunkAt(plan, 10 * MiB)).toBe(2);
    expect(chunkAt(plan, 10 * MiB + 1)).toBeUndefined();
    expect(chunkAt(plan, 25 * MiB)).toBeUndefined();
  });

  it('refuses what TikTok cannot take', () => {
    expect(() => planChunks(0)).toThrow(RangeError);
    expect(() => planChunks(70 * GiB)).toThrow(/TikTok takes at most 64000000000 bytes/);
  });
});
