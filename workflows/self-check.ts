import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createSelfCheckActivities, StorageProbeResult } from '../activities/self-check';
import { TASK_QUEUES, type QueueRole } from './queues';

type SelfCheck = ReturnType<typeof createSelfCheckActivities>;

export interface SelfCheckInput {
  /** Role queues to reach besides the workflow queue. */
  queues: QueueRole[];
}

export interface SelfCheckResult {
  probes: Array<{ queue: string } & StorageProbeResult>;
}

/**
 * Runs the storage probe on the workflow queue and on each role queue. A queue with no worker
 * fails after scheduleToStart instead of waiting forever.
 */
export async function selfCheck(input: SelfCheckInput): Promise<SelfCheckResult> {
  const { workflowId } = workflowInfo();
  const queues = [TASK_QUEUES.workflows, ...input.queues.map((role) => TASK_QUEUES[role])];
  const probes = await Promise.all(
    queues.map(async (queue) => {
      const { storageProbe } = proxyActivities<SelfCheck>({
        taskQueue: queue,
        scheduleToStartTimeout: '30 seconds',
        startToCloseTimeout: '30 seconds',
        retry: { maximumAttempts: 3 },
      });
      return { queue, ...(await storageProbe({ workflowId, queue })) };
    }),
  );
  return { probes };
}
