import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Command } from 'commander';
import { openStorage } from '../../activities/storage';
import { checkFfmpeg } from '../../services/tools';
import { connectClient } from '../../worker/connection';
import { taskQueues } from '../../workflows/queues';
import { selfCheck, type SelfCheckResult } from '../../workflows/self-check';
import type { QueueRole, ReelcastConfig } from '../../config';
import { commandConfig } from '../context';
import { parseQueues } from './worker';

/** Queues among `queues` (plus the workflow queue) that no worker polls right now. */
export async function queuesWithoutWorkers(
  client: Client,
  config: ReelcastConfig,
  queues: QueueRole[],
): Promise<string[]> {
  const names = taskQueues(config.temporal.taskQueue);
  const namespace = config.temporal.namespace;
  const wanted = [
    { name: names.workflows, type: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW },
    ...queues.map((q) => ({
      name: names[q],
      type: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    })),
  ];
  const missing: string[] = [];
  for (const q of wanted) {
    const res = await client.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: q.name },
      taskQueueType: q.type,
    });
    // The server remembers pollers for minutes after a worker stops; a live one polls at least once a minute.
    const recent = (res.pollers ?? []).filter(
      (p) => Date.now() - Number(p.lastAccessTime?.seconds ?? 0) * 1000 < 90_000,
    );
    if (recent.length === 0) missing.push(q.name);
  }
  return missing;
}

/** Runs the self-check workflow: every queue must have a worker that can use the storage. */
export async function runSelfCheck(config: ReelcastConfig, queues: QueueRole[]): Promise<SelfCheckResult> {
  const client = await connectClient(config);
  try {
    const missing = await queuesWithoutWorkers(client, config, queues);
    if (missing.length > 0) {
      throw new Error(
        `no worker is serving ${missing.join(', ')}. Start one with \`reelcast worker\` (or \`reelcast worker --queues ...\` on the machine that should serve it).`,
      );
    }
    return await client.workflow.execute(selfCheck, {
      taskQueue: taskQueues(config.temporal.taskQueue).workflows,
      workflowId: `self-check/${new Date().toISOString()}`,
      args: [{ queues }],
      workflowExecutionTimeout: '90 seconds',
    });
  } finally {
    await client.connection.close();
  }
}

export function register(program: Command): void {
  program
    .command('doctor')
    .description('check ffmpeg, Temporal, storage, and that a worker answers on every queue')
    .option('--queues <list>', 'role queues that must have a worker (default: worker.queues)')
    .action(async (opts: { queues?: string }) => {
      const config = commandConfig();
      const ok = (what: string, detail: string) =>
        process.stdout.write(`ok    ${what.padEnd(10)} ${detail}\n`);
      const ff = await checkFfmpeg(config.ffmpeg);
      ok('ffmpeg', `${ff.version}`);
      const storage = openStorage(config);
      await storage.put('probes/doctor.txt', 'ok');
      ok(
        'storage',
        storage.kind === 's3'
          ? `${config.storage.s3.endpoint} bucket ${config.storage.s3.bucket}`
          : `${config.dataDir}/storage`,
      );
      const queues = opts.queues ? parseQueues(opts.queues) : config.worker.queues;
      const result = await runSelfCheck(config, queues);
      for (const p of result.probes) {
        ok('queue', `${p.queue}: worker pid ${p.pid} on ${p.host} wrote and read ${p.key}`);
        for (const fact of p.facts ?? []) ok('', `  ${fact}`);
      }
      for (const f of result.failed)
        process.stdout.write(`FAIL  ${'queue'.padEnd(10)} ${f.queue}: ${f.reason}\n`);
      if (result.failed.length > 0) process.exitCode = 1;
    });
}
