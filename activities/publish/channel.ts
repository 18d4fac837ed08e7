import type { ChannelHandle } from './ledger';
import type { ChannelName } from './channel-table';

/**
 * The one channel interface: x, outbox and webhook implement it. What a channel accepts (caption
 * rules, video limits, preset, AI label) is in the channel table, not here: ./channel-table.ts.
 */

export { CHANNEL_NAMES, type ChannelName } from './channel-table';

/** What one publish sends. Only keys and text: the video bytes are read from storage. */
export interface PublishRequest {
  postId: string;
  channel: ChannelName;
  caption: string;
  renditionKey: string;
  /** The same for every attempt at this (post, channel): receivers that dedupe use it. */
  idempotencyKey: string;
  /** The named account on the channel's platform; publishPost always sets it (`default` unless the calendar names one). */
  account?: string;
  /** The calendar's disclosure policy: set the platform's AI-generated label. */
  aiGenerated?: boolean;
  /** The calendar's per-platform settings (privacy, title, share to feed...). */
  options?: ChannelPostOptions;
}

/** Per-platform post settings, from the calendar (plain JSON: it crosses workflow boundaries). */
export interface ChannelPostOptions {
  tiktok?: {
    privacyLevel: 'PUBLIC_TO_EVERYONE' | 'MUTUAL_FOLLOW_FRIENDS' | 'FOLLOWER_OF_CREATOR' | 'SELF_ONLY';
    disableComment: boolean;
    disableDuet: boolean;
    disableStitch: boolean;
    brandContentToggle: boolean;
    brandOrganicToggle: boolean;
  };
  youtube?: {
    /** ≤ 100 characters, no < or >; from title.hbs, else the caption's first line. */
    title: string;
    tags: string[];
    categoryId: string;
    privacyStatus: 'private' | 'unlisted' | 'public';
    madeForKids: boolean;
  };
  instagram?: { shareToFeed: boolean };
}

export interface RemotePost {
  remoteId: string;
  url?: string;
}

/** Heartbeat payload: the CLI renders it as a progress bar. */
export interface PublishProgress {
  step: 'check' | 'reconcile' | 'upload' | 'processing' | 'create' | 'write' | 'deliver';
  done?: number;
  total?: number;
}

export interface PublishContext {
  progress(p: PublishProgress): void;
  signal?: AbortSignal;
  /**
   * Called right before the call that makes the post visible. Throws when this attempt no
   * longer holds the ledger claim (a newer attempt took over), so a stale attempt never posts.
   * Otherwise it stamps the claim, so that no newer attempt takes it over while this call may
   * still run (ledger.ts, SEND_LEASE_MS), unless `repeatable`: the same call from a newer attempt
   * cannot make a second post (it continues this attempt's upload session or container, or
   * rewrites the same files), so that attempt need not wait.
   */
  beforeCreate(options?: { repeatable?: boolean }): Promise<void>;
  /** The handle an earlier attempt saved (its upload to continue), if any. */
  handle?: ChannelHandle;
  /**
   * Saves the platform's handle into the ledger claim the moment it exists. Throws when this
   * attempt no longer holds the claim.
   */
  saveHandle(handle: ChannelHandle): Promise<void>;
}

export interface Channel {
  readonly name: ChannelName;
  /**
   * How a retry with an unknown outcome avoids a second post: `lookup` finds the earlier post on
   * the channel; `idempotency-key` re-sends with the same key and relies on the receiver.
   */
  readonly reconcileBy: 'lookup' | 'idempotency-key';
  publish(request: PublishRequest, context: PublishContext): Promise<RemotePost>;
  /**
   * The post an earlier attempt made, if the channel has it: created since `since`, not one of
   * `ignore` (earlier publishes that a forced replay means to repeat). undefined: not there.
   */
  reconcile(request: PublishRequest, since: Date, ignore: readonly string[]): Promise<RemotePost | undefined>;
}
