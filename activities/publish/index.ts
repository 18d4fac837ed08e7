import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ReelcastConfig } from '../../config';
import type { ObjectStorage } from '../storage';
import { openChannels, type ChannelSet } from './channels';
import { PublishError } from './errors';
import { PublishLedger, type FailureRecord, type LedgerEntry } from './ledger';
import {
  publishPost,
  replayPublish,
  type PublishInput,
  type PublishOutcome,
  type PublishRun,
  type ReplayInput,
} from './publish';

export * from './channel';
export * from './errors';
export { ChannelSet, openChannels } from './channels';
export {
  LedgerContendedError,
  PublishLedger,
  SEND_LEASE_MS,
  type FailureRecord,
  type LedgerEntry,
  type LedgerListing,
  type VersionedEntry,
} from './ledger';
export { OutboxChannel } from './outbox';
export {
  publishPost,
  replayPublish,
  type PublishDeps,
  type PublishInput,
  type PublishOutcome,
  type PublishRun,
  type ReplayInput,
} from './publish';
export {
  signWebhook,
  verifyWebhookSignature,
  WebhookChannel,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
} from './webhook';
export { XChannel, normalizeText } from './x';
export { InstagramChannel, InstagramOAuth } from './instagram';
export { TikTokChannel, TikTokOAuth } from './tiktok';
export { YouTubeChannel, YouTubeOAuth } from './youtube';

export interface PublishActivityDeps {
  config: ReelcastConfig;
  storage: ObjectStorage;
  /** Default: built from config. */
  channels?: ChannelSet;
}

/** A publish that was not completed, for `reelcast failures`. */
export interface PublishFailure {
  postId: string;
  channel: string;
  /** failed: terminal, replayable. unknown: claimed but never completed (a retry reconciles). */
  state: 'failed' | 'unknown';
  reason: string;
  errorName?: string;
  since: string;
}

/** Activities for the `reelcast-publish` queue. */
export function createPublishActivities(deps: PublishActivityDeps) {
  const channels = deps.channels ?? openChannels(deps.config, deps.storage);
  const core = { storage: deps.storage, channels };
  return {
    /** Publishes one rendition to one channel, at most once (see publishPost). */
    async publishToChannel(input: PublishInput): Promise<PublishOutcome> {
      return asActivity((run) => publishPost(core, input, run));
    },
    /** Publishes again from the stored rendition; refuses an already-published channel unless force. */
    async replayPublish(input: ReplayInput): Promise<PublishOutcome> {
      return asActivity((run) => replayPublish(core, input, run));
    },
  };
}

/** Ledger reads: light, for the workflow queue (failures list, replay checks). */
export function createLedgerActivities(deps: { storage: ObjectStorage }) {
  const ledger = new PublishLedger(deps.storage);
  return {
    async readPublishLedger(input: {
      postId: string;
    }): Promise<{ entries: LedgerEntry[]; failures: FailureRecord[] }> {
      return ledger.list({ postId: input.postId });
    },
    async listPublishFailures(
      input: { campaign?: string; unknownAfterMinutes?: number } = {},
    ): Promise<PublishFailure[]> {
      return listPublishFailures(ledger, input);
    },
  };
}

/** Terminal failures, plus claims never completed for longer than `unknownAfterMinutes` (default 60). */
export async function listPublishFailures(
  ledger: PublishLedger,
  filter: { campaign?: string; unknownAfterMinutes?: number } = {},
  now = new Date(),
): Promise<PublishFailure[]> {
  const { entries, failures } = await ledger.list({ campaign: filter.campaign });
  const staleBefore = now.getTime() - (filter.unknownAfterMinutes ?? 60) * 60_000;
  const out: PublishFailure[] = failures.map((f) => ({
    postId: f.postId,
    channel: f.channel,
    state: 'failed',
    reason: f.reason,
    errorName: f.errorName,
    since: f.failedAt,
  }));
  for (const e of entries) {
    if (e.state === 'claimed' && Date.parse(e.claimedAt) < staleBefore) {
      out.push({
        postId: e.postId,
        channel: e.channel,
        state: 'unknown',
        reason: 'claimed but not completed: the outcome is unknown; replay looks for the post before posting',
        since: e.claimedAt,
      });
    }
  }
  return out.sort((a, b) => a.since.localeCompare(b.since));
}

/**
 * Runs the core inside an activity: heartbeats progress, stops on cancellation, and turns our
 * errors into Temporal failures (non-retryable ones marked so; a 429 retries after the reset, a
 * claim whose holder may still be sending the post once its call has ended).
 */
async function asActivity<T>(
  body: (run: { attemptId: string; progress: PublishRun['progress']; signal: AbortSignal }) => Promise<T>,
): Promise<T> {
  const ctx = Context.current();
  const { workflowExecution, activityId, attempt } = ctx.info;
  try {
    return await body({
      attemptId: `${workflowExecution?.workflowId ?? 'standalone'}/${workflowExecution?.runId ?? '-'}/${activityId}/${attempt}`,
      progress: (p) => ctx.heartbeat(p),
      signal: ctx.cancellationSignal,
    });
  } catch (err) {
    if (!(err instanceof PublishError)) throw err;
    throw ApplicationFailure.create({
      type: err.name,
      message: err.message,
      nonRetryable: !err.retryable,
      details: [{ channel: err.channel, reason: err.reason }],
      nextRetryDelay: err.retryAfterMs,
      cause: err,
    });
  }
}
