import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ObjectStorage } from '../../storage';
import type { TokenSource } from '../accounts';
import type { Channel, PublishContext, PublishRequest, RemotePost } from '../channel';
import {
  ChannelAuthError,
  ChannelContentRejectedError,
  MediaProcessingFailedError,
  RenditionMissingError,
} from '../errors';
import { classifyGoogleError, GoogleApiError, isTransient, NoAnswerError } from './errors';
import { comparableText, metadataProblems, videoResource, type VideoResource } from './metadata';
import { checkChunkBytes, chunkAt, contentRange, receivedBytes, statusQueryRange } from './resumable';
import { RangeReader } from '../range-reader';
import { sendBuffer } from '../send-buffer';

export const YOUTUBE_API_BASE_URL = 'https://www.googleapis.com';

export interface YouTubeChannelOptions {
  storage: ObjectStorage;
  /** The connected account's access token, refreshed as needed. */
  tokens: TokenSource;
  /** Replaces https://www.googleapis.com for the Data API (the fake in tests). */
  apiBaseUrl?: string;
  /** Where upload sessions start; default apiBaseUrl (Google serves both from one host). */
  uploadBaseUrl?: string;
  /** Bytes per PUT: a multiple of 256 KiB (default 8 MiB). */
  chunkBytes?: number;
  /** Longest wait for one answer, a chunk included (default 120 s). */
  requestTimeoutMs?: number;
  /** Reconcile looks at uploads since the claim minus this margin (default 15 minutes). */
  reconcileWindowMs?: number;
  /** Delay before the first in-attempt resume after a failed request; doubles each time. */
  retryBaseMs?: number;
  /** Failed requests in a row, without the server gaining bytes, before the attempt gives up. */
  uploadTries?: number;
}

const MiB = 1024 * 1024;
const RECONCILE_MAX_PAGES = 5;
const MAX_RETRY_WAIT_MS = 30_000;
const UPLOAD_CONTENT_TYPE = 'video/mp4';

type UploadState = { video: UploadedVideo } | { received: number };

interface UploadedVideo {
  id: string;
  status?: { uploadStatus?: string; failureReason?: string; rejectionReason?: string };
}

/**
 * YouTube Shorts through the Data API v3. The upload is Google's resumable protocol written here
 * (googleapis' client sends only multipart or one-shot media uploads and cannot resume one), on
 * fetch, with the chunks themselves sent through node:http (see send-buffer.ts):
 *
 * 1. start a session (POST …/videos?uploadType=resumable, snippet + status as JSON) and save its
 *    URI into the ledger claim at once, so any later attempt continues this upload;
 * 2. PUT the rendition in chunks streamed from storage; each 308 says how much YouTube holds;
 * 3. after a dropped connection, timeout or 5xx, ask the session (PUT bytes *\/TOTAL) and go on
 *    from there; an attempt that finds a saved session does the same before sending anything;
 * 4. the video exists once the last byte is in: a status query that answers 200/201 means done,
 *    so a reset after YouTube accepted the last chunk never uploads a second video.
 *
 * There is no "Short" flag: YouTube classifies a vertical video of at most 3 minutes as a Short,
 * which is what the shorts preset renders (hence maxDurationSeconds 180).
 */
export class YouTubeChannel implements Channel {
  readonly name = 'shorts' as const;
  readonly preset = 'shorts';
  /** Description ≤ 5000 bytes; files up to 256 GB; Shorts ≤ 3 minutes. */
  readonly limits = { maxCaptionChars: 5000, maxVideoBytes: 256 * 1024 ** 3, maxDurationSeconds: 180 };
  readonly reconcileBy = 'lookup' as const;
  readonly #options: Required<Omit<YouTubeChannelOptions, 'storage' | 'tokens'>>;
  readonly #storage: ObjectStorage;
  readonly #tokens: TokenSource;
  #uploads: Promise<string> | undefined;

  constructor(options: YouTubeChannelOptions) {
    const apiBaseUrl = (options.apiBaseUrl ?? YOUTUBE_API_BASE_URL).replace(/\/+$/, '');
    this.#options = {
      chunkBytes: 8 * MiB,
      requestTimeoutMs: 120_000,
      reconcileWindowMs: 15 * 60_000,
      retryBaseMs: 500,
      uploadTries: 5,
      ...options,
      apiBaseUrl,
      uploadBaseUrl: (options.uploadBaseUrl ?? apiBaseUrl).replace(/\/+$/, ''),
    };
    checkChunkBytes(this.#options.chunkBytes);
    this.#storage = options.storage;
    this.#tokens = options.tokens;
  }

  /** YouTube's description limit is in bytes (UTF-8). */
  captionLength(caption: string): number {
    return Buffer.byteLength(caption, 'utf8');
  }

  async publish(request: PublishRequest, context: PublishContext): Promise<RemotePost> {
    const resource = videoResource(request);
    const problems = metadataProblems(resource);
    if (problems.length) throw new ChannelContentRejectedError(this.name, problems.join('; '));
    const video = await this.#upload(request.renditionKey, resource, context);
    context.progress({ step: 'processing' });
    await this.#checkProcessing(video, context);
    return { remoteId: video.id, url: videoUrl(video.id) };
  }

  async reconcile(
    request: PublishRequest,
    since: Date,
    ignore: readonly string[],
  ): Promise<RemotePost | undefined> {
    const step = 'look up recent uploads';
    try {
      const playlistId = await this.#uploadsPlaylist();
      const from = since.getTime() - this.#options.reconcileWindowMs;
      const wanted = comparableText(request.caption);
      const title = comparableText(videoResource(request).snippet.title);
      let pageToken = '';
      for (let page = 1; page <= RECONCILE_MAX_PAGES; page++) {
        const list = await this.#getJson<PlaylistItems>(
          `/youtube/v3/playlistItems?part=snippet&maxResults=50&playlistId=${encodeURIComponent(playlistId)}${pageToken ? `&pageToken=${encodeURIComponent(pageToken)}` : ''}`,
        );
        let older = false;
        const candidates: string[] = [];
        for (const { snippet } of list.items ?? []) {
          const id = snippet.resourceId?.videoId;
          if (!id || ignore.includes(id)) continue;
          // The uploads playlist lists the newest first: past the window, nothing later matches.
          if (Date.parse(snippet.publishedAt) < from) {
            older = true;
            continue;
          }
          const description = comparableText(snippet.description ?? '');
          if (description === wanted || (!description && comparableText(snippet.title ?? '') === title)) {
            candidates.push(id);
          }
        }
        const usable = await this.#usable(candidates);
        if (usable) return { remoteId: usable, url: videoUrl(usable) };
        if (older || !list.nextPageToken) return undefined;
        pageToken = list.nextPageToken;
      }
      return undefined;
    } catch (err) {
      throw this.#classify(err, step, true);
    }
  }

  async #upload(key: string, resource: VideoResource, context: PublishContext): Promise<UploadedVideo> {
    const head = await this.#storage.head(key);
    if (!head) throw new RenditionMissingError(this.name, key);
    const total = head.size;
    // The saved session is continued only for the same bytes and the same title and settings.
    const fingerprint = createHash('sha256')
      .update(JSON.stringify({ key, total, resource }))
      .digest('hex')
      .slice(0, 32);
    const saved = context.handle;
    if (saved?.sessionUri && saved.fingerprint === fingerprint) {
      try {
        return await this.#send(saved.sessionUri, key, total, undefined, context);
      } catch (err) {
        // Sessions expire (after about a week): 404 means start a new upload.
        if (!(err instanceof GoogleApiError && (err.status === 404 || err.status === 410))) {
          throw this.#classify(err, 'continue the video upload', false);
        }
      }
    }
    context.progress({ step: 'upload', done: 0, total });
    let session: string;
    try {
      session = await this.#startSession(resource, total, context);
    } catch (err) {
      throw this.#classify(err, 'start the video upload', true);
    }
    await context.saveHandle({ sessionUri: session, fingerprint });
    try {
      return await this.#send(session, key, total, 0, context);
    } catch (err) {
      // Not posted while the last byte is out, but the claim keeps the session for the next
      // attempt to continue: `false` leaves it in place (the retry reconciles first).
      throw this.#classify(err, 'upload the video', false);
    }
  }

  async #startSession(resource: VideoResource, total: number, context: PublishContext): Promise<string> {
    const url = `${this.#options.uploadBaseUrl}/upload/youtube/v3/videos?uploadType=resumable&part=snippet,status`;
    const res = await this.#fetch(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=UTF-8',
          'x-upload-content-length': String(total),
          'x-upload-content-type': UPLOAD_CONTENT_TYPE,
        },
        json: JSON.stringify(resource),
      },
      context.signal,
    );
    const location = res.headers.get('location');
    if (res.status !== 200 || !location) {
      if (res.ok)
        throw new GoogleApiError(res.status, 'noLocation', 'no session URI in the answer', undefined);
      throw await GoogleApiError.from(res);
    }
    await res.body?.cancel();
    return new URL(location, url).toString();
  }

  /**
   * Sends from `offset` (undefined: ask the session first) until YouTube has the last byte. A
   * failed request is followed by a status query after a backoff; the attempt gives up after
   * `uploadTries` failures in a row during which YouTube gained no bytes.
   */
  async #send(
    session: string,
    key: string,
    total: number,
    offset: number | undefined,
    context: PublishContext,
  ): Promise<UploadedVideo> {
    const reader = RangeReader.of(this.#storage, key);
    let known = offset;
    let best = offset ?? -1;
    let failures = 0;
    try {
      for (;;) {
        context.signal?.throwIfAborted();
        let state: UploadState;
        try {
          if (known === undefined) {
            state = await this.#query(session, total, context);
          } else {
            const chunk = chunkAt(known, total, this.#options.chunkBytes);
            const bytes = await reader.read(chunk.first, chunk.last + 1);
            if (bytes.length !== chunk.last - chunk.first + 1) {
              throw new Error(`the rendition ${key} ends before its recorded size of ${total} bytes`);
            }
            if (chunk.isLast) {
              context.progress({ step: 'create' });
              // A newer attempt continues this upload session: YouTube makes one video of it.
              await context.beforeCreate({ repeatable: true });
            }
            state = await this.#put(session, bytes, contentRange(chunk, total), context);
          }
        } catch (err) {
          if (!isTransient(err) || ++failures >= this.#options.uploadTries) throw err;
          known = undefined;
          await sleep(this.#retryWait(failures, err), undefined, { signal: context.signal });
          continue;
        }
        if ('video' in state) return state.video;
        known = state.received;
        if (known > best) {
          best = known;
          failures = 0;
        }
        context.progress({ step: 'upload', done: known, total });
      }
    } finally {
      reader.close();
    }
  }

  #query(session: string, total: number, context: PublishContext): Promise<UploadState> {
    return this.#put(session, undefined, statusQueryRange(total), context);
  }

  async #put(
    session: string,
    bytes: Buffer | undefined,
    range: string,
    context: PublishContext,
  ): Promise<UploadState> {
    const res = await this.#fetch(
      session,
      {
        method: 'PUT',
        // A status query has no body: fetch sends Content-Length: 0 for a bodiless PUT.
        headers: { 'content-range': range, ...(bytes ? { 'content-type': UPLOAD_CONTENT_TYPE } : {}) },
        bytes,
      },
      context.signal,
    );
    if (res.status === 308) {
      await res.body?.cancel();
      return { received: receivedBytes(res.headers.get('range')) };
    }
    if (res.status === 200 || res.status === 201) {
      const video = await readJson<UploadedVideo>(res);
      if (!video.id)
        throw new GoogleApiError(
          res.status,
          'noVideoId',
          'the upload finished without a video id',
          undefined,
        );
      return { video };
    }
    throw await GoogleApiError.from(res);
  }

  /**
   * One look at the video's status: a failure or rejection YouTube already knows is reported;
   * anything else (still processing, or the look failed) leaves the published video as it is.
   */
  async #checkProcessing(video: UploadedVideo, context: PublishContext): Promise<void> {
    let status = video.status;
    try {
      const list = await this.#getJson<{ items?: UploadedVideo[] }>(
        `/youtube/v3/videos?part=status&id=${encodeURIComponent(video.id)}`,
        context.signal,
      );
      status = list.items?.[0]?.status ?? status;
    } catch (err) {
      if (context.signal?.aborted) throw err;
    }
    if (status?.uploadStatus === 'failed') {
      throw new MediaProcessingFailedError(
        this.name,
        `video ${video.id}: ${status.failureReason ?? 'no reason given'}`,
      );
    }
    if (status?.uploadStatus === 'rejected') {
      throw new ChannelContentRejectedError(
        this.name,
        `YouTube rejected the uploaded video ${video.id} (${status.rejectionReason ?? 'no reason given'})`,
      );
    }
  }

  /** The first of `ids` that YouTube has not failed, rejected or deleted. */
  async #usable(ids: string[]): Promise<string | undefined> {
    if (ids.length === 0) return undefined;
    const list = await this.#getJson<{ items?: UploadedVideo[] }>(
      `/youtube/v3/videos?part=status&id=${ids.map(encodeURIComponent).join(',')}`,
    );
    const ok = new Set(
      (list.items ?? [])
        .filter((v) => !['failed', 'rejected', 'deleted'].includes(v.status?.uploadStatus ?? ''))
        .map((v) => v.id),
    );
    return ids.find((id) => ok.has(id));
  }

  #uploadsPlaylist(): Promise<string> {
    this.#uploads ??= this.#getJson<{
      items?: Array<{ contentDetails?: { relatedPlaylists?: { uploads?: string } } }>;
    }>('/youtube/v3/channels?part=contentDetails&mine=true').then((list) => {
      const uploads = list.items?.[0]?.contentDetails?.relatedPlaylists?.uploads;
      if (!uploads) {
        throw new ChannelAuthError(
          this.name,
          'the Google account has no YouTube channel',
          `create a channel for it on YouTube, then run \`reelcast channels connect youtube --account ${this.#tokens.account}\``,
        );
      }
      return uploads;
    });
    this.#uploads.catch(() => (this.#uploads = undefined));
    return this.#uploads;
  }

  async #getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
    const res = await this.#fetch(
      `${this.#options.apiBaseUrl}${path}`,
      { method: 'GET', headers: {} },
      signal,
    );
    if (!res.ok) throw await GoogleApiError.from(res);
    return readJson<T>(res);
  }

  /**
   * One request with the account's access token. A 401 refreshes the token once (or takes the
   * one another worker refreshed) and repeats the request; a second 401 goes to the caller.
   */
  async #fetch(url: string, request: HttpRequest, signal?: AbortSignal): Promise<Response> {
    const { bytes, json, ...init } = request;
    let token = await this.#tokens.accessToken();
    for (let refreshed = false; ; refreshed = true) {
      const timeout = AbortSignal.timeout(this.#options.requestTimeoutMs);
      let res: Response;
      try {
        const headers = { ...init.headers, authorization: `Bearer ${token}` };
        const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
        res = bytes
          ? await sendBuffer(url, { ...init, headers, body: bytes, signal: both })
          : await fetch(url, { ...init, headers, body: json, redirect: 'manual', signal: both });
      } catch (err) {
        if (signal?.aborted) throw signal.reason ?? err;
        throw noAnswer(err, timeout.aborted ? this.#options.requestTimeoutMs : undefined);
      }
      if (res.status !== 401 || refreshed) return res;
      await res.body?.cancel();
      token = await this.#tokens.refreshAfterRejection(token);
    }
  }

  #retryWait(failures: number, err: unknown): number {
    if (err instanceof GoogleApiError && err.retryAfterSeconds) return err.retryAfterSeconds * 1000;
    return Math.min(this.#options.retryBaseMs * 2 ** (failures - 1), MAX_RETRY_WAIT_MS);
  }

  #classify(err: unknown, step: string, notPosted: boolean): Error {
    return classifyGoogleError(err, { channel: this.name, account: this.#tokens.account, step, notPosted });
  }
}

/** One API request; `bytes` (a chunk) goes to the socket without a copy. */
interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT';
  headers: Record<string, string>;
  json?: string;
  bytes?: Buffer;
}

interface PlaylistItems {
  nextPageToken?: string;
  items?: Array<{
    snippet: {
      publishedAt: string;
      title?: string;
      description?: string;
      resourceId?: { videoId?: string };
    };
  }>;
}

export function videoUrl(id: string): string {
  return `https://www.youtube.com/watch?v=${id}`;
}

async function readJson<T>(res: Response): Promise<T> {
  try {
    return (await res.json()) as T;
  } catch (err) {
    throw noAnswer(err, undefined);
  }
}

function noAnswer(err: unknown, timeoutMs: number | undefined): NoAnswerError {
  if (timeoutMs !== undefined) return new NoAnswerError(`no answer within ${timeoutMs / 1000} s`);
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const cause = e.cause ?? (e.code ? e : undefined);
  return new NoAnswerError(
    cause ? `${cause.code ?? cause.name}: ${cause.message}` : `${e.name}: ${e.message}`,
  );
}
