import { randomFillSync } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, readFileSync } from 'node:fs';

/** What the upload benchmarks measure with: test files, wall time, medians, peak RSS. */

const MiB = 1024 * 1024;

/** A file of `mb` MiB of random bytes (incompressible, like video), written with backpressure. */
export async function writeRandomFile(path: string, mb: number): Promise<void> {
  const out = createWriteStream(path);
  const chunk = Buffer.alloc(MiB);
  for (let i = 0; i < mb; i++) {
    randomFillSync(chunk);
    if (!out.write(Buffer.from(chunk))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** Milliseconds `fn` takes. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** This process's RSS before `fn` and its peak while `fn` runs (sampled every 5 ms), in MB. */
export async function peakRss(fn: () => Promise<unknown>): Promise<{ before: number; peak: number }> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  try {
    await fn();
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, process.memoryUsage().rss);
  return { before: before / MiB, peak: peak / MiB };
}

/**
 * CPU seconds this process has used, its threads and the children it has waited for (ffmpeg,
 * ffprobe) included: /proc/self/stat's utime, stime, cutime and cstime. Linux only (undefined
 * elsewhere); a long-lived child that is still running is not counted.
 */
export function cpuSecondsWithChildren(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // The command name is in parentheses and may itself hold ") ": split after the last one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command name: state is field 3, utime..cstime are fields 14..17 (1-based).
    const ticks = fields.slice(11, 15).reduce((sum, f) => sum + Number(f), 0);
    return ticks / 100;
  } catch {
    return undefined;
  }
}
