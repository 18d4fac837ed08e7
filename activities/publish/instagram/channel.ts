import { setTimeout as sleep } from 'node:timers/promises';
import type { ObjectStorage } from '../../storage';
import { DEFAULT_ACCOUNT, reconnectCommand, type TokenSource } from '../accounts';
import type { Channel, PublishContext, PublishRequest, RemotePost } from '../channel';
import { RangeReader } from '../range-reader';
import {
  ChannelAuthError,
  ChannelContentRejectedError,
  ChannelRateLimitedError,
  ChannelUnavailableError,
  MediaProcessingFailedError,
  PublishError,
  RenditionMissingError,
} from '../errors';
import { captionKey, captionLength, captionProblem } from './caption';
import { GraphClient, GraphError, GraphNoAnswerError, uploadJson, withTimeout, type Params } from './graph';
import { containerError, parseStatusCode, type ContainerStatusCode } from './status';

export const INSTAGRAM_DEFAULTS = {
  graphBaseUrl: 'https://graph.instagram.com',
  uploadBaseUrl: 'https://rupload.facebook.com',
  apiVersion: 'v25.0',
} as const;

export interface InstagramChannelOptions {
  storage: ObjectStorage;
  /** The connected account's token, refreshed by the token store; a function of the account name when calendars name accounts. */
  tokens: TokenSource | ((account: string) => TokenSource);
  /** Default https://graph.instagram.com (Instagram API with Instagram Login). */
  graphBaseUrl?: string;
  /** Default https://rupload.facebook.com: where the video bytes go. */
  uploadBaseUrl?: string;
  apiVersion?: string;
  /**
   * When set, Instagram downloads the rendition from this URL (a presigned storage link that the
   * internet can reach) instead of Reelcast uploading it.
   */
  publicVideoUrl?: (renditionKey: string) => Promise<string>;
  pollIntervalMs?: number;
  /** Longest wait in one attempt for Instagram to process the video; the retry continues it. */
  processingDeadlineMs?: number;
  /** Reconcile looks for the reel from the claim's time minus this margin. */
  reconcileWindowMs?: number;
  requestTimeoutMs?: number;
  /** The whole video upload, one request. */
  uploadTimeoutMs?: number;
  /** Delay before the first in-attempt retry of a repeatable step; doubles each time. */
  retryBaseMs?: number;
}

/** Instagram Platform: Reels specifications (MP4/MOV, ≤ 300 MB, 3 s – 15 min). */
const LIMITS = { maxCaptionChars: 2200, maxVideoBytes: 300 * 1024 * 1024, maxDurationSeconds: 900 };
const TRIES = 3;
const RECONCILE_MAX_PAGES = 5;
const PROGRESS_EVERY_BYTES = 4 * 1024 * 1024;
/** The one buffer the upload is sent from (see chunks). */
const UPLOAD_CHUNK_BYTES = 1024 * 1024;
/** A container expires 24 h after creation: a published one is at most that old, plus the wait. */
const CONTAINER_LIFETIME_MS = 25 * 3600_000;
const PUBLISHING_LIMIT_SUBCODE = 2207042;

interface Account {
  /** The Instagram professional account id (`user_id`), the node posts are made on. */
  id: string;
  username: string;
}

/** The ledger handle: the container to continue; small strings only. */
interface ContainerHandle {
  containerId: string;
  upload: 'resumable' | 'video_url';
}

type Readiness = { state: 'FINISHED' | 'PUBLISHED' } | { state: 'start-over'; why: string };

/**
 * Instagram Reels through the Instagram Graph API: create a media container (REELS), upload the
 * video to it (resumable upload) or let Instagram fetch it (video_url), wait until the container
 * is FINISHED, check the publishing limit, then media_publish. The container id is saved in the
 * ledger claim as soon as it exists, so a retry continues that container instead of uploading
 * again, and finds the reel instead of publishing it twice.
 */
export class InstagramChannel implements Channel {
  readonly name = 'reels' as const;
  readonly preset = 'reels';
  readonly limits = LIMITS;
  readonly reconcileBy = 'lookup' as const;
  readonly #o: Required<Omit<InstagramChannelOptions, 'publicVideoUrl'>> &
    Pick<InstagramChannelOptions, 'publicVideoUrl'>;
  readonly #graph: GraphClient;
  /** The posting account's id and name, per connected account. */
  readonly #accounts = new Map<string, Promise<Account>>();

  constructor(options: InstagramChannelOptions) {
    this.#o = {
      graphBaseUrl: INSTAGRAM_DEFAULTS.graphBaseUrl,
      uploadBaseUrl: INSTAGRAM_DEFAULTS.uploadBaseUrl,
      apiVersion: INSTAGRAM_DEFAULTS.apiVersion,
      pollIntervalMs: 3000,
      processingDeadlineMs: 10 * 60_000,
      reconcileWindowMs: 15 * 60_000,
      requestTimeoutMs: 60_000,
      uploadTimeoutMs: 30 * 60_000,
      retryBaseMs: 500,
      ...options,
    };
    this.#graph = new GraphClient({
      baseUrl: this.#o.graphBaseUrl,
      version: this.#o.apiVersion,
      requestTimeoutMs: this.#o.requestTimeoutMs,
    });
  }

  captionLength(caption: string): number {
    return captionLength(caption);
  }

  /**
   * 1. caption rules (hashtags, @ tags) checked before anything is sent
   * 2. an earlier attempt's container (context.handle) is continued: FINISHED is published
   *    without a new upload, PUBLISHED is looked up, EXPIRED/ERROR (never publishable) start over
   * 3. otherwise: publishing limit, new container (handle saved at once), upload (resumed at the
   *    offset Instagram reports after a break)
   * 4. poll status_code until FINISHED; the "object does not exist" read that Instagram answers
   *    seconds before FINISHED (code 100, subcode 33) counts as still processing
   * 5. publishing limit again, context.beforeCreate(), media_publish
   */
  async publish(request: PublishRequest, context: PublishContext): Promise<RemotePost> {
    const problem = captionProblem(request.caption);
    if (problem) throw new ChannelContentRejectedError(this.name, problem);
    const calls = this.#calls(request);
    const me = await this.#me(calls);
    let handle = asHandle(context.handle);
    let startedOver = false;
    for (;;) {
      const continuing = handle !== undefined;
      if (!handle) {
        await this.#checkPublishingLimit(calls, me);
        handle = await this.#createContainer(calls, me, request, context);
        if (handle.upload === 'resumable')
          await this.#transfer(calls, handle.containerId, request, context, 0);
      }
      const ready = await this.#waitUntilReady(calls, handle, request, context, continuing);
      if (ready.state === 'PUBLISHED') return this.#findPublished(calls, me, request);
      if (ready.state === 'start-over') {
        // The container can never be published, so nothing was: a new one is safe. Once per attempt.
        if (startedOver) throw new ChannelUnavailableError(this.name, 'process the video', ready.why, true);
        startedOver = true;
        handle = undefined;
        continue;
      }
      await this.#checkPublishingLimit(calls, me);
      context.progress({ step: 'create' });
      // A newer attempt publishes this same container, or finds it PUBLISHED: one reel.
      await context.beforeCreate({ repeatable: true });
      return this.#publishContainer(calls, me, handle.containerId, request, context);
    }
  }

  async reconcile(
    request: PublishRequest,
    since: Date,
    ignore: readonly string[],
  ): Promise<RemotePost | undefined> {
    const calls = this.#calls(request);
    const me = await this.#me(calls);
    return this.#lookup(
      calls,
      me,
      request.caption,
      new Date(since.getTime() - this.#o.reconcileWindowMs),
      ignore,
    );
  }

  #calls(request: PublishRequest): TokenCalls {
    const tokens = this.#o.tokens;
    return new TokenCalls(typeof tokens === 'function' ? tokens(request.account ?? DEFAULT_ACCOUNT) : tokens);
  }

  async #me(calls: TokenCalls): Promise<Account> {
    const key = calls.tokens.account;
    const cached = this.#accounts.get(key);
    if (cached) return cached;
    const account = this.#retrying(calls, 'read the posting account', false, (token) =>
      this.#graph.get<{ user_id?: string | number; id?: string; username?: string }>(
        'read the posting account',
        'me',
        { fields: 'user_id,username' },
        token,
      ),
    ).then((r) => ({ id: String(r.user_id ?? r.id), username: r.username ?? '' }));
    this.#accounts.set(key, account);
    try {
      return await account;
    } catch (err) {
      this.#accounts.delete(key);
      throw err;
    }
  }

  async #createContainer(
    calls: TokenCalls,
    me: Account,
    request: PublishRequest,
    context: PublishContext,
  ): Promise<ContainerHandle> {
    const videoUrl = this.#o.publicVideoUrl ? await this.#o.publicVideoUrl(request.renditionKey) : undefined;
    const params: Params = {
      media_type: 'REELS',
      caption: request.caption,
      share_to_feed: request.options?.instagram?.shareToFeed ?? true,
      // Instagram Platform changelog, 22 June 2026: the AI info label, set on container creation.
      is_ai_generated: request.aiGenerated ?? true,
      ...(videoUrl ? { video_url: videoUrl } : { upload_type: 'resumable' }),
    };
    // Safe to repeat: a container nobody publishes expires unseen after 24 h.
    const created = await this.#retrying(calls, 'create the Instagram upload', false, (token) =>
      this.#graph.post<{ id: string }>(
        'create the Instagram upload',
        `${me.id}/media`,
        params,
        token,
        context.signal,
      ),
    );
    const handle: ContainerHandle = {
      containerId: String(created.id),
      upload: videoUrl ? 'video_url' : 'resumable',
    };
    await context.saveHandle({ ...handle });
    return handle;
  }

  /** Streams the rendition from storage to the container's upload URL, resuming after a break. */
  async #transfer(
    calls: TokenCalls,
    containerId: string,
    request: PublishRequest,
    context: PublishContext,
    from: number,
  ): Promise<void> {
    const head = await this.#o.storage.head(request.renditionKey);
    if (!head) throw new RenditionMissingError(this.name, request.renditionKey);
    const step = 'upload the video';
    let offset = from;
    for (let attempt = 1; ; attempt++) {
      try {
        await calls.call((token) =>
          this.#uploadOnce(token, containerId, request.renditionKey, offset, head.size, context),
        );
        return;
      } catch (err) {
        const classified = this.#classify(calls, err, step, false);
        if (!(classified instanceof ChannelUnavailableError) || attempt >= TRIES) throw classified;
        await sleep(this.#o.retryBaseMs * 2 ** (attempt - 1), undefined, { signal: context.signal });
        // Continue where Instagram says the bytes stopped; from the start when it does not say.
        offset = (await this.#uploadedBytes(calls, containerId)) ?? 0;
      }
    }
  }

  async #uploadOnce(
    token: string,
    containerId: string,
    key: string,
    offset: number,
    total: number,
    context: PublishContext,
  ): Promise<void> {
    const reader = RangeReader.of(this.#o.storage, key);
    try {
      context.progress({ step: 'upload', done: offset, total });
      const url = `${this.#o.uploadBaseUrl.replace(/\/+$/, '')}/ig-api-upload/${this.#graph.version}/${containerId}`;
      await uploadJson(
        'upload the video',
        url,
        {
          authorization: `OAuth ${token}`,
          offset: String(offset),
          file_size: String(total),
          'content-type': 'application/octet-stream',
          'content-length': String(total - offset),
        },
        chunks(reader, key, offset, total, (done) => context.progress({ step: 'upload', done, total })),
        withTimeout(context.signal, this.#o.uploadTimeoutMs),
      );
      context.progress({ step: 'upload', done: total, total });
    } finally {
      reader.close();
    }
  }

  /**
   * How many bytes Instagram holds for the container (`video_status.uploading_phase`, Meta's
   * resumable-upload status); undefined when it does not say.
   */
  async #uploadedBytes(calls: TokenCalls, containerId: string): Promise<number | undefined> {
    try {
      const res = await this.#retrying(calls, 'check the upload', false, (token) =>
        this.#graph.get<{ video_status?: { uploading_phase?: { bytes_transferred?: number | string } } }>(
          'check the upload',
          containerId,
          { fields: 'video_status' },
          token,
        ),
      );
      const n = Number(res.video_status?.uploading_phase?.bytes_transferred);
      return Number.isInteger(n) && n >= 0 ? n : undefined;
    } catch (err) {
      if (err instanceof ChannelContentRejectedError) return undefined; // field unknown here
      throw err;
    }
  }

  async #waitUntilReady(
    calls: TokenCalls,
    handle: ContainerHandle,
    request: PublishRequest,
    context: PublishContext,
    continuing: boolean,
  ): Promise<Readiness> {
    const deadline = Date.now() + this.#o.processingDeadlineMs;
    let checkedUpload = !continuing || handle.upload !== 'resumable';
    context.progress({ step: 'processing' });
    for (;;) {
      const status = await this.#status(calls, handle.containerId, context);
      if (status?.code === 'FINISHED' || status?.code === 'PUBLISHED') return { state: status.code };
      if (status?.code === 'EXPIRED') {
        return { state: 'start-over', why: 'the upload expired: Instagram keeps an unpublished upload 24 h' };
      }
      if (status?.code === 'ERROR') {
        const error = containerError(status.detail);
        if (!error.retryable) throw new MediaProcessingFailedError(this.name, error.text);
        return { state: 'start-over', why: error.text };
      }
      if (status && !checkedUpload) {
        // An earlier attempt's upload may have stopped midway: send the rest first.
        checkedUpload = true;
        const head = await this.#o.storage.head(request.renditionKey);
        const have = await this.#uploadedBytes(calls, handle.containerId);
        if (head && have !== undefined && have < head.size) {
          await this.#transfer(calls, handle.containerId, request, context, have);
        }
      }
      context.progress({ step: 'processing' });
      if (Date.now() >= deadline) {
        // Not published, but the container is kept (outcome left open) so the retry continues it.
        throw new ChannelUnavailableError(
          this.name,
          'wait for Instagram to process the video',
          `still processing after ${Math.round(this.#o.processingDeadlineMs / 1000)} s`,
          false,
        );
      }
      await sleep(Math.min(this.#o.pollIntervalMs, Math.max(0, deadline - Date.now())), undefined, {
        signal: context.signal,
      });
    }
  }

  /** The container's status; undefined while Instagram cannot say (transient read failures). */
  async #status(
    calls: TokenCalls,
    containerId: string,
    context: PublishContext,
  ): Promise<{ code: ContainerStatusCode; detail?: string } | undefined> {
    const step = 'check video processing';
    try {
      const res = await calls.call((token) =>
        this.#graph.get<{ status_code?: string; status?: string }>(
          step,
          containerId,
          { fields: 'status_code,status' },
          token,
          context.signal,
        ),
      );
      const code = parseStatusCode(res.status_code);
      return code ? { code, detail: res.status } : undefined;
    } catch (err) {
      // Instagram answers "object does not exist" (100/33) seconds before a container is
      // FINISHED: never final. Other passing failures: ask again at the next poll.
      if (err instanceof GraphError && err.code === 100 && err.subcode === 33) return undefined;
      const classified = this.#classify(calls, err, step, false);
      if (classified instanceof ChannelUnavailableError) return undefined;
      throw classified;
    }
  }

  async #publishContainer(
    calls: TokenCalls,
    me: Account,
    containerId: string,
    request: PublishRequest,
    context: PublishContext,
  ): Promise<RemotePost> {
    const step = 'publish the reel';
    let published: { id: string };
    try {
      published = await calls.call((token) =>
        this.#graph.post<{ id: string }>(step, `${me.id}/media_publish`, { creation_id: containerId }, token),
      );
    } catch (err) {
      if (err instanceof GraphError && err.code === 9 && err.subcode === PUBLISHING_LIMIT_SUBCODE) {
        throw await this.#limitReached(calls, me, undefined);
      }
      const refused = err instanceof GraphError && !err.transient && !err.tokenRejected;
      if (refused && (await this.#status(calls, containerId, context))?.code === 'PUBLISHED') {
        // An earlier attempt published this very container (Instagram refuses a second time).
        return this.#findPublished(calls, me, request);
      }
      throw this.#classify(calls, err, step, true);
    }
    return { remoteId: String(published.id), url: await this.#permalink(calls, String(published.id)) };
  }

  /** The reel exists; its link is a nicety: a failure to read it must not lose the id. */
  async #permalink(calls: TokenCalls, mediaId: string): Promise<string | undefined> {
    try {
      const res = await calls.call((token) =>
        this.#graph.get<{ permalink?: string }>(
          'read the reel link',
          mediaId,
          { fields: 'permalink' },
          token,
        ),
      );
      return res.permalink;
    } catch {
      return undefined;
    }
  }

  /** The container is PUBLISHED: find its reel by caption; not yet listed means try again later. */
  async #findPublished(calls: TokenCalls, me: Account, request: PublishRequest): Promise<RemotePost> {
    const found = await this.#lookup(
      calls,
      me,
      request.caption,
      new Date(Date.now() - CONTAINER_LIFETIME_MS),
      [],
    );
    if (found) return found;
    throw new ChannelUnavailableError(
      this.name,
      'find the published reel',
      'Instagram reports the reel published but does not list it yet',
      false,
    );
  }

  /** The account's reels since `start` (newest first), the first whose caption matches. */
  async #lookup(
    calls: TokenCalls,
    me: Account,
    caption: string,
    start: Date,
    ignore: readonly string[],
  ): Promise<RemotePost | undefined> {
    const wanted = captionKey(caption);
    for await (const media of this.#recentMedia(calls, me, start)) {
      if (!ignore.includes(media.id) && captionKey(media.caption ?? '') === wanted) {
        return { remoteId: media.id, url: media.permalink };
      }
    }
    return undefined;
  }

  async *#recentMedia(calls: TokenCalls, me: Account, start: Date): AsyncGenerator<MediaItem> {
    const step = 'look up recent reels';
    let after: string | undefined;
    for (let page = 1; page <= RECONCILE_MAX_PAGES; page++) {
      const res = await this.#retrying(calls, step, false, (token) =>
        this.#graph.get<MediaPage>(
          step,
          `${me.id}/media`,
          { fields: 'id,caption,timestamp,permalink', limit: 50, after },
          token,
        ),
      );
      for (const m of res.data ?? []) {
        const at = Date.parse(m.timestamp ?? '');
        if (Number.isFinite(at) && at < start.getTime()) return; // newest first: the rest is older
        yield { ...m, id: String(m.id) };
      }
      after = res.paging?.next ? res.paging.cursors?.after : undefined;
      if (!after) return;
    }
  }

  /** Throws ChannelRateLimitedError when the account used its rolling 24-hour publishing quota. */
  async #checkPublishingLimit(calls: TokenCalls, me: Account): Promise<void> {
    const step = 'check the publishing limit';
    let usage:
      { quota_usage?: number; config?: { quota_total?: number; quota_duration?: number } } | undefined;
    try {
      const res = await this.#retrying(calls, step, false, (token) =>
        this.#graph.get<{ data?: (typeof usage)[] }>(
          step,
          `${me.id}/content_publishing_limit`,
          { fields: 'quota_usage,config' },
          token,
        ),
      );
      usage = res.data?.[0];
    } catch (err) {
      // Only a courtesy check: media_publish enforces the limit itself.
      if (err instanceof ChannelUnavailableError) return;
      throw err;
    }
    const total = Number(usage?.config?.quota_total);
    if (Number.isFinite(total) && Number(usage?.quota_usage) >= total) {
      throw await this.#limitReached(calls, me, Number(usage?.config?.quota_duration) || undefined);
    }
  }

  /**
   * The limit is a rolling window (quota_duration, 24 h): a slot frees when the oldest reel in
   * the window leaves it. Instagram does not say when; the account's reels do. Retryable: the
   * reel goes out then, and `reelcast failures` shows until when it waits.
   */
  async #limitReached(
    calls: TokenCalls,
    me: Account,
    windowSeconds: number | undefined,
  ): Promise<ChannelRateLimitedError> {
    const windowMs = (windowSeconds ?? 86_400) * 1000;
    const now = Date.now();
    let oldest = Infinity;
    try {
      for await (const m of this.#recentMedia(calls, me, new Date(now - windowMs))) {
        oldest = Math.min(oldest, Date.parse(m.timestamp ?? '') || Infinity);
      }
    } catch {
      // No list: fall back to an hour.
    }
    const resetAt = new Date(
      Math.max(now + 60_000, Number.isFinite(oldest) ? oldest + windowMs + 60_000 : now + 3600_000),
    );
    return new ChannelRateLimitedError(this.name, resetAt.getTime() - now, resetAt);
  }

  /** Repeatable steps: a passing 5xx or dropped connection is retried here with backoff. */
  async #retrying<T>(
    calls: TokenCalls,
    step: string,
    creating: boolean,
    call: (token: string) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await calls.call(call);
      } catch (err) {
        const classified = this.#classify(calls, err, step, creating);
        if (!(classified instanceof ChannelUnavailableError) || attempt >= TRIES) throw classified;
        await sleep(this.#o.retryBaseMs * 2 ** (attempt - 1));
      }
    }
  }

  #classify(calls: TokenCalls, err: unknown, step: string, creating: boolean): Error {
    if (err instanceof PublishError || !(err instanceof Error) || err.name === 'AbortError')
      return err as Error;
    if (err instanceof GraphNoAnswerError)
      return new ChannelUnavailableError(this.name, step, err.detail, !creating);
    if (!(err instanceof GraphError)) return err;
    const fix = reconnectCommand('instagram', calls.tokens.account);
    if (err.tokenRejected) return new ChannelAuthError(this.name, `${step}: ${err.detail}`, fix);
    if (err.code === 10 || (err.code !== undefined && err.code >= 200 && err.code <= 299)) {
      return new ChannelAuthError(
        this.name,
        `${step}: ${err.detail}; the account must grant instagram_business_content_publish`,
        fix,
      );
    }
    if ([4, 17, 32, 613].includes(err.code ?? 0) || err.httpStatus === 429) {
      const resetAt = err.regainAccessAt ?? new Date(Date.now() + 60_000);
      return new ChannelRateLimitedError(this.name, Math.max(1000, resetAt.getTime() - Date.now()), resetAt);
    }
    if (err.transient || err.code === -1 || err.code === -2) {
      return new ChannelUnavailableError(this.name, step, err.detail, !creating);
    }
    return new ChannelContentRejectedError(this.name, `${step}: ${err.detail}`);
  }
}

interface MediaItem {
  id: string;
  caption?: string;
  timestamp?: string;
  permalink?: string;
}

interface MediaPage {
  data?: MediaItem[];
  paging?: { cursors?: { after?: string }; next?: string };
}

/**
 * One attempt's token: asked for once, and refreshed at most once when Instagram rejects it
 * (code 190); a second rejection is the caller's to report.
 */
class TokenCalls {
  #token: string | undefined;
  #refreshed = false;

  constructor(readonly tokens: TokenSource) {}

  async call<T>(fn: (token: string) => Promise<T>): Promise<T> {
    this.#token ??= await this.tokens.accessToken();
    try {
      return await fn(this.#token);
    } catch (err) {
      if (!(err instanceof GraphError && err.tokenRejected) || this.#refreshed) throw err;
      this.#refreshed = true;
      this.#token = await this.tokens.refreshAfterRejection(this.#token);
      return fn(this.#token);
    }
  }
}

function asHandle(handle: Record<string, string> | undefined): ContainerHandle | undefined {
  if (!handle?.containerId) return undefined;
  return {
    containerId: handle.containerId,
    upload: handle.upload === 'video_url' ? 'video_url' : 'resumable',
  };
}

/** The stream without its first `n` bytes (resuming an upload reads past what was sent). */
/**
 * Bytes [offset, total) of the rendition as UPLOAD_CHUNK_BYTES views of the reader's one buffer,
 * each valid until the next is asked for (sendBuffer flushes it first): memory stays at one chunk.
 */
export async function* chunks(
  reader: RangeReader,
  key: string,
  offset: number,
  total: number,
  report: (done: number) => void,
): AsyncGenerator<Buffer> {
  let next = offset + PROGRESS_EVERY_BYTES;
  for (let at = offset; at < total;) {
    const bytes = await reader.read(at, Math.min(at + UPLOAD_CHUNK_BYTES, total));
    if (bytes.length === 0)
      throw new Error(`the rendition ${key} ends before its recorded size of ${total} bytes`);
    yield bytes;
    at += bytes.length;
    if (at >= next) {
      report(at);
      next = at + PROGRESS_EVERY_BYTES;
    }
  }
}
