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
