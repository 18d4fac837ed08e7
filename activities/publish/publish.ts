import { randomUUID } from 'node:crypto';
import type { ObjectStorage } from '../storage';
import { DEFAULT_ACCOUNT } from './accounts';
import type { Channel, ChannelName, PublishProgress, PublishRequest, RemotePost } from './channel';
import { channelSpec, platformOf } from './channel-table';
import { captionProblems, titleProblems } from './channel-text';
import type { ChannelSet } from './channels';
import {
  AlreadyPublishedError,
  ChannelContentRejectedError,
  DuplicateContentError,
  NothingToReplayError,
  PublishClaimLostError,
  PostedTwiceError,
  PublishError,
  PublishInProgressError,
  RenditionMissingError,
} from './errors';
import { PublishLedger, sendLeaseLeftMs, type LedgerEntry, type PublishSettings } from './ledger';
import { OutboxChannel } from './outbox';
import { TokenStore } from './tokens/store';

export interface PublishDeps {
  storage: ObjectStorage;
  channels: ChannelSet;
}

export interface PublishInput extends PublishSettings {
  postId: string;
  channel: ChannelName;
  /** renditions/<hash>/<preset>.mp4, made by transcode for this channel's preset. */
  renditionKey: string;
  caption: string;
  /** Post again even when the ledger says it is published (a person's explicit replay --force). */
  force?: boolean;
}

export interface PublishOutcome {
  postId: string;
  channel: ChannelName;
  remoteId: string;
  url?: string;
  /** Found on the channel by reconciling an earlier attempt whose outcome was unknown. */
  reconciled: boolean;
  /** The ledger already had it published: nothing was sent. */
  alreadyPublished: boolean;
}

export interface PublishRun {
  /** Identifies this attempt in the ledger claim; default a fresh UUID. */
  attemptId?: string;
  progress?: (p: PublishProgress) => void;
  signal?: AbortSignal;
}

/**
 * Publishes one post to one channel at most once. Usable without Temporal; the activity wraps it.
 *
 * 1. published in the ledger → returns it (unless force)
 * 2. checks caption and rendition against the channel's limits: bad input never claims
 * 3. claims (post, channel); a claim left by an earlier attempt is reconciled first: if the
 *    channel has the post, the ledger is completed with it and nothing is sent. Otherwise the
 *    claim is taken over by a compare-and-swap on the entry as read: when two attempts race
 *    for it, one wins and the other stops (PublishClaimLostError) without posting. A claim whose
 *    holder started sending the post less than SEND_LEASE_MS ago is not taken over: this attempt
 *    retries once that send has certainly ended (PublishInProgressError)
 * 4. publishes, then records the remote id. Errors that prove nothing was posted release the
 *    claim (and, when terminal, leave a failure record for `failures`/`replay`); otherwise the
 *    claim stays for the next attempt to reconcile.
 */
export async function publishPost(
  deps: PublishDeps,
  input: PublishInput,
  run: PublishRun = {},
): Promise<PublishOutcome> {
  const channel = deps.channels.get(input.channel);
  const ledger = new PublishLedger(deps.storage);
  const progress = run.progress ?? (() => {});
  const attemptId = run.attemptId ?? randomUUID();
  const request: PublishRequest = {
    postId: input.postId,
    channel: input.channel,
    caption: input.caption,
    renditionKey: input.renditionKey,
    idempotencyKey: `reelcast:${input.postId}:${input.channel}`,
    ...settingsOf(input),
    // Adapters always get an account: posts planned before calendars named them use `default`.
    account: input.account ?? DEFAULT_ACCOUNT,
  };
  const outcome = (
    e: { remoteId?: string; url?: string },
    reconciled: boolean,
    already: boolean,
  ): PublishOutcome => ({
    postId: input.postId,
    channel: input.channel,
    remoteId: e.remoteId!,
    url: e.url,
    reconciled,
    alreadyPublished: already,
  });
  /** A post made on the account now (or found from an earlier attempt): `channels status` counts it. */
  const posted = async (e: LedgerEntry, reconciled: boolean): Promise<PublishOutcome> => {
    const platform = platformOf(input.channel);
    if (platform && !(channel instanceof OutboxChannel))
      // Best effort: the post exists whatever happens to this count.
      await new TokenStore(deps.storage).recordPost(platform, request.account!).catch(() => undefined);
    return outcome(e, reconciled, false);
  };

  /** Records a post that is out (made now or found); one that went out twice is surfaced. */
  const record = async (e: LedgerEntry, remote: RemotePost, reconciled: boolean): Promise<PublishOutcome> => {
    try {
      return await posted(await ledger.complete(e, remote, reconciled), reconciled);
    } catch (err) {
      if (err instanceof PostedTwiceError) await recordFailure(ledger, input, err);
      throw err;
    }
  };

  const existing = await ledger.readVersioned(input.postId, input.channel);
  if (existing?.entry.state === 'published' && !input.force) return outcome(existing.entry, false, true);

  progress({ step: 'check' });
  try {
    await checkFits(deps.storage, channel, input);
  } catch (err) {
    if (err instanceof PublishError) await recordFailure(ledger, input, err);
    throw err;
  }

  const fields = {
    attemptId,
    caption: input.caption,
    renditionKey: input.renditionKey,
    ...settingsOf(input),
  };
  const claim = existing
    ? { claimed: false as const, ...existing }
    : await ledger.claim({ postId: input.postId, channel: input.channel, ...fields });
  let entry: LedgerEntry = claim.entry;
  if (!claim.claimed) {
    if (entry.state === 'published') {
      if (!input.force) return outcome(entry, false, true);
    } else {
      progress({ step: 'reconcile' });
      const found = await reconcile(channel, request, entry);
      if (found) return record(entry, found, true);
      // Its holder may still be waiting for the answer to the post it sent: not ours to take yet.
      const leaseLeftMs = sendLeaseLeftMs(entry);
      if (leaseLeftMs > 0) {
        throw new PublishInProgressError(
          input.channel,
          input.postId,
          new Date(entry.sendingAt!),
          leaseLeftMs,
        );
      }
    }
    // A compare-and-swap against the entry as read: of attempts that read the same entry, one
    // takes it over; the others stop here, never posting while another may hold the claim.
    const taken = await ledger.takeOver(claim, fields);
    if (!taken) {
      const now = await ledger.read(input.postId, input.channel);
      if (now?.state === 'published' && !input.force) return outcome(now, false, true);
      throw new PublishClaimLostError(input.channel, input.postId);
    }
    entry = taken;
  }

  const holding = entry; // the entry this attempt posts under
  let remote: RemotePost;
  try {
    remote = await channel.publish(request, {
      progress,
      signal: run.signal,
      beforeCreate: async ({ repeatable = false } = {}) => {
        const held = repeatable
          ? await ledger.holds(input.postId, input.channel, attemptId)
          : await ledger.markSending(input.postId, input.channel, attemptId);
        if (!held) {
          throw new PublishClaimLostError(input.channel, input.postId);
        }
      },
      handle: holding.handle,
      saveHandle: async (handle) => {
        if (!(await ledger.saveHandle(input.postId, input.channel, attemptId, handle))) {
          throw new PublishClaimLostError(input.channel, input.postId);
        }
      },
    });
  } catch (err) {
    if (err instanceof DuplicateContentError) {
      // X refuses a caption it already has: if that is our post from an earlier attempt, done.
      const found = await reconcile(channel, request, holding);
      if (found) return record(holding, found, true);
    }
    if (err instanceof PublishError && err.notPosted && !(err instanceof PublishClaimLostError)) {
      await ledger.release(input.postId, input.channel, attemptId);
      if (!err.retryable) await recordFailure(ledger, input, err);
    } else {
      // The claim stays for the next attempt to reconcile; this attempt's call is over, so that
      // attempt need not wait for it (best effort: otherwise it waits until SEND_LEASE_MS ends).
      await ledger.sendEnded(input.postId, input.channel, attemptId).catch(() => undefined);
    }
    throw err;
  }
  return record(holding, remote, false);
}

export interface ReplayInput extends PublishSettings {
  postId: string;
  channel: ChannelName;
  /** Default: the ones recorded with the failure (or the claim); so are account and options. */
  caption?: string;
  renditionKey?: string;
  force?: boolean;
}

/**
 * Publishes again from the stored rendition (no GPU): for `reelcast replay`. Refuses a channel
 * the ledger has as published unless `force`.
 */
export async function replayPublish(
  deps: PublishDeps,
  input: ReplayInput,
  run: PublishRun = {},
): Promise<PublishOutcome> {
  const ledger = new PublishLedger(deps.storage);
  const [entry, failure] = await Promise.all([
    ledger.read(input.postId, input.channel),
    ledger.readFailure(input.postId, input.channel),
  ]);
  if (entry?.state === 'published' && !input.force) {
    throw new AlreadyPublishedError(input.channel, input.postId, entry.remoteId!, entry.url);
  }
  const caption = input.caption ?? failure?.caption ?? entry?.caption;
  const renditionKey = input.renditionKey ?? failure?.renditionKey ?? entry?.renditionKey;
  if (caption === undefined || renditionKey === undefined)
    throw new NothingToReplayError(input.channel, input.postId);
  // The same account, label and settings as the publish that failed.
  const recorded = failure ?? entry;
  return publishPost(
    deps,
    {
      postId: input.postId,
      channel: input.channel,
      caption,
      renditionKey,
      account: input.account ?? recorded?.account,
      aiGenerated: input.aiGenerated ?? recorded?.aiGenerated,
      options: input.options ?? recorded?.options,
      force: input.force,
    },
    run,
  );
}

/** The settings a publish was given, without absent ones (the ledger keeps what was sent). */
function settingsOf(input: PublishSettings): PublishSettings {
  const out: PublishSettings = {};
  if (input.account !== undefined) out.account = input.account;
  if (input.aiGenerated !== undefined) out.aiGenerated = input.aiGenerated;
  if (input.options !== undefined) out.options = input.options;
  return out;
}

/** The channel table's rules for caption, title and video: bad input is refused before any claim. */
async function checkFits(storage: ObjectStorage, channel: Channel, input: PublishInput): Promise<void> {
  const spec = channelSpec(channel.name);
  const title = input.options?.youtube?.title;
  const [text] = [
    ...captionProblems(channel.name, input.caption),
    ...(title !== undefined ? titleProblems(channel.name, title) : []),
  ];
  if (text) {
    throw new ChannelContentRejectedError(
      channel.name,
      `the ${text.field} of ${input.postId} ${text.message} for ${channel.name}: fix the ${text.field} template and run \`reelcast validate\``,
    );
  }
  const video = await storage.head(input.renditionKey);
  if (!video) throw new RenditionMissingError(channel.name, input.renditionKey);
  if (video.size > spec.video.maxBytes) {
    throw new ChannelContentRejectedError(
      channel.name,
      `the rendition ${input.renditionKey} is ${video.size} bytes; ${channel.name} allows ${spec.video.maxBytes}: lower the preset bitrate or duration`,
    );
  }
  const seconds = Number(video.metadata.durationseconds ?? video.metadata.durationSeconds);
  const maxSeconds = spec.video.maxSeconds;
  if (maxSeconds && Number.isFinite(seconds) && seconds > maxSeconds) {
    throw new ChannelContentRejectedError(
      channel.name,
      `the rendition ${input.renditionKey} lasts ${seconds} s; ${channel.name} allows ${maxSeconds} s`,
    );
  }
}

async function reconcile(
  channel: Channel,
  request: PublishRequest,
  entry: LedgerEntry,
): Promise<RemotePost | undefined> {
  const ignore = (entry.history ?? []).map((h) => h.remoteId);
  return channel.reconcile(request, new Date(entry.claimedAt), ignore);
}

async function recordFailure(ledger: PublishLedger, input: PublishInput, err: PublishError): Promise<void> {
  if (err.retryable) return;
  await ledger.recordFailure({
    postId: input.postId,
    channel: input.channel,
    errorName: err.name,
    reason: err.reason,
    message: err.message,
    failedAt: new Date().toISOString(),
    caption: input.caption,
    renditionKey: input.renditionKey,
    ...settingsOf(input),
  });
}
