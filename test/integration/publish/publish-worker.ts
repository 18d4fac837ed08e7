/**
 * A publish worker as a process of its own, so a test can SIGKILL it mid-publish:
 *   node -r ./test/fakes/register.js test/integration/publish/publish-worker.ts <taskQueue>
 * Configured from the environment like any Reelcast worker (X_API_BASE_URL, X_* secrets, S3_*).
 * Prints READY when it polls.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { loadConfig } from '../../../config';
import { createPublishActivities } from '../../../activities/publish';
import { openStorage } from '../../../activities/storage';

async function main(): Promise<void> {
  const config = loadConfig();
  const connection = await NativeConnection.connect({ address: config.temporal.address });
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
