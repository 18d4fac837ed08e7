import { startTestStack, type TestStack } from './stack';

declare global {
  var __reelcastStack: TestStack | undefined;
}

/**
 * Starts the real services once for the `stack` test project. If one of them dies during the
 * run, the run stops at once with a message that names it, instead of tests hanging on it.
 */
export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const test = await startTestStack((line) => process.stderr.write(`[stack] ${line}\n`));
  Object.assign(process.env, test.env);
  globalThis.__reelcastStack = test;
  for (const proc of test.stack.processes) {
    proc.onUnexpectedExit((error) => {
      process.stderr.write(
        `\n[stack] ${error.message}\n[stack] The test run stops here: the tests need this service. Data dir: ${test.dataDir}\n`,
      );
      process.exit(1);
    });
  }
  process.stderr.write(
    `[stack] Temporal ${test.env.TEMPORAL_ADDRESS} (UI ${test.env.REELCAST_TEMPORAL_UI_URL}), S3 ${test.env.S3_ENDPOINT}, ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
}
