import { ledgerFailureKey, ledgerKey, parseLedgerKey, PREFIXES, type ObjectStorage } from '../storage';
import type { ChannelPostOptions } from './channel';
import { PostedTwiceError } from './errors';

/**
 * The publish ledger: one entry per (post, channel) in storage, so publishing is at most once
 * across retries, crashes, timeouts and replays (docs/ARCHITECTURE.md, "The publish ledger").
 *
 *   absent ──claim (create-if-absent)──► claimed ──remote call ok──► published (remote id)
 *                                          │ certainly not posted: released (deleted) + failure record
 *                                          │ outcome unknown: stays claimed; the next attempt
 *                                          ▼ reconciles (looks on the channel) before posting
 *
 * Every change of an existing entry (takeover, handle, completion, release) is a compare-and-swap
 * against the version the attempt read it at (ObjectStorage.replaceIf/deleteIf): of two attempts
 * that found the same stale claim, one takes it over and the other stops without posting.
 *
 * Right before the call that creates the post, the holder stamps its claim (`sendingAt`, again a
 * compare-and-swap: a takeover in between stops it). For SEND_LEASE_MS after that, no other
 * attempt takes the claim over: the holder may still be waiting for the channel's answer, and a
 * post it sends then is found by the next attempt's reconcile instead of being sent twice.
 */
export interface LedgerEntry {
  postId: string;
  channel: string;
  state: 'claimed' | 'published';
  /** The attempt that holds the claim; only it may post. */
  attemptId: string;
  claimedAt: string;
  caption: string;
  renditionKey: string;
  /** How it was sent (a replay sends it the same way): see PublishSettings. */
  account?: string;
  aiGenerated?: boolean;
  options?: ChannelPostOptions;
  remoteId?: string;
  url?: string;
  publishedAt?: string;
  /** True when the post was found on the channel by a retry rather than confirmed by the call. */
  reconciled?: boolean;
  /**
   * When the holder was about to send the call that creates the post, on channels where a second
   * such call makes a second post (X, webhooks). Until SEND_LEASE_MS later the claim is not
   * taken over. Cleared when that call ends in an error.
   */
  sendingAt?: string;
  /**
   * The platform's handle for this attempt's upload, saved as soon as it exists (TikTok
   * publish_id, YouTube upload session URI, Instagram container id): a retry continues it
   * instead of uploading a second time. A takeover keeps it.
   */
  handle?: ChannelHandle;
  /**
   * Other publishes of this (post, channel), newest last: earlier ones a forced replay replaced,
   * and a second post of two racing attempts (PostedTwiceError).
   */
  history?: Array<{ remoteId: string; url?: string; publishedAt?: string }>;
}

/** The last terminal failure of (post, channel): what `reelcast failures` lists and replay re-uses. */
export interface FailureRecord {
  postId: string;
  channel: string;
  errorName: string;
  reason: string;
  message: string;
  failedAt: string;
  caption: string;
  renditionKey: string;
  account?: string;
  aiGenerated?: boolean;
  options?: ChannelPostOptions;
}

/** What a publish sends besides caption and rendition; kept in claims and failures for replay. */
export type PublishSettings = Pick<LedgerEntry, 'account' | 'aiGenerated' | 'options'>;

export interface LedgerListing {
  entries: LedgerEntry[];
  failures: FailureRecord[];
}

/** Platform-specific resume data: small strings only, never a token. */
export type ChannelHandle = Record<string, string>;

/** A ledger entry as read, with the storage version a change of it is compared against. */
export interface VersionedEntry {
  entry: LedgerEntry;
  version: string;
}

const JSON_TYPE = { contentType: 'application/json' };
/**
 * Compare-and-swap rounds before giving up on an entry that keeps changing under us: each lost
 * round means another attempt wrote it, which happens a few times at most.
 */
const MAX_SWAPS = 8;

/**
 * How long after its holder started sending a post a claim is left alone: longer than any
 * channel's create call can last (X's requests time out after 60 s, a webhook's after 30 s).
 */
export const SEND_LEASE_MS = 3 * 60_000;

/** How long `entry`'s holder may still be sending the post, from `now`; 0 when it cannot be. */
export function sendLeaseLeftMs(entry: LedgerEntry, now = new Date()): number {
  if (entry.state !== 'claimed' || !entry.sendingAt) return 0;
  return Math.max(0, Date.parse(entry.sendingAt) + SEND_LEASE_MS - now.getTime());
}

function format(entry: LedgerEntry): string {
  return JSON.stringify(entry, null, 2);
}

/** The entry kept changing while this attempt recorded its post: the post is out, the ledger unsure. */
export class LedgerContendedError extends Error {
  override readonly name = 'LedgerContendedError';
  constructor(
    readonly key: string,
    readonly remoteId: string,
  ) {
    super(
      `the ledger entry ${key} kept changing while recording the post ${remoteId}: the post is out; the next attempt finds it on the channel and records it`,
    );
  }
}

export class PublishLedger {
  constructor(readonly storage: ObjectStorage) {}

  async read(postId: string, channel: string): Promise<LedgerEntry | undefined> {
    return (await this.readVersioned(postId, channel))?.entry;
  }

  /** The entry with the version a takeOver of it compares against. */
  async readVersioned(postId: string, channel: string): Promise<VersionedEntry | undefined> {
    return this.#readVersioned(ledgerKey(postId, channel));
  }

  async readFailure(postId: string, channel: string): Promise<FailureRecord | undefined> {
    return this.#readJson<FailureRecord>(ledgerFailureKey(postId, channel));
  }

  /**
   * Claims (post, channel) for `attemptId`. When someone else holds it, returns their entry and
   * the version it was read at.
   */
  async claim(
    fields: Pick<LedgerEntry, 'postId' | 'channel' | 'caption' | 'renditionKey' | 'attemptId'> &
      PublishSettings,
    now = new Date(),
  ): Promise<{ claimed: true; entry: LedgerEntry } | ({ claimed: false } & VersionedEntry)> {
    const entry: LedgerEntry = { ...fields, state: 'claimed', claimedAt: now.toISOString() };
    const key = ledgerKey(fields.postId, fields.channel);
    if (await this.storage.createIfAbsent(key, format(entry), JSON_TYPE)) {
      return { claimed: true, entry };
    }
    const existing = await this.#readVersioned(key);
    // Released between our create and read: try once more rather than report a phantom holder.
    if (!existing) return this.claim(fields, now);
    return { claimed: false, ...existing };
  }

  /**
   * Takes over a claim whose attempt is gone (it crashed or timed out), after reconciling found
   * no post. A forced replay also re-opens a published entry this way, keeping its history.
   * A compare-and-swap against the version `current` was read at: returns undefined when the
   * entry changed since (another attempt took it over, completed or released it first). Then
   * this attempt has lost and must not post.
   */
  async takeOver(
    current: VersionedEntry,
    fields: Pick<LedgerEntry, 'attemptId' | 'caption' | 'renditionKey'> & PublishSettings,
    now = new Date(),
  ): Promise<LedgerEntry | undefined> {
    const { entry } = current;
    const history = [...(entry.history ?? [])];
    if (entry.state === 'published' && entry.remoteId) {
      history.push({ remoteId: entry.remoteId, url: entry.url, publishedAt: entry.publishedAt });
    }
    const next: LedgerEntry = {
      postId: entry.postId,
      channel: entry.channel,
      state: 'claimed',
      ...fields,
      // A taken-over claim keeps its original time: reconcile must look back to the first attempt.
      claimedAt: entry.state === 'claimed' ? entry.claimedAt : now.toISOString(),
      // An unfinished upload is continued by the next attempt; a published one is not reused.
      ...(entry.state === 'claimed' && entry.handle ? { handle: entry.handle } : {}),
      ...(history.length ? { history } : {}),
    };
    const key = ledgerKey(entry.postId, entry.channel);
    return (await this.storage.replaceIf(key, format(next), current.version, JSON_TYPE)) ? next : undefined;
  }

  async holds(postId: string, channel: string, attemptId: string): Promise<boolean> {
    const entry = await this.read(postId, channel);
    return entry?.state === 'claimed' && entry.attemptId === attemptId;
  }

  /**
   * Saves the platform's handle into the claim, only while `attemptId` holds it (a
   * compare-and-swap, so a takeover in between wins). Returns false when the claim was taken
   * over (this attempt must stop).
   */
  saveHandle(postId: string, channel: string, attemptId: string, handle: ChannelHandle): Promise<boolean> {
    return this.#updateHeld(postId, channel, attemptId, (e) => ({
      ...e,
      handle: { ...e.handle, ...handle },
    }));
  }

  /**
   * Stamps the claim right before the call that creates the post, only while `attemptId` holds
   * it: from then on, for SEND_LEASE_MS, no other attempt takes it over. Returns false when the
   * claim was taken over (this attempt must not send).
   */
  markSending(postId: string, channel: string, attemptId: string, now = new Date()): Promise<boolean> {
    return this.#updateHeld(postId, channel, attemptId, (e) => ({ ...e, sendingAt: now.toISOString() }));
  }

  /**
   * The holder's create call ended without a post it knows of (an error answer, a timeout): the
   * claim stays for the next attempt to reconcile, which need not wait for this one any more.
   */
  sendEnded(postId: string, channel: string, attemptId: string): Promise<boolean> {
    return this.#updateHeld(postId, channel, attemptId, ({ sendingAt, ...rest }) =>
      sendingAt === undefined ? undefined : rest,
    );
  }

  /**
   * Changes the claim while `attemptId` holds it (compare-and-swap; `change` returns undefined
   * when there is nothing to change); false once it does not hold it.
   */
  async #updateHeld(
    postId: string,
    channel: string,
    attemptId: string,
    change: (entry: LedgerEntry) => LedgerEntry | undefined,
  ): Promise<boolean> {
    const key = ledgerKey(postId, channel);
    for (let tries = 0; tries < MAX_SWAPS; tries++) {
      const current = await this.#readVersioned(key);
      if (current?.entry.state !== 'claimed' || current.entry.attemptId !== attemptId) return false;
      const next = change(current.entry);
      if (!next) return true;
      if (await this.storage.replaceIf(key, format(next), current.version, JSON_TYPE)) return true;
      // Changed since the read: re-read; if it is still ours (our own earlier write), apply again.
    }
    return false;
  }

  /**
   * Records that `remote` is on the channel: the post `entry` describes went out (or was found
   * there by reconciling). Whatever the entry became meanwhile, the post exists, so:
   * - claimed by this or any other attempt, or released: it becomes published with this remote
   *   id (an attempt that took the claim over meanwhile then stops before posting);
   * - already published with this remote id: done (an earlier try of this call wrote it);
   * - published with another remote id: two attempts posted; PostedTwiceError, with this post
   *   kept in the entry's history.
   * Each write is a compare-and-swap against the entry as just read.
   */
  async complete(
    entry: LedgerEntry,
    remote: { remoteId: string; url?: string },
    reconciled: boolean,
    now = new Date(),
  ): Promise<LedgerEntry> {
    const key = ledgerKey(entry.postId, entry.channel);
    for (let tries = 0; tries < MAX_SWAPS; tries++) {
      const current = await this.#readVersioned(key);
      const recorded = current?.entry;
      if (recorded?.state === 'published' && recorded.remoteId === remote.remoteId) {
        await this.storage.delete(ledgerFailureKey(entry.postId, entry.channel));
        return recorded;
      }
      if (recorded?.state === 'published') {
        const mine = { remoteId: remote.remoteId, url: remote.url, publishedAt: now.toISOString() };
        const known = (recorded.history ?? []).some((h) => h.remoteId === remote.remoteId);
        const kept = { ...recorded, history: [...(recorded.history ?? []), mine] };
        if (known || (await this.storage.replaceIf(key, format(kept), current!.version, JSON_TYPE))) {
          throw new PostedTwiceError(entry.channel, entry.postId, remote, {
            remoteId: recorded.remoteId!,
            url: recorded.url,
          });
        }
        continue;
      }
      const done: LedgerEntry = {
        ...entry,
        state: 'published',
        remoteId: remote.remoteId,
        url: remote.url,
        publishedAt: now.toISOString(),
        reconciled,
      };
      // The history of the entry as it is now (a forced replay's takeover added to it).
      const history = (recorded ?? entry).history?.filter((h) => h.remoteId !== remote.remoteId);
      if (history?.length) done.history = history;
      else delete done.history;
      const written = current
        ? await this.storage.replaceIf(key, format(done), current.version, JSON_TYPE)
        : await this.storage.createIfAbsent(key, format(done), JSON_TYPE);
      if (written) {
        await this.storage.delete(ledgerFailureKey(entry.postId, entry.channel));
        return done;
      }
    }
    throw new LedgerContendedError(key, remote.remoteId);
  }

  /**
   * Gives the claim up when the channel certainly has no post from it; only its holder may (a
   * conditional delete, so a takeover in between is never deleted).
   */
  async release(postId: string, channel: string, attemptId: string): Promise<void> {
    const key = ledgerKey(postId, channel);
    for (let tries = 0; tries < MAX_SWAPS; tries++) {
      const current = await this.#readVersioned(key);
      if (current?.entry.state !== 'claimed' || current.entry.attemptId !== attemptId) return;
      if (await this.storage.deleteIf(key, current.version)) return;
    }
  }

  async recordFailure(record: FailureRecord): Promise<void> {
    await this.storage.put(
      ledgerFailureKey(record.postId, record.channel),
      JSON.stringify(record, null, 2),
      JSON_TYPE,
    );
  }

  /** Entries and failure records, optionally for one campaign (`<campaign>/…` post ids) or post. */
  async list(filter: { campaign?: string; postId?: string } = {}): Promise<LedgerListing> {
    const prefix = filter.postId
      ? `${PREFIXES.ledger}${filter.postId}/`
      : filter.campaign
        ? `${PREFIXES.ledger}${filter.campaign}/`
        : PREFIXES.ledger;
    const out: LedgerListing = { entries: [], failures: [] };
    for await (const obj of this.storage.list(prefix)) {
      const parsed = parseLedgerKey(obj.key);
      // A post id is <campaign>/<date>/<slot>: deeper keys belong to other posts.
      if (!parsed || (filter.postId && parsed.postId !== filter.postId)) continue;
      if (parsed.kind === 'entry') {
        const e = await this.#readJson<LedgerEntry>(obj.key);
        if (e) out.entries.push(e);
      } else {
        const f = await this.#readJson<FailureRecord>(obj.key);
        if (f) out.failures.push(f);
      }
    }
    return out;
  }

  async #readVersioned(key: string): Promise<VersionedEntry | undefined> {
    const read = await this.storage.getVersioned(key);
    return read && { entry: JSON.parse(read.body.toString('utf8')) as LedgerEntry, version: read.version };
  }

  async #readJson<T>(key: string): Promise<T | undefined> {
    const read = await this.storage.getVersioned(key);
    return read && (JSON.parse(read.body.toString('utf8')) as T);
  }
}
