/**
 * A test-only workflow: just the publish step, with the retry policy the post workflow is meant
 * to use, so the tests see what Temporal does with each publish failure.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { createPublishActivities, PublishInput, PublishOutcome } from '../../../../activities/publish';
import { NON_RETRYABLE_PUBLISH_ERRORS } from '../../../../activities/publish/errors';

const { publishToChannel } = proxyActivities<ReturnType<typeof createPublishActivities>>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: {
    initialInterval: '100 milliseconds',
    backoffCoefficient: 2,
    maximumAttempts: 6,
    nonRetryableErrorTypes: [...NON_RETRYABLE_PUBLISH_ERRORS],
  },
});

export async function publishOnce(input: PublishInput): Promise<PublishOutcome> {
  return publishToChannel(input);
}

/**
 * The publish step on a given activity queue. The activity heartbeats its progress, so a worker
 * that was killed is noticed within the heartbeat timeout and the next attempt goes to the
 * worker that polls the queue then.
 */
export async function publishOnQueue(input: PublishInput, taskQueue: string): Promise<PublishOutcome> {
  const { publishToChannel: publish } = proxyActivities<ReturnType<typeof createPublishActivities>>({
    taskQueue,
    startToCloseTimeout: '2 minutes',
    heartbeatTimeout: '5 seconds',
    retry: {
      initialInterval: '100 milliseconds',
      maximumAttempts: 5,
      nonRetryableErrorTypes: [...NON_RETRYABLE_PUBLISH_ERRORS],
    },
  });
  return publish(input);
}
