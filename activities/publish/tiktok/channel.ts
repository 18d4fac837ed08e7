import { setTimeout as sleep } from 'node:timers/promises';
import type { ObjectStorage, StoredObject } from '../../storage';
import { DEFAULT_ACCOUNT, reconnectCommand, type TokenSource } from '../accounts';
import type { Channel, PublishContext, PublishRequest, RemotePost } from '../channel';
import {
  ChannelAuthError,
  ChannelContentRejectedError,
  ChannelRateLimitedError,
  ChannelUnavailableError,
  MediaProcessingFailedError,
  PublishClaimLostError,
  PublishError,
  RenditionMissingError,
} from '../errors';
import type { ChannelHandle } from '../ledger';
import { ByteReader, TIKTOK_API_BASE_URL, TikTokApi, TikTokApiError } from './api';
import { chunkAt, chunkRange, planChunks, type ChunkPlan } from './chunks';
import { postInfoFor, type CreatorInfo } from './post-info';
import { errorReason, failReason } from './reasons';

export interface TikTokChannelOptions {
  storage: ObjectStorage;
  /** The posting account's tokens; a function of the account name when calendars name accounts. */
  tokens: TokenSource | ((account: string) => TokenSource);
  /** Replaces https://open.tiktokapis.com (a proxy, or the fake TikTok in tests). */
  apiBaseUrl?: string;
  /** Preferred chunk size; the plan keeps it inside TikTok's 5–64 MB rule. */
  chunkBytes?: number;
  /** Between status checks (TikTok allows 30 a minute per token). */
  pollIntervalMs?: number;
  /** How long one attempt waits for TikTok to publish an uploaded video. */
  processingDeadlineMs?: number;
  /** Reconcile looks at posts created since the claim minus this margin. */
  reconcileWindowMs?: number;
  requestTimeoutMs?: number;
}

/** What the ledger claim keeps of an upload (strings only; the upload URL expires after 1 h). */
interface UploadHandle {
  publishId: string;
  uploadUrl: string;
  uploadUrlExpiresAt: string;
  videoSize: number;
  chunkSize: number;
}

/** Where an attempt is, for classifying an error: a live handle means TikTok may post the video. */
interface Attempt {
  /** The account whose tokens are used: the one to reconnect. */
  account: string;
  step: string;
  handle?: UploadHandle;
}

interface PostStatus {
  status?: string;
  fail_reason?: string;
  uploaded_bytes?: number;
  publicaly_available_post_id?: Array<string | number>;
}

interface VideoList {
  videos?: Array<{
    id: string | number;
    title?: string;
    video_description?: string;
    create_time?: number;
    share_url?: string;
  }>;
  cursor?: number;
  has_more?: boolean;
}

/** TikTok's upload_url is valid for an hour; a resume needs time left to send the rest. */
const UPLOAD_URL_LIFETIME_MS = 60 * 60_000;
const UPLOAD_URL_MARGIN_MS = 10 * 60_000;
const RECONCILE_PAGE = 20;
const RECONCILE_MAX_PAGES = 5;
const VIDEO_TYPES = ['video/mp4', 'video/quicktime', 'video/webm'];

/**
 * TikTok, Content Posting API, Direct Post: creator_info → video/init (FILE_UPLOAD) → chunk PUTs
 * → status/fetch until PUBLISH_COMPLETE. TikTok posts the video by itself once the last chunk
 * arrives, so from the moment init answers, the publish_id is saved in the ledger claim and every
 * later failure keeps the claim: the retry checks that publish_id (continuing an unfinished
 * upload) instead of uploading a second video. See activities/publish/ledger.ts.
 */
export class TikTokChannel implements Channel {
  readonly name = 'tiktok' as const;
  readonly preset = 'tiktok';
  /** Caption: 2,200 UTF-16 code units. Duration: creator_info says, per account, at post time. */
  readonly limits = { maxCaptionChars: 2200, maxVideoBytes: 4 * 1024 ** 3 };
  readonly reconcileBy = 'lookup' as const;
  readonly #options: Required<Omit<TikTokChannelOptions, 'tokens'>>;
  readonly #tokens: TikTokChannelOptions['tokens'];
  readonly #apis = new Map<string, TikTokApi>();

  constructor(options: TikTokChannelOptions) {
    this.#tokens = options.tokens;
    this.#options = {
      chunkBytes: 10 * 1024 * 1024,
      pollIntervalMs: 5_000,
      processingDeadlineMs: 10 * 60_000,
      reconcileWindowMs: 15 * 60_000,
      requestTimeoutMs: 60_000,
      ...options,
      apiBaseUrl: (options.apiBaseUrl ?? TIKTOK_API_BASE_URL).replace(/\/+$/, ''),
    };
  }

  captionLength(caption: string): number {
    return caption.length;
  }

  async publish(request: PublishRequest, context: PublishContext): Promise<RemotePost> {
    const api = this.#api(request.account ?? DEFAULT_ACCOUNT);
    const attempt: Attempt = {
      account: api.tokens.account,
      step: 'read the TikTok account',
      handle: readHandle(context.handle),
    };
    try {
      return await this.#publish(api, request, context, attempt);
    } catch (err) {
      throw this.#classify(err, attempt);
    }
  }

  async reconcile(
    request: PublishRequest,
    since: Date,
    ignore: readonly string[],
  ): Promise<RemotePost | undefined> {
    const attempt: Attempt = {
      account: request.account ?? DEFAULT_ACCOUNT,
      step: 'look up recent TikTok posts',
    };
    const api = this.#api(attempt.account);
    const start = since.getTime() - this.#options.reconcileWindowMs;
    const wanted = normalizeCaption(request.caption);
    try {
      let cursor: number | undefined;
      for (let page = 0; page < RECONCILE_MAX_PAGES; page++) {
        const list = await api.call<VideoList>(
          '/v2/video/list/?fields=id,title,video_description,create_time,share_url',
          { max_count: RECONCILE_PAGE, ...(cursor ? { cursor } : {}) },
        );
        for (const video of list.videos ?? []) {
          // Newest first: past the window, nothing older can be ours.
          if ((video.create_time ?? 0) * 1000 < start) return undefined;
          const id = String(video.id);
          const caption = normalizeCaption(video.video_description || video.title || '');
          if (!ignore.includes(id) && caption === wanted) {
            return { remoteId: id, url: video.share_url?.split('?')[0] };
          }
        }
        if (!list.has_more || list.cursor === undefined) return undefined;
        cursor = list.cursor;
      }
      return undefined;
    } catch (err) {
      throw this.#classify(err, attempt);
    }
  }

  /** The steps, in order; `attempt` follows along so a failure is classified by where it happened. */
  async #publish(
    api: TikTokApi,
    request: PublishRequest,
    context: PublishContext,
    attempt: Attempt,
  ): Promise<RemotePost> {
    const video = await this.#options.storage.head(request.renditionKey);
    if (!video) throw new RenditionMissingError(this.name, request.renditionKey);
    const creator = await api.call<CreatorInfo>('/v2/post/publish/creator_info/query/', {}, context.signal);

    if (attempt.handle) {
      const done = await this.#continue(api, request, video, creator, context, attempt);
      if (done) return done;
    }

    const postInfo = postInfoFor(request, creator, durationOf(video));
    const plan = planChunks(video.size, this.#options.chunkBytes);
    attempt.step = 'start the TikTok upload';
    context.progress({ step: 'upload', done: 0, total: video.size });
    const init = await api.call<{ publish_id: string; upload_url: string }>(
      '/v2/post/publish/video/init/',
      {
        post_info: postInfo,
        source_info: {
          source: 'FILE_UPLOAD',
          video_size: plan.videoSize,
          chunk_size: plan.chunkSize,
          total_chunk_count: plan.totalChunkCount,
        },
      },
      context.signal,
    );
    const handle: UploadHandle = {
      publishId: init.publish_id,
      uploadUrl: init.upload_url,
      uploadUrlExpiresAt: new Date(Date.now() + UPLOAD_URL_LIFETIME_MS).toISOString(),
      videoSize: plan.videoSize,
      chunkSize: plan.chunkSize,
    };
    await context.saveHandle(writeHandle(handle));
    attempt.handle = handle;
    await this.#upload(api, request, video, plan, 0, context, attempt);
    return this.#waitForPost(api, creator, context, attempt);
  }

  /**
   * An earlier attempt saved a publish_id: finish that one. Returns undefined only when it can
   * never be published (TikTok does not know it, or its upload stopped and cannot be continued),
   * so a new upload cannot make a second post.
   */
  async #continue(
    api: TikTokApi,
    request: PublishRequest,
    video: StoredObject,
    creator: CreatorInfo,
    context: PublishContext,
    attempt: Attempt,
  ): Promise<RemotePost | undefined> {
    const handle = attempt.handle!;
    attempt.step = 'check the earlier TikTok upload';
    let status: PostStatus;
    try {
      status = await api.call<PostStatus>(
        '/v2/post/publish/status/fetch/',
        { publish_id: handle.publishId },
        context.signal,
      );
    } catch (err) {
      if (!(err instanceof TikTokApiError && err.code === 'invalid_publish_id')) throw err;
      attempt.handle = undefined;
      return undefined;
    }
    if (status.status === 'PUBLISH_COMPLETE' || status.status === 'FAILED') {
      return this.#finished(status, handle, creator, attempt);
    }
    const uploaded = status.uploaded_bytes;
    // TikTok may have every byte (or says nothing of it): then the post may come, so wait for it.
    if (uploaded === undefined || !(uploaded < handle.videoSize)) {
      return this.#waitForPost(api, creator, context, attempt);
    }
    const plan: ChunkPlan = {
      videoSize: handle.videoSize,
      chunkSize: handle.chunkSize,
      totalChunkCount: Math.floor(handle.videoSize / handle.chunkSize),
    };
    const timeLeft = Date.parse(handle.uploadUrlExpiresAt) - Date.now();
    if (
      chunkAt(plan, uploaded) !== undefined &&
      timeLeft > UPLOAD_URL_MARGIN_MS &&
      video.size === handle.videoSize
    ) {
      await this.#upload(api, request, video, plan, uploaded, context, attempt);
      return this.#waitForPost(api, creator, context, attempt);
    }
    // TikTok has part of the video and no way to get the rest: it never posts that one.
    attempt.handle = undefined;
    return undefined;
  }

  /** Sends the chunks from `offset` on, streaming from storage; the last one completes the post. */
  async #upload(
    api: TikTokApi,
    request: PublishRequest,
    video: StoredObject,
    plan: ChunkPlan,
    offset: number,
    context: PublishContext,
    attempt: Attempt,
  ): Promise<void> {
    const { uploadUrl } = attempt.handle!;
    const contentType = VIDEO_TYPES.includes(video.contentType ?? '') ? video.contentType! : 'video/mp4';
    attempt.step = 'upload the video to TikTok';
    const reader = new ByteReader(await this.#options.storage.get(request.renditionKey));
    try {
      await reader.skip(offset);
      for (let index = chunkAt(plan, offset)!; index < plan.totalChunkCount; index++) {
        context.signal?.throwIfAborted();
        const range = chunkRange(plan, index);
        // A newer attempt continues this upload URL: TikTok makes one video of it.
        if (index === plan.totalChunkCount - 1) await context.beforeCreate({ repeatable: true });
        await api.putChunk(
          uploadUrl,
          { ...range, total: plan.videoSize },
          contentType,
          reader.take(range.last - range.first + 1),
          context.signal,
        );
        context.progress({ step: 'upload', done: range.last + 1, total: plan.videoSize });
      }
    } finally {
      reader.close();
    }
  }

  /** Polls status/fetch until TikTok published or refused the video, within the deadline. */
  async #waitForPost(
    api: TikTokApi,
    creator: CreatorInfo,
    context: PublishContext,
    attempt: Attempt,
  ): Promise<RemotePost> {
    const handle = attempt.handle!;
    attempt.step = 'wait for TikTok to publish the video';
    const deadline = Date.now() + this.#options.processingDeadlineMs;
    for (let polls = 0; ; polls++) {
      let wait = this.#options.pollIntervalMs;
      let state = 'rate limited';
      try {
        const status = await api.call<PostStatus>(
          '/v2/post/publish/status/fetch/',
          { publish_id: handle.publishId },
          context.signal,
        );
        const done = this.#finished(status, handle, creator, attempt);
        if (done) return done;
        state = status.status ?? 'processing';
      } catch (err) {
        // Status checks are limited to 30 a minute: a 429 here waits, the upload is not redone.
        if (!(err instanceof TikTokApiError && err.status === 429)) throw err;
        wait = Math.max(wait, (err.retryAfterSeconds ?? 60) * 1000);
      }
      context.progress({ step: 'processing', done: polls });
      if (Date.now() + wait > deadline) {
        throw new ChannelUnavailableError(
          this.name,
          attempt.step,
          `still ${state} after ${+(this.#options.processingDeadlineMs / 1000).toFixed(1)} s (channels.tiktok.processingDeadlineSeconds); the retry checks the same upload`,
          false,
        );
      }
      await sleep(wait, undefined, { signal: context.signal });
    }
  }

  /** The post when TikTok finished it; throws when TikTok refused it; undefined while in progress. */
  #finished(
    status: PostStatus,
    handle: UploadHandle,
    creator: CreatorInfo,
    attempt: Attempt,
  ): RemotePost | undefined {
    if (status.status === 'PUBLISH_COMPLETE') {
      // The public id comes after moderation; a private post may have none: the publish_id stands in.
      const id = status.publicaly_available_post_id?.[0];
      return id === undefined
        ? { remoteId: handle.publishId }
        : { remoteId: String(id), url: `https://www.tiktok.com/@${creator.creator_username}/video/${id}` };
    }
    if (status.status === 'SEND_TO_USER_INBOX') {
      attempt.handle = undefined;
      throw new ChannelContentRejectedError(
        this.name,
        "TikTok put the video in the account's inbox instead of posting it: post it from the TikTok app",
      );
    }
    if (status.status !== 'FAILED') return undefined;
    // TikTok refused it for good: nothing is posted, and a replay may start a new upload.
    attempt.handle = undefined;
    const reason = failReason(status.fail_reason ?? '');
    switch (reason.kind) {
      case 'media':
        throw new MediaProcessingFailedError(this.name, reason.text);
      case 'content':
        throw new ChannelContentRejectedError(this.name, reason.text);
      case 'auth':
        throw new ChannelAuthError(this.name, reason.text, reconnectCommand('tiktok', attempt.account));
      case 'retry':
        throw new ChannelUnavailableError(this.name, 'TikTok processing', reason.text, true);
    }
  }

  /**
   * Turns a failure into a PublishError. While a saved upload may still become a post, every
   * failure keeps the claim (notPosted false): the retry checks that upload instead of posting
   * again, and an account problem surfaces when the retry looks the post up.
   */
  #classify(err: unknown, attempt: Attempt): Error {
    // Not `instanceof Error`: fetch's errors may come from another realm (Jest's VM contexts).
    if (typeof err !== 'object' || err === null || (err as Error).name === 'AbortError') return err as Error;
    const live = attempt.handle !== undefined;
    if (err instanceof PublishError) {
      if (!live || !err.notPosted || err instanceof PublishClaimLostError) return err;
      return new ChannelUnavailableError(this.name, attempt.step, err.reason, false);
    }
    if (!(err instanceof TikTokApiError)) {
      const cause = (err as { cause?: NodeJS.ErrnoException }).cause;
      const detail = cause ? `${cause.code ?? cause.name}: ${cause.message}` : String((err as Error).message);
      return new ChannelUnavailableError(this.name, attempt.step, detail, !live);
    }
    const detail = `TikTok answered ${err.message}`;
    if (live) return new ChannelUnavailableError(this.name, attempt.step, detail, false);
    const reason = errorReason(err.code);
    if (err.status === 429 || err.code === 'rate_limit_exceeded') {
      const waitMs = (err.retryAfterSeconds ?? 60) * 1000;
      return new ChannelRateLimitedError(this.name, waitMs, new Date(Date.now() + waitMs));
    }
    if (reason?.kind === 'auth' || err.status === 401) {
      return new ChannelAuthError(
        this.name,
        `${attempt.step}: ${reason?.text ?? detail}`,
        reconnectCommand('tiktok', attempt.account),
      );
    }
    if (reason) return new ChannelContentRejectedError(this.name, reason.text);
    if (err.status >= 500 || err.status === 408) {
      return new ChannelUnavailableError(this.name, attempt.step, detail, true);
    }
    return new ChannelContentRejectedError(this.name, `${attempt.step}: ${detail}`);
  }

  #api(account: string): TikTokApi {
    let api = this.#apis.get(account);
    if (!api) {
      const tokens = typeof this.#tokens === 'function' ? this.#tokens(account) : this.#tokens;
      api = new TikTokApi(this.#options.apiBaseUrl, tokens, this.#options.requestTimeoutMs);
      this.#apis.set(account, api);
    }
    return api;
  }
}

function readHandle(handle: ChannelHandle | undefined): UploadHandle | undefined {
  if (!handle?.publishId || !handle.uploadUrl) return undefined;
  return {
    publishId: handle.publishId,
    uploadUrl: handle.uploadUrl,
    uploadUrlExpiresAt: handle.uploadUrlExpiresAt ?? new Date(0).toISOString(),
    videoSize: Number(handle.videoSize),
    chunkSize: Number(handle.chunkSize),
  };
}

function writeHandle(handle: UploadHandle): ChannelHandle {
  return {
    publishId: handle.publishId,
    uploadUrl: handle.uploadUrl,
    uploadUrlExpiresAt: handle.uploadUrlExpiresAt,
    videoSize: String(handle.videoSize),
    chunkSize: String(handle.chunkSize),
  };
}

function durationOf(video: StoredObject): number | undefined {
  const seconds = Number(video.metadata.durationseconds ?? video.metadata.durationSeconds);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}

/** TikTok keeps the caption as sent; compare without differences in whitespace or Unicode form. */
export function normalizeCaption(text: string): string {
  return text.normalize('NFC').replace(/\s+/g, ' ').trim();
}
