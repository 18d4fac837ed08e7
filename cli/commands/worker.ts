import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { TASK_QUEUE_ROLES, type QueueRole, type ReelcastConfig } from '../../config';
import { S3Storage } from '../../activities/storage';
import { ensureSearchAttributes } from '../../services/search-attributes';
import { connectClient, connectWorker } from '../../worker/connection';
import { createWorkers } from '../../worker/worker';
import { taskQueues } from '../../workflows/queues';
import { commandConfig, say } from '../context';
import { syncSchedules } from '../schedules';

export function parseQueues(text: string): QueueRole[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = items.filter((q) => !(TASK_QUEUE_ROLES as readonly string[]).includes(q));
  if (bad.length || items.length === 0) {
    throw new Error(
      `--queues: unknown queue ${bad.join(', ') || '(none)'}; use a comma-separated list of ${TASK_QUEUE_ROLES.join(', ')}`,
    );
  }
  return [...new Set(items)] as QueueRole[];
}

/** A worker on a fresh cluster makes what it needs: the bucket and the search attributes. */
async function prepareServices(config: ReelcastConfig): Promise<void> {
  if (config.storage.kind === 's3') {
    const s3 = config.storage.s3;
    const storage = new S3Storage({
      ...s3,
      accessKeyId: s3.accessKeyId?.reveal(),
      secretAccessKey: s3.secretAccessKey?.reveal(),
    });
    await storage.ensureBucket().finally(() => storage.client.destroy());
  }
  const client = await connectClient(config);
  let notAdded: string[];
  try {
    notAdded = await ensureSearchAttributes(client, config.temporal.namespace);
    await checkSchedules(client, config);
  } finally {
    await client.connection.close();
  }
  if (notAdded.length > 0) {
    say(
      `warning: could not register search attributes ${notAdded.join(', ')}; ask a namespace admin to add them (Keyword/Text), or \`reelcast failures\` cannot filter.`,
    );
  }
}

/**
 * Says when the daily schedules do not match the calendars (a calendar changed since the last
 * `reelcast schedule sync`). It does not sync itself: workers run on many machines, each with
 * whatever calendars it was deployed with, and one started from an old checkout must not move
 * every calendar's schedule back. Syncing is one explicit step after a calendar change.
 */
async function checkSchedules(client: Client, config: ReelcastConfig): Promise<void> {
  try {
    const changes = await syncSchedules(client, config, { dryRun: true });
    const stale = changes.filter((c) => c.change !== 'unchanged');
    if (stale.length > 0)
      say(
        `warning: the daily schedules do not match the calendars in ${config.calendarsDir} (${stale.map((c) => `${c.calendar}: ${c.change === 'created' ? 'no schedule' : c.change === 'deleted' ? 'calendar gone' : 'time changed'}`).join('; ')}); run \`reelcast schedule sync\` so posting happens every day by itself`,
      );
  } catch (err) {
    say(`warning: could not compare the daily schedules with the calendars: ${(err as Error).message}`);
  }
}

export function register(program: Command): void {
  program
    .command('worker')
    .description('run a worker: workflows plus the role queues (SIGTERM lets running activities finish)')
    .option('--queues <list>', `role queues to serve: ${TASK_QUEUE_ROLES.join(',')} (default: worker.queues)`)
    .action(async (opts: { queues?: string }) => {
      const config = commandConfig();
      const queues = opts.queues ? parseQueues(opts.queues) : config.worker.queues;
      await prepareServices(config);
      const connection = await connectWorker(config);
      const set = await createWorkers(config, connection, queues);
      const names = taskQueues(config.temporal.taskQueue);
      const served = [
        names.workflows,
        ...queues.map((q) => names[q]),
        ...(queues.includes('media') ? [names.gate] : []),
      ];
      say(
        `worker ${process.pid} on ${config.temporal.address} serving ${served.join(', ')} (gpu concurrency ${config.worker.gpuConcurrency}, shutdown grace ${config.worker.shutdownGraceSeconds} s)`,
      );
      if (queues.includes('media')) say(set.contentCredentials);
      await set.run();
      await connection.close();
      say('worker stopped');
    });
}
