import type { Command } from 'commander';
import { TASK_QUEUE_ROLES, type QueueRole } from '../../config';
import { connectWorker } from '../../worker/connection';
import { createWorkers } from '../../worker/worker';
import { TASK_QUEUES } from '../../workflows/queues';
import { commandConfig, say } from '../context';

export function parseQueues(text: string): QueueRole[] {
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = items.filter((q) => !(TASK_QUEUE_ROLES as readonly string[]).includes(q));
  if (bad.length || items.length === 0) {
    throw new Error(`--queues: unknown queue ${bad.join(', ') || '(none)'}; use a comma-separated list of ${TASK_QUEUE_ROLES.join(', ')}`);
  }
  return [...new Set(items)] as QueueRole[];
}

export function register(program: Command): void {
  program
    .command('worker')
    .description('run a worker: workflows plus the role queues (SIGTERM lets running activities finish)')
    .option('--queues <list>', `role queues to serve: ${TASK_QUEUE_ROLES.join(',')} (default: worker.queues)`)
    .action(async (opts: { queues?: string }) => {
      const config = commandConfig();
      const queues = opts.queues ? parseQueues(opts.queues) : config.worker.queues;
      const connection = await connectWorker(config);
      const set = await createWorkers(config, connection, queues);
      const served = [TASK_QUEUES.workflows, ...queues.map((q) => TASK_QUEUES[q])];
      say(`worker ${process.pid} on ${config.temporal.address} serving ${served.join(', ')} (gpu concurrency ${config.worker.gpuConcurrency}, shutdown grace ${config.worker.shutdownGraceSeconds} s)`);
      await set.run();
      await connection.close();
      say('worker stopped');
    });
}
