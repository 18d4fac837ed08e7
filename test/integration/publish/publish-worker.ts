/**
 * A publish worker as a process of its own, so a test can SIGKILL it mid-publish:
 *   node -r ./test/fakes/register.js test/integration/publish/publish-worker.ts <taskQueue>
 * Configured from the environment like any Reelcast worker (REELCAST_DELIVERY, each platform's
 * *_BASE_URL and app settings, S3_*); the accounts' tokens come from the token store.
 * Prints READY when it polls.
 */
import { Worker } from '@temporalio/worker';
import { loadConfig } from '../../../config';
import { createPublishActivities } from '../../../activities/publish';
import { openStorage } from '../../../activities/storage';
import { connectWorker } from '../../../worker/connection';

async function main(): Promise<void> {
  const config = loadConfig();
  // As `reelcast worker` connects: its runtime logs at REELCAST_LOG_LEVEL (default WARN).
  const connection = await connectWorker(config);
  const worker = await Worker.create({
    connection,
    taskQueue: process.argv[2],
    activities: createPublishActivities({ config, storage: openStorage(config) }),
  });
  const running = worker.run();
  process.stdout.write('READY\n');
  await running;
}

main().catch((err: Error) => {
  process.stderr.write(`publish worker: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
