/**
 * One of several processes racing to increment a counter object by compare-and-swap:
 *   node -r ./test/fakes/register.js test/unit/storage/cas-racer.ts <root> <key> <rounds> <go-file>
 * Prints READY, waits for <go-file> so all racers start together, then increments `rounds` times
 * (re-reading after each lost swap) and prints how many swaps it won and lost.
 */
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { FsStorage } from '../../../activities/storage';

async function main(): Promise<void> {
  const [root, key, rounds, go] = process.argv.slice(2);
  const storage = new FsStorage(root);
  process.stdout.write('READY\n');
  while (!existsSync(go)) await sleep(5);
  let won = 0;
  let lost = 0;
  while (won < Number(rounds)) {
    const read = (await storage.getVersioned(key))!;
    const next = String(Number(read.body.toString()) + 1);
    if (await storage.replaceIf(key, next, read.version)) won++;
    else lost++;
  }
  process.stdout.write(`${JSON.stringify({ won, lost })}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`cas racer: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
