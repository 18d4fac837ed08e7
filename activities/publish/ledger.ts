import { ledgerFailureKey, ledgerKey, parseLedgerKey, PREFIXES, type ObjectStorage } from '../storage';
import type { ChannelPostOptions } from './channel';

/**
 * The publish ledger: one entry per (post, channel) in storage, so publishing is at most once
 * across retries, crashes, timeouts and replays (docs/ARCHITECTURE.md, "The publish ledger").
 *
 *   absent ──claim (create-if-absent)──► claimed ──remote call ok──► published (remote id)
 *                                          │ certainly not posted: released (deleted) + failure record
 *                                          │ outcome unknown: stays claimed; the next attempt
 *                                          ▼ reconciles (looks on the channel) before posting
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
   * The platform's handle for this attempt's upload, saved as soon as it exists (TikTok
   * publish_id, YouTube upload session URI, Instagram container id): a retry continues it
   * instead of uploading a second time. A takeover keeps it.
   */
  handle?: ChannelHandle;
  /** Earlier publishes replaced by a forced replay, newest last. */
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

const JSON_TYPE = { contentType: 'application/json' };

export class PublishLedger {
  constructor(readonly storage: ObjectStorage) {}

  async read(postId: string, channel: string): Promise<LedgerEntry | undefined> {
    return this.#readJson<LedgerEntry>(ledgerKey(postId, channel));
  }

  async readFailure(postId: string, channel: string): Promise<FailureRecord | undefined> {
    return this.#readJson<FailureRecord>(ledgerFailureKey(postId, channel));
  }

  /** Claims (post, channel) for `attemptId`. When someone else holds it, returns their entry. */
  async claim(
    fields: Pick<LedgerEntry, 'postId' | 'channel' | 'caption' | 'renditionKey' | 'attemptId'> &
      PublishSettings,
    now = new Date(),
  ): Promise<{ claimed: boolean; entry: LedgerEntry }> {
    const entry: LedgerEntry = { ...fields, state: 'claimed', claimedAt: now.toISOString() };
    const key = ledgerKey(fields.postId, fields.channel);
    if (await this.storage.createIfAbsent(key, JSON.stringify(entry, null, 2), JSON_TYPE)) {
      return { claimed: true, entry };
    }
    const existing = await this.#readJson<LedgerEntry>(key);
    // Released between our create and read: try once more rather than report a phantom holder.
    if (!existing) return this.claim(fields, now);
    return { claimed: false, entry: existing };
  }

  /**
   * Takes over a claim whose attempt is gone (it crashed or timed out), after reconciling found
   * no post. A forced replay also re-opens a published entry this way, keeping its history.
   */
  async takeOver(
    entry: LedgerEntry,
    fields: Pick<LedgerEntry, 'attemptId' | 'caption' | 'renditionKey'> & PublishSettings,
    now = new Date(),
  ): Promise<LedgerEntry> {
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
    await this.storage.put(ledgerKey(entry.postId, entry.channel), JSON.stringify(next, null, 2), JSON_TYPE);
    return next;
  }

  async holds(postId: string, channel: string, attemptId: string): Promise<boolean> {
    const entry = await this.read(postId, channel);
    return entry?.state === 'claimed' && entry.attemptId === attemptId;
  }

  /**
   * Saves the platform's handle into the claim, only while `attemptId` holds it. Returns false
   * when the claim was taken over (this attempt must stop).
   */
  async saveHandle(
    postId: string,
    channel: string,
    attemptId: string,
    handle: ChannelHandle,
  ): Promise<boolean> {
    const entry = await this.read(postId, channel);
    if (entry?.state !== 'claimed' || entry.attemptId !== attemptId) return false;
    const next: LedgerEntry = { ...entry, handle: { ...entry.handle, ...handle } };
    await this.storage.put(ledgerKey(postId, channel), JSON.stringify(next, null, 2), JSON_TYPE);
    return true;
  }

  async complete(
    entry: LedgerEntry,
    remote: { remoteId: string; url?: string },
    reconciled: boolean,
    now = new Date(),
  ): Promise<LedgerEntry> {
    const done: LedgerEntry = {
      ...entry,
      state: 'published',
      remoteId: remote.remoteId,
      url: remote.url,
      publishedAt: now.toISOString(),
      reconciled,
    };
    await this.storage.put(ledgerKey(entry.postId, entry.channel), JSON.stringify(done, null, 2), JSON_TYPE);
    await this.storage.delete(ledgerFailureKey(entry.postId, entry.channel));
    return done;
  }

  /** Gives the claim up when the channel certainly has no post from it; only its holder may. */
  async release(postId: string, channel: string, attemptId: string): Promise<void> {
    if (await this.holds(postId, channel, attemptId)) await this.storage.delete(ledgerKey(postId, channel));
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

  async #readJson<T>(key: string): Promise<T | undefined> {
    if (!(await this.storage.head(key))) return undefined;
    try {
      return JSON.parse((await this.storage.getBuffer(key)).toString('utf8')) as T;
    } catch (err) {
      // Deleted between head and get (a release): the same as absent.
      if ((err as Error).name === 'ObjectNotFoundError') return undefined;
      throw err;
    }
  }
}
