/**
 * Publish errors. Each has a stable `name` (it becomes the Temporal failure type), says whether
 * a retry can help, and whether the channel certainly did not create the post (`notPosted`):
 * only then may the ledger claim be released. Pure module: no Node APIs.
 */

/** Error names a retry cannot fix: the post goes to awaiting-replay with the reason. */
export const NON_RETRYABLE_PUBLISH_ERRORS = [
  'ChannelAuthError',
  'ChannelContentRejectedError',
  'MediaProcessingFailedError',
  'DuplicateContentError',
  'ChannelNotConfiguredError',
  'AlreadyPublishedError',
  'RenditionMissingError',
  'NothingToReplayError',
  'AccountNotConnectedError',
  'PostedTwiceError',
] as const;

export type NonRetryablePublishErrorName = (typeof NON_RETRYABLE_PUBLISH_ERRORS)[number];

export abstract class PublishError extends Error {
  abstract override readonly name: string;
  abstract readonly retryable: boolean;
  /** True when the channel certainly has no post from this attempt. */
  abstract readonly notPosted: boolean;
  /** When a retry can help only after a known wait (a rate limit's reset, a create call's end). */
  readonly retryAfterMs?: number;

  constructor(
    readonly channel: string,
    message: string,
    /** One short line for `reelcast failures` and the failure search attribute. */
    readonly reason: string,
  ) {
    super(message);
  }
}

export class ChannelAuthError extends PublishError {
  override readonly name = 'ChannelAuthError';
  readonly retryable = false;
  readonly notPosted = true;
  constructor(channel: string, detail: string, fix: string) {
    super(
      channel,
      `${channel}: the account was refused (${detail}). Reconnect the account: ${fix}; then run \`reelcast replay <postId> --channel ${channel}\`.`,
      `reconnect the account (${detail})`,
    );
  }
}

export class ChannelRateLimitedError extends PublishError {
  override readonly name = 'ChannelRateLimitedError';
  readonly retryable = true;
  readonly notPosted = true;
  constructor(
    channel: string,
    override readonly retryAfterMs: number,
    readonly resetAt: Date,
  ) {
    super(
      channel,
      `${channel}: rate limited; the API allows the next request at ${resetAt.toISOString()} (in ${Math.ceil(retryAfterMs / 1000)} s). Reelcast retries then.`,
      `rate limited until ${resetAt.toISOString()}`,
    );
  }
}

/** 5xx, timeouts, dropped connections. `notPosted` is false when it happened during the create call. */
export class ChannelUnavailableError extends PublishError {
  override readonly name = 'ChannelUnavailableError';
  readonly retryable = true;
  constructor(
    channel: string,
    readonly step: string,
    detail: string,
    readonly notPosted: boolean,
  ) {
    super(
      channel,
      `${channel}: ${step} failed (${detail}); retried with backoff.${notPosted ? '' : ' The post may exist: the retry looks for it before posting again.'}`,
      `${step}: ${detail}`,
    );
  }
}

export class ChannelContentRejectedError extends PublishError {
  override readonly name = 'ChannelContentRejectedError';
  readonly retryable = false;
  readonly notPosted = true;
  constructor(channel: string, detail: string) {
    super(
      channel,
      `${channel}: the post was refused: ${detail}. Fix the caption or rendition, then replay.`,
      detail,
    );
  }
}

export class MediaProcessingFailedError extends PublishError {
  override readonly name = 'MediaProcessingFailedError';
  readonly retryable = false;
  readonly notPosted = true;
  constructor(channel: string, detail: string) {
    super(
      channel,
      `${channel}: the video was uploaded but the platform could not process it (${detail}). Check the rendition against the channel preset, then replay.`,
      `video processing failed: ${detail}`,
    );
  }
}

export class MediaProcessingTimeoutError extends PublishError {
  override readonly name = 'MediaProcessingTimeoutError';
  readonly retryable = true;
  readonly notPosted = true;
  constructor(channel: string, seconds: number) {
    super(
      channel,
      `${channel}: the video was still processing after ${seconds} s (channels.x.processingDeadlineSeconds); retried.`,
      `video still processing after ${seconds} s`,
    );
  }
}

/** The channel refused the caption as a duplicate, and no matching post from this claim exists. */
export class DuplicateContentError extends PublishError {
  override readonly name = 'DuplicateContentError';
  readonly retryable = false;
  readonly notPosted = true;
  constructor(channel: string) {
    super(
      channel,
      `${channel}: refused as duplicate content: the account posted this caption before, outside the reconcile window. Change the caption (template), then replay.`,
      'duplicate content: the same caption was posted before',
    );
  }
}

export class ChannelNotConfiguredError extends PublishError {
  override readonly name = 'ChannelNotConfiguredError';
  readonly retryable = false;
  readonly notPosted = true;
  constructor(
    channel: string,
    /** What to set, as a person reads it: `TIKTOK_CLIENT_KEY and TIKTOK_CLIENT_SECRET`. */
    readonly missing: string,
  ) {
    super(
      channel,
      `channel ${channel} is not configured: set ${missing} (see \`reelcast config --reference\`), then replay.`,
      `not configured: set ${missing}`,
    );
  }
}

export class AlreadyPublishedError extends PublishError {
  override readonly name = 'AlreadyPublishedError';
  readonly retryable = false;
  readonly notPosted = true;
  constructor(
    channel: string,
    readonly postId: string,
    readonly remoteId: string,
    readonly url: string | undefined,
  ) {
    super(
      channel,
      `${postId} is already published on ${channel} (${url ?? remoteId}); replay refuses to post it twice. Add --force to post it again.`,
      `already published as ${remoteId}`,
    );
  }
}

export class RenditionMissingError extends PublishError {
  override readonly name = 'RenditionMissingError';
  readonly retryable = false;
  readonly notPosted = true;
  constructor(channel: string, key: string) {
    super(
      channel,
      `the rendition ${key} is not in storage; run the post again so it is transcoded, or check the storage settings.`,
      `rendition ${key} missing`,
    );
  }
}

export class NothingToReplayError extends PublishError {
  override readonly name = 'NothingToReplayError';
  readonly retryable = false;
  readonly notPosted = true;
  constructor(channel: string, postId: string) {
    super(
      channel,
      `no publish of ${postId} on ${channel} is recorded, so there is no caption and rendition to replay; check the post id with \`reelcast failures\`.`,
      'nothing recorded to replay',
    );
  }
}

/** This attempt's claim was taken over by a newer attempt (e.g. after a timeout): it must not post. */
export class PublishClaimLostError extends PublishError {
  override readonly name = 'PublishClaimLostError';
  readonly retryable = true;
  readonly notPosted = true;
  constructor(channel: string, postId: string) {
    super(
      channel,
      `${postId} on ${channel}: another attempt took over the publish; this one stops before posting.`,
      'claim taken over by another attempt',
    );
  }
}

/**
 * The attempt that holds the claim said, moments ago, that it was sending the post, and may still
 * be waiting for the channel's answer (its worker stalled, or lost Temporal but not the channel):
 * taking its claim over now could post twice. Retried once that call has certainly ended; the
 * retry looks on the channel first.
 */
export class PublishInProgressError extends PublishError {
  override readonly name = 'PublishInProgressError';
  readonly retryable = true;
  readonly notPosted = true;
  constructor(
    channel: string,
    postId: string,
    readonly sendingSince: Date,
    override readonly retryAfterMs: number,
  ) {
    super(
      channel,
      `${postId} on ${channel}: an earlier attempt started sending it at ${sendingSince.toISOString()} and may still be waiting for ${channel}'s answer. Reelcast looks on ${channel} again in ${Math.ceil(retryAfterMs / 1000)} s and posts only if it is not there, so it never goes out twice.`,
      'an earlier attempt may still be sending it',
    );
  }
}

/** The channel's account was never connected (or was disconnected): a person must connect it. */
export class AccountNotConnectedError extends PublishError {
  override readonly name = 'AccountNotConnectedError';
  readonly retryable = false;
  readonly notPosted = true;
  constructor(
    channel: string,
    readonly account: string,
    /** The command that connects it, e.g. `reelcast channels connect tiktok --account us-main`. */
    readonly fix: string,
  ) {
    super(
      channel,
      `${channel}: the account ${account} is not connected. Connect it: run \`${fix}\`; then run \`reelcast replay <postId> --channel ${channel}\`.`,
      `account ${account} not connected: run \`${fix}\``,
    );
  }
}

/**
 * Two attempts both posted (post, channel): this one's post went out while another attempt's was
 * already recorded. Rare (a race between the last claim check and the post request), never
 * silent: the ledger keeps both and the marketer deletes one.
 */
export class PostedTwiceError extends PublishError {
  override readonly name = 'PostedTwiceError';
  readonly retryable = false;
  readonly notPosted = false;
  constructor(
    channel: string,
    readonly postId: string,
    readonly mine: { remoteId: string; url?: string },
    readonly recorded: { remoteId: string; url?: string },
  ) {
    const name = (p: { remoteId: string; url?: string }) => p.url ?? p.remoteId;
    super(
      channel,
      `${postId} went out twice on ${channel}: ${name(mine)} (this attempt) and ${name(recorded)} (another attempt, recorded in the ledger). Delete one of them on ${channel}; the ledger keeps ${recorded.remoteId} as the post and ${mine.remoteId} in its history.`,
      `posted twice: ${mine.remoteId} and ${recorded.remoteId}; delete one`,
    );
  }
}
