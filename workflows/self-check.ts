import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createSelfCheckActivities, StorageProbeResult } from '../activities/self-check';
import { taskQueues, type QueueRole } from './queues';

type SelfCheck = ReturnType<typeof createSelfCheckActivities>;

export interface SelfCheckInput {
  /** Role queues to reach besides the workflow queue. */
  queues: QueueRole[];
}

export interface SelfCheckResult {
  probes: Array<{ queue: string } & StorageProbeResult>;
  /** Queues whose probe failed, with the reason (no worker answered, storage error...). */
  failed: Array<{ queue: string; reason: string }>;
}

/**
 * Runs the storage probe on the workflow queue and on each role queue. A queue with no worker
 * fails after scheduleToStart instead of waiting forever.
 */
export async function selfCheck(input: SelfCheckInput): Promise<SelfCheckResult> {
  const { workflowId, taskQueue } = workflowInfo();
  const q = taskQueues(taskQueue);
  const queues = [q.workflows, ...input.queues.map((role) => q[role])];
  const settled = await Promise.allSettled(
    queues.map(async (queue) => {
      const { storageProbe } = proxyActivities<SelfCheck>({
        taskQueue: queue,
        scheduleToStartTimeout: '20 seconds',
        startToCloseTimeout: '30 seconds',
        retry: { maximumAttempts: 2 },
      });
      return { queue, ...(await storageProbe({ workflowId, queue })) };
    }),
  );
  const result: SelfCheckResult = { probes: [], failed: [] };
  settled.forEach((s, i) => {
    if (s.status === 'fulfilled') result.probes.push(s.value);
    else result.failed.push({ queue: queues[i], reason: describe(s.reason) });
  });
  return result;
}

function describe(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string } };
  const why = e.cause?.message ?? e.message ?? String(err);
  return /schedule.?to.?start/i.test(why) ? 'no worker picked the probe up within 20 s' : why;
}
