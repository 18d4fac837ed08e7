import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ChannelName, createPublishActivities, PublishOutcome } from '../activities/publish';
import { NON_RETRYABLE_PUBLISH_ERRORS } from '../activities/publish/errors';
import { taskQueues } from './queues';

type PublishActivities = ReturnType<typeof createPublishActivities>;

export interface ReplayPostInput {
  postId: string;
  channel: ChannelName;
  force?: boolean;
}

/**
 * Replay of a post whose own workflow has ended: publishes again from the rendition and caption
 * the ledger recorded (no GPU), at most once, refusing a published channel unless forced.
 */
export async function replayPost(input: ReplayPostInput): Promise<PublishOutcome> {
  const { replayPublish } = proxyActivities<PublishActivities>({
    taskQueue: taskQueues(workflowInfo().taskQueue).publish,
    startToCloseTimeout: '15 minutes',
    heartbeatTimeout: '2 minutes',
    retry: {
      maximumAttempts: 8,
      initialInterval: '5 seconds',
      nonRetryableErrorTypes: [...NON_RETRYABLE_PUBLISH_ERRORS],
    },
  });
  return replayPublish({ postId: input.postId, channel: input.channel, force: input.force });
}
