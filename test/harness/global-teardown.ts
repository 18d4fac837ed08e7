import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const test = globalThis.__reelcastStack;
  if (!test) return;
  await test.stack.stop();
  if (process.env.REELCAST_KEEP_TEST_DATA !== '1') rmSync(test.dataDir, { recursive: true, force: true });
}
