import { Agent as HttpAgent } from 'node:http';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ApiResponseError,
  TwitterApi,
  type ITwitterApiClientPlugin,
  type TwitterApiReadWrite,
  type UserV2,
} from 'twitter-api-v2';
import type { ObjectStorage } from '../storage';
import type { Channel, PublishContext, PublishRequest, RemotePost } from './channel';
import {
  ChannelAuthError,
  ChannelContentRejectedError,
  ChannelRateLimitedError,
  ChannelUnavailableError,
  DuplicateContentError,
  MediaProcessingFailedError,
  MediaProcessingTimeoutError,
  RenditionMissingError,
} from './errors';

/** The API host twitter-api-v2 calls; X_API_BASE_URL replaces it, paths (/2/...) stay. */
const X_API_ORIGINS = ['https://api.x.com', 'https://upload.x.com', 'https://api.twitter.com'];

export interface XCredentials {
  appKey: string;
  appSecret: string;
  accessToken: string;
  accessSecret: string;
}

export interface XChannelOptions {
  storage: ObjectStorage;
  credentials: XCredentials;
  /** Replaces https://api.x.com, e.g. a proxy, or the fake X server in tests. */
  apiBaseUrl?: string;
  /** Reconcile looks at posts created since the claim minus this margin. */
  reconcileWindowMs: number;
  /** Longest wait for X to process an uploaded video. */
  processingDeadlineMs: number;
  /** Bytes per append request (X accepts up to 5 MB per chunk). */
  chunkBytes?: number;
  requestTimeoutMs?: number;
  /** Delay before the first in-attempt retry of an upload request; doubles each time. */
  retryBaseMs?: number;
  /**
   * What a person does to give the account new tokens, when X refuses these (an account from the
   * token store: its connect command). Default: ENVIRONMENT_TOKENS_FIX.
   */
  newTokensFix?: string;
}

/** How the `default` account defined by the environment gets new tokens. */
export const ENVIRONMENT_TOKENS_FIX =
  'create a new access token for the posting account and set X_ACCESS_TOKEN and X_ACCESS_SECRET';

const RECONCILE_MAX_PAGES = 5;
const UPLOAD_TRIES = 3;

/**
 * X (Twitter): OAuth 1.0a user context, v2 chunked media upload (tweet_video), our own wait for
 * processing, then a v2 post with the media and caption. Its caption and video limits are the
 * channel table's (channel-table.ts), checked before publish is called.
 */
export class XChannel implements Channel {
  readonly name = 'x' as const;
  readonly reconcileBy = 'lookup' as const;
  readonly client: TwitterApiReadWrite;
  readonly #options: Required<Omit<XChannelOptions, 'apiBaseUrl'>> & { apiBaseUrl?: string };
  #me: Promise<UserV2> | undefined;

  constructor(options: XChannelOptions) {
    this.#options = {
      chunkBytes: 4 * 1024 * 1024,
      requestTimeoutMs: 60_000,
      retryBaseMs: 500,
      newTokensFix: ENVIRONMENT_TOKENS_FIX,
      ...options,
    };
    const base = options.apiBaseUrl?.replace(/\/+$/, '');
    const timeout = this.#options.requestTimeoutMs;
    const rewrite: ITwitterApiClientPlugin = {
      onBeforeRequestConfig({ params }) {
        if (base) {
          const origin = X_API_ORIGINS.find((o) => params.url.startsWith(`${o}/`));
          if (origin) params.url = base + params.url.slice(origin.length);
        }
        params.timeout ??= timeout;
      },
    };
    this.client = new TwitterApi(options.credentials, {
      plugins: [rewrite],
      // twitter-api-v2 always calls https.request; an http agent lets it speak plain HTTP to a
      // loopback proxy or the fake server.
      ...(base?.startsWith('http:') ? { httpAgent: new HttpAgent({ keepAlive: true }) } : {}),
    }).readWrite;
  }

  async publish(request: PublishRequest, context: PublishContext): Promise<RemotePost> {
    const me = await this.#account();
    const mediaId = await this.#upload(request.renditionKey, context);
    await this.#waitForProcessing(mediaId, context);
    context.progress({ step: 'create' });
    await context.beforeCreate();
    let id: string;
    try {
      const res = await this.client.v2.tweet({ text: request.caption, media: { media_ids: [mediaId] } });
      id = res.data.id;
    } catch (err) {
      throw this.#classify(err, 'create post', true);
    }
    return { remoteId: id, url: postUrl(me.username, id) };
  }

  async reconcile(
    request: PublishRequest,
    since: Date,
    ignore: readonly string[],
  ): Promise<RemotePost | undefined> {
    const me = await this.#account();
    const start = new Date(since.getTime() - this.#options.reconcileWindowMs);
    const wanted = normalizeText(request.caption);
    try {
      const timeline = await this.client.v2.userTimeline(me.id, {
        start_time: start.toISOString(),
        max_results: 100,
        exclude: ['retweets', 'replies'],
        'tweet.fields': ['created_at'],
      });
      for (let page = 1; ; page++) {
        const found = timeline.tweets.find((t) => !ignore.includes(t.id) && normalizeText(t.text) === wanted);
        if (found) return { remoteId: found.id, url: postUrl(me.username, found.id) };
        if (timeline.done || page >= RECONCILE_MAX_PAGES) return undefined;
        await timeline.fetchNext();
      }
    } catch (err) {
      throw this.#classify(err, 'look up recent posts', false);
    }
  }

  async #account(): Promise<UserV2> {
    this.#me ??= this.client.v2.me().then((r) => r.data);
    try {
      return await this.#me;
    } catch (err) {
      this.#me = undefined;
      throw this.#classify(err, 'read the posting account', false);
    }
  }

  async #upload(key: string, context: PublishContext): Promise<string> {
    const head = await this.#options.storage.head(key);
    if (!head) throw new RenditionMissingError(this.name, key);
    const total = head.size;
    context.progress({ step: 'upload', done: 0, total });
    const init = await this.#retrying('start the video upload', () =>
      this.client.v2.post<{ data: { id: string } }>('media/upload/initialize', {
        media_type: 'video/mp4',
        total_bytes: total,
        media_category: 'tweet_video',
      }),
    );
    const mediaId = init.data.id;
    let index = 0;
    let sent = 0;
    for await (const chunk of chunksOf(await this.#options.storage.get(key), this.#options.chunkBytes)) {
      context.signal?.throwIfAborted();
      const segment = index++;
      await this.#retrying('upload a video chunk', () =>
        this.client.v2.post(
          `media/upload/${mediaId}/append`,
          { segment_index: segment, media: chunk },
          { forceBodyMode: 'form-data' },
        ),
      );
      sent += chunk.length;
      context.progress({ step: 'upload', done: sent, total });
    }
    await this.#retrying('finish the video upload', () =>
      this.client.v2.post(`media/upload/${mediaId}/finalize`),
    );
    return mediaId;
  }

  /** Polls STATUS until succeeded or failed, within the deadline (the library's wait can return early). */
  async #waitForProcessing(mediaId: string, context: PublishContext): Promise<void> {
    const deadline = Date.now() + this.#options.processingDeadlineMs;
    for (;;) {
      const res = await this.#retrying('check video processing', () =>
        this.client.v2.get<{ data: { processing_info?: ProcessingInfo } }>('media/upload', {
          command: 'STATUS',
          media_id: mediaId,
        }),
      );
      const info = res.data.processing_info;
      if (!info || info.state === 'succeeded') return;
      if (info.state === 'failed') {
        throw new MediaProcessingFailedError(
          this.name,
          info.error?.message ?? info.error?.name ?? 'no detail given',
        );
      }
      context.progress({ step: 'processing', done: info.progress_percent ?? 0, total: 100 });
      const left = deadline - Date.now();
      if (left <= 0)
        throw new MediaProcessingTimeoutError(this.name, this.#options.processingDeadlineMs / 1000);
      const wait = Math.min(Math.max(info.check_after_secs ?? 1, 1) * 1000, left);
      await sleep(wait, undefined, { signal: context.signal });
    }
  }

  /**
   * Upload steps are safe to repeat, so a brief 5xx or dropped connection is retried here with
   * backoff instead of restarting the whole upload; anything else goes to the caller.
   */
  async #retrying<T>(step: string, call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        const classified = this.#classify(err, step, false);
        if (!(classified instanceof ChannelUnavailableError) || attempt >= UPLOAD_TRIES) throw classified;
        await sleep(this.#options.retryBaseMs * 2 ** (attempt - 1));
      }
    }
  }

  #classify(err: unknown, step: string, creating: boolean): Error {
    if (!(err instanceof Error) || err.name === 'AbortError') return err as Error;
    if (err instanceof ApiResponseError) {
      const detail = describe(err);
      if (err.code === 429) {
        const reset = err.rateLimit?.reset ?? Number(err.headers?.['x-rate-limit-reset']);
        const resetAt =
          Number.isFinite(reset) && reset > 0 ? new Date(reset * 1000) : new Date(Date.now() + 60_000);
        return new ChannelRateLimitedError(
          this.name,
          Math.max(1000, resetAt.getTime() - Date.now()),
          resetAt,
        );
      }
      if (err.code === 401) {
        return new ChannelAuthError(this.name, `${step}: ${detail}`, this.#options.newTokensFix);
      }
      if (err.code === 403) {
        if (/duplicate/i.test(detail)) return new DuplicateContentError(this.name);
        return new ChannelAuthError(
          this.name,
          `${step}: ${detail}`,
          `check the app has Read and Write permission and the account is in good standing, then ${this.#options.newTokensFix}`,
        );
      }
      if (err.code >= 500 || err.code === 408) {
        return new ChannelUnavailableError(this.name, step, detail, !creating);
      }
      return new ChannelContentRejectedError(this.name, `${step}: ${detail}`);
    }
    // No HTTP answer (reset, timeout, refused): if it was the create call, X may have the post.
    // twitter-api-v2 keeps the socket error in _options.error (its requestError getter reads another field).
    const wrapped = err as {
      requestError?: NodeJS.ErrnoException;
      _options?: { error?: NodeJS.ErrnoException };
    };
    const cause = wrapped.requestError ?? wrapped._options?.error;
    const detail = cause ? `${cause.code ?? cause.name}: ${cause.message}` : err.message;
    return new ChannelUnavailableError(this.name, step, detail, !creating);
  }
}

interface ProcessingInfo {
  state: 'pending' | 'in_progress' | 'succeeded' | 'failed';
  check_after_secs?: number;
  progress_percent?: number;
  error?: { name?: string; message?: string };
}

function describe(err: ApiResponseError): string {
  const data = err.data as
    { title?: string; detail?: string; errors?: Array<{ message?: string }> } | undefined;
  const text = data?.detail ?? data?.errors?.[0]?.message ?? data?.title;
  return text ? `HTTP ${err.code}: ${text}` : `HTTP ${err.code}`;
}

function postUrl(username: string, id: string): string {
  return `https://x.com/${username}/status/${id}`;
}

/**
 * The caption as X stores it varies from what was sent: links become t.co links, a media link
 * is appended, & < > are HTML-escaped. Compare without links, entities and extra whitespace.
 */
export function normalizeText(text: string): string {
  return text
    .normalize('NFC')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/https?:\/\/\S+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Re-chunks a stream into pieces of exactly `size` bytes (the last may be shorter). */
export async function* chunksOf(stream: Readable, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let length = 0;
  for await (const piece of stream) {
    let buf = Buffer.isBuffer(piece) ? piece : Buffer.from(piece as Uint8Array);
    while (length + buf.length >= size) {
      const take = size - length;
      parts.push(buf.subarray(0, take));
      yield Buffer.concat(parts);
      parts = [];
      length = 0;
      buf = buf.subarray(take);
    }
    if (buf.length > 0) {
      parts.push(buf);
      length += buf.length;
    }
  }
  if (length > 0) yield Buffer.concat(parts);
}
