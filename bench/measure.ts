import { randomFillSync } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

/** What benchmarks share: a random file of a given size, a timer, the median of runs. */

const MiB = 1024 * 1024;

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

/** Milliseconds `fn` took. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
