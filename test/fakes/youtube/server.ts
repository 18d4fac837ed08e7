/**
 * The fake YouTube Data API v3 and Google OAuth 2 token endpoint: a real HTTP server on loopback,
 * because the real YouTube cannot be reached here. It speaks what Reelcast's YouTube channel and
 * google-auth-library send, as Google documents it:
 *
 *   GET  /o/oauth2/v2/auth                  consent (granted at once): 302 to redirect_uri?code&state
 *   POST /token                             grant_type=authorization_code (PKCE S256) | refresh_token
 *   GET  /youtube/v3/channels?mine=true     the authorized channel (part=snippet,contentDetails)
 *   GET  /youtube/v3/playlistItems          the uploads playlist (UU…), newest first, 50 a page
 *   GET  /youtube/v3/videos?id=…            part=snippet,status,processingDetails
 *   POST /upload/youtube/v3/videos?uploadType=resumable&part=snippet,status
 *        X-Upload-Content-Length, X-Upload-Content-Type, JSON { snippet, status } → 200 + Location
 *   PUT  <Location>  Content-Range: bytes FIRST-LAST/TOTAL   a chunk: 308 + Range: bytes=0-N, or
 *                                                            201 with the video after the last byte
 *   PUT  <Location>  Content-Range: bytes *\/TOTAL (empty)    status query: 308 [+ Range] or 200 + video
 *
 * Like Google it refuses a chunk other than the last that is not a multiple of 256 KiB, commits the
 * bytes of a chunk cut off midway only up to a 256 KiB boundary, checks the snippet (title ≤ 100
 * characters, description ≤ 5000 bytes, neither with < or >), answers errors in Google's JSON shape
 * ({ error: { code, message, errors: [{ domain, reason, message }], status } }), and expires access
 * tokens after `expires_in` (accessTokenTtlSeconds, make it short in a test).
 *
 * Video bytes are never kept: each session hashes what it commits (sha256 + size) as it arrives.
 *
 * Faults are injected per endpoint for the next N matching requests (see FAULT_KINDS). From a test:
 * `fake.inject({ endpoint: 'chunk', kind: 'cut-midway' })`; from another process: `POST /_fake/faults`
 * with that JSON (or an array). `GET /_fake/state` returns videos, sessions, request counts and the log;
 * `POST /_fake/reset` clears everything but issued tokens. See main.ts to run it alone.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FakeServer, readBody, type FaultSpec } from '../kit';

export const ENDPOINTS = [
  'authorize',
  'token',
  'channels',
  'playlistItems',
  'videos',
  'start',
  'chunk',
  'query',
] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

export const FAULT_KINDS = [
  /** 429 rateLimitExceeded with Retry-After: resetInSeconds. */
  'rate-limit',
  /** 503 backendError (a chunk's bytes are not kept). */
  'unavailable',
  /** 403 quotaExceeded (the project's daily quota; resets at midnight Pacific). */
  'quota-exceeded',
  /** 400 uploadLimitExceeded (the channel's uploads per day). */
  'upload-limit',
  /** 401 authError: the access token presented is expired from now on. */
  'expired-token',
  /** token endpoint: the refresh token presented is revoked from now on (400 invalid_grant). */
  'revoked-refresh-token',
  /** chunk that completes the upload: the video is created, then the connection drops unanswered. */
  'reset-after-accept',
  /**
   * chunk that completes the upload: the video is created, the answer held back for holdMs
   * (default 5 s): time to SIGKILL the worker after YouTube accepted.
   */
  'hold-after-accept',
  /**
   * chunk: the connection drops after cutAfterBytes of the body (default half); the session keeps
   * what arrived, rounded down to 256 KiB as Google does.
   */
  'cut-midway',
  /**
   * chunk: like cut-midway, but after cutAfterBytes nothing more is read or answered for holdMs
   * (default 30 s) before the connection drops: time to SIGKILL the worker mid-upload.
   */
  'stall-midway',
  /** chunk that completes the upload: processing fails (uploadStatus failed, failureReason codec). */
  'processing-failed',
  /** chunk that completes the upload: the video is rejected (uploadStatus rejected, duplicate). */
  'rejected',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault extends FaultSpec<Endpoint, FaultKind> {
  /** rate-limit: seconds in Retry-After (default 2). */
  resetInSeconds?: number;
  /** cut-midway, stall-midway: body bytes received before it stops (default half the chunk). */
  cutAfterBytes?: number;
}

/** Google's resumable upload granularity: every chunk but the last is a multiple of it. */
export const UPLOAD_GRANULARITY = 256 * 1024;

export interface FakeVideo {
  id: string;
  snippet: {
    title: string;
    description: string;
    tags?: string[];
    categoryId: string;
    channelId: string;
    channelTitle: string;
    publishedAt: string;
  };
  status: {
    uploadStatus: 'uploaded' | 'processed' | 'failed' | 'rejected';
    failureReason?: string;
    rejectionReason?: string;
    privacyStatus: string;
    selfDeclaredMadeForKids: boolean;
    madeForKids: boolean;
    containsSyntheticMedia: boolean;
    license: string;
    embeddable: boolean;
    publicStatsViewable: boolean;
  };
  /** What was uploaded, to check it byte for byte. */
  bytes: { sha256: string; size: number };
  /** The session that made it. */
  sessionId: string;
  processedAt: number;
}

export interface FakeSession {
  id: string;
  total: number;
  contentType: string;
  /** Bytes committed (always a multiple of 256 KiB until the last chunk). */
  received: number;
  videoId?: string;
  createdAt: string;
  resource: { snippet: Record<string, unknown>; status: Record<string, unknown> };
  hash: Hash;
}

export interface FakeYouTubeOptions {
  host?: string;
  port?: number;
  clientId?: string;
  clientSecret?: string;
  /** expires_in of each access token the token endpoint issues (default 3600). */
  accessTokenTtlSeconds?: number;
  /** How long a video stays uploadStatus 'uploaded' before 'processed' (default 0). */
  processingMs?: number;
  channelId?: string;
  channelTitle?: string;
}

export const FAKE_YOUTUBE_DEFAULTS = {
  clientId: 'fake-client-id.apps.googleusercontent.com',
  clientSecret: 'fake-client-secret',
  channelId: 'UCreelcastDemoChannel0001',
  channelTitle: 'Reelcast Demo',
};

interface Token {
  kind: 'access' | 'refresh';
  expiresAt?: number;
  revoked: boolean;
  scope: string;
  refreshToken?: string;
}

interface PendingCode {
  redirectUri: string;
  scope: string;
  codeChallenge?: string;
  codeChallengeMethod?: string;
}

const UPLOAD_PATH = '/upload/youtube/v3/videos';

/** Its log notes, for each chunk, the Content-Range it was sent with. */
export class FakeYouTube extends FakeServer<Endpoint, FaultKind, Fault, { range: string }> {
  readonly videos: FakeVideo[] = [];
  readonly sessions = new Map<string, FakeSession>();
  readonly #tokens = new Map<string, Token>();
  readonly #codes = new Map<string, PendingCode>();
  readonly #options: Required<FakeYouTubeOptions>;

  private constructor(options: FakeYouTubeOptions) {
    super('fake YouTube', ENDPOINTS, FAULT_KINDS, options.host ?? '127.0.0.1', (res, err) =>
      sendError(res, 500, 'backendError', `Fake YouTube error: ${err.message}`),
    );
    this.#options = {
      host: this.host,
      port: 0,
      accessTokenTtlSeconds: 3600,
      processingMs: 0,
      ...FAKE_YOUTUBE_DEFAULTS,
      ...options,
    };
  }

  /** Listens; its url is YOUTUBE_API_BASE_URL and YOUTUBE_OAUTH_BASE_URL. */
  static async start(options: FakeYouTubeOptions = {}): Promise<FakeYouTube> {
    const fake = new FakeYouTube(options);
    await fake.listen(fake.#options.port);
    return fake;
  }

  get channelId(): string {
    return this.#options.channelId;
  }

  /** The uploads playlist id, as channels.list contentDetails.relatedPlaylists.uploads gives it. */
  get uploadsPlaylistId(): string {
    return `UU${this.#options.channelId.slice(2)}`;
  }

  /**
   * Issues a token pair as if a person had connected the account: for tests that need a token
   * without going through the consent redirect.
   */
  issueTokens(): { accessToken: string; refreshToken: string; expiresInSeconds: number } {
    const scope =
      'https://www.googleapis.com/auth/youtube.upload https://www.googleapis.com/auth/youtube.readonly';
    const refreshToken = `1//fake-refresh-${randomBytes(12).toString('hex')}`;
    this.#tokens.set(refreshToken, { kind: 'refresh', revoked: false, scope });
    return {
      accessToken: this.#issueAccess(refreshToken, scope),
      refreshToken,
      expiresInSeconds: this.#options.accessTokenTtlSeconds,
    };
  }

  /** Clears videos, sessions, faults and counts. Issued tokens stay valid. */
  override reset(): void {
    this.videos.length = 0;
    this.sessions.clear();
    super.reset();
  }

  protected state(): Record<string, unknown> {
    return { videos: this.videos, sessions: [...this.sessions.values()].map(({ hash: _h, ...s }) => s) };
  }

  protected override controls(): Record<string, (body: Record<string, unknown>) => unknown> {
    return { '/_fake/tokens': () => this.issueTokens() };
  }

  #issueAccess(refreshToken: string | undefined, scope: string): string {
    const token = `ya29.fake-${randomBytes(16).toString('hex')}`;
    this.#tokens.set(token, {
      kind: 'access',
      revoked: false,
      scope,
      refreshToken,
      expiresAt: Date.now() + this.#options.accessTokenTtlSeconds * 1000,
    });
    return token;
  }

  protected async answer(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const path = url.pathname;

    const endpoint = route(method, path, req.headers['content-range']);
    if (!endpoint) {
      await readBody(req);
      return sendError(res, 404, 'notFound', `fake YouTube has no ${method} ${path}`);
    }
    this.count(
      endpoint,
      res,
      endpoint === 'chunk' ? { range: String(req.headers['content-range']) } : undefined,
    );

    if (endpoint === 'authorize') return this.#authorize(url.searchParams, res);
    if (endpoint === 'token') return this.#token(new URLSearchParams((await readBody(req)).toString()), res);

    // The API endpoints: a live bearer token first, then the injected faults.
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const known = token ? this.#tokens.get(token) : undefined;
    const expiredFault = this.take(endpoint, ['expired-token']);
    if (known && expiredFault) known.expiresAt = Date.now() - 1;
    if (!known || known.kind !== 'access' || known.revoked || (known.expiresAt ?? 0) <= Date.now()) {
      req.resume();
      return sendError(res, 401, 'authError', 'Invalid Credentials', {
        domain: 'global',
        location: 'Authorization',
        status: 'UNAUTHENTICATED',
      });
    }
    const fault = this.take(endpoint, ['rate-limit', 'unavailable', 'quota-exceeded', 'upload-limit']);
    if (fault) {
      req.resume();
      if (fault.kind === 'rate-limit') {
        return sendError(res, 429, 'rateLimitExceeded', 'Rate Limit Exceeded', {
          domain: 'youtube.api',
          headers: { 'retry-after': String(fault.resetInSeconds ?? 2) },
          status: 'RESOURCE_EXHAUSTED',
        });
      }
      if (fault.kind === 'unavailable') return sendError(res, 503, 'backendError', 'Backend Error');
      if (fault.kind === 'quota-exceeded') {
        return sendError(
          res,
          403,
          'quotaExceeded',
          'The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started#quota">quota</a>.',
          { domain: 'youtube.quota' },
        );
      }
      return sendError(
        res,
        400,
        'uploadLimitExceeded',
        'The user has exceeded the number of videos they may upload.',
        { domain: 'youtube.video' },
      );
    }

    switch (endpoint) {
      case 'channels':
        return this.#channels(url.searchParams, res);
      case 'playlistItems':
        return this.#playlistItems(url.searchParams, res);
      case 'videos':
        return this.#videosList(url.searchParams, res);
      case 'start':
        return this.#start(req, url.searchParams, await readBody(req), res);
      case 'chunk':
        return this.#chunk(req, url.searchParams.get('upload_id') ?? '', res);
      case 'query':
        await readBody(req);
        return this.#query(
          url.searchParams.get('upload_id') ?? '',
          String(req.headers['content-range']),
          res,
        );
    }
  }

  #authorize(query: URLSearchParams, res: ServerResponse): void {
    const redirectUri = query.get('redirect_uri') ?? '';
    if (query.get('client_id') !== this.#options.clientId || !/^https?:\/\//.test(redirectUri)) {
      return sendJson(res, 400, { error: 'invalid_request', error_description: 'client_id or redirect_uri' });
    }
    const code = `4/fake-code-${randomBytes(8).toString('hex')}`;
    this.#codes.set(code, {
      redirectUri,
      scope: query.get('scope') ?? '',
      codeChallenge: query.get('code_challenge') ?? undefined,
      codeChallengeMethod: query.get('code_challenge_method') ?? undefined,
    });
    const to = new URL(redirectUri);
    to.searchParams.set('code', code);
    to.searchParams.set('scope', query.get('scope') ?? '');
    if (query.get('state')) to.searchParams.set('state', query.get('state')!);
    res.writeHead(302, { location: to.toString() });
    res.end();
  }

  #token(form: URLSearchParams, res: ServerResponse): void {
    const clientId = form.get('client_id');
    const clientSecret = form.get('client_secret');
    if (clientId !== this.#options.clientId || clientSecret !== this.#options.clientSecret) {
      return sendJson(res, 401, { error: 'invalid_client', error_description: 'Unauthorized' });
    }
    const grant = form.get('grant_type');
    const invalidGrant = (description: string): void =>
      sendJson(res, 400, { error: 'invalid_grant', error_description: description });
    if (grant === 'authorization_code') {
      const code = this.#codes.get(form.get('code') ?? '');
      if (!code) return invalidGrant('Malformed auth code.');
      this.#codes.delete(form.get('code')!);
      if (code.redirectUri !== form.get('redirect_uri')) return invalidGrant('Bad Request');
      if (code.codeChallenge) {
        const verifier = form.get('code_verifier') ?? '';
        const computed =
          code.codeChallengeMethod === 'S256'
            ? createHash('sha256').update(verifier).digest('base64url')
            : verifier;
        if (computed !== code.codeChallenge) return invalidGrant('Invalid code verifier.');
      }
      const refreshToken = `1//fake-refresh-${randomBytes(12).toString('hex')}`;
      this.#tokens.set(refreshToken, { kind: 'refresh', revoked: false, scope: code.scope });
      return sendJson(res, 200, {
        access_token: this.#issueAccess(refreshToken, code.scope),
        expires_in: this.#options.accessTokenTtlSeconds,
        refresh_token: refreshToken,
        scope: code.scope,
        token_type: 'Bearer',
      });
    }
    if (grant === 'refresh_token') {
      const presented = form.get('refresh_token') ?? '';
      const refresh = this.#tokens.get(presented);
      if (refresh && this.take('token', ['revoked-refresh-token'])) {
        refresh.revoked = true;
        // Revoking access revokes its access tokens too.
        for (const t of this.#tokens.values()) if (t.refreshToken === presented) t.revoked = true;
      }
      if (!refresh || refresh.kind !== 'refresh' || refresh.revoked) {
        return invalidGrant('Token has been expired or revoked.');
      }
      // Google does not rotate refresh tokens: the answer has none.
      return sendJson(res, 200, {
        access_token: this.#issueAccess(presented, refresh.scope),
        expires_in: this.#options.accessTokenTtlSeconds,
        scope: refresh.scope,
        token_type: 'Bearer',
      });
    }
    return sendJson(res, 400, {
      error: 'unsupported_grant_type',
      error_description: `Invalid grant_type: ${grant}`,
    });
  }

  #channels(query: URLSearchParams, res: ServerResponse): void {
    if (query.get('mine') !== 'true') {
      return sendError(res, 400, 'missingRequiredParameter', 'No filter selected. Expected one of: mine, id');
    }
    const parts = (query.get('part') ?? '').split(',');
    sendJson(res, 200, {
      kind: 'youtube#channelListResponse',
      pageInfo: { totalResults: 1, resultsPerPage: 5 },
      items: [
        {
          kind: 'youtube#channel',
          id: this.#options.channelId,
          ...(parts.includes('snippet')
            ? { snippet: { title: this.#options.channelTitle, customUrl: '@reelcastdemo' } }
            : {}),
          ...(parts.includes('contentDetails')
            ? { contentDetails: { relatedPlaylists: { likes: '', uploads: this.uploadsPlaylistId } } }
            : {}),
        },
      ],
    });
  }

  #playlistItems(query: URLSearchParams, res: ServerResponse): void {
    if (query.get('playlistId') !== this.uploadsPlaylistId) {
      return sendError(
        res,
        404,
        'playlistNotFound',
        'The playlist identified with the request could not be found.',
      );
    }
    const max = Math.min(50, Math.max(0, Number(query.get('maxResults') ?? 5)));
    const offset = Number(query.get('pageToken') ?? 0);
    const all = [...this.videos].reverse();
    const page = all.slice(offset, offset + max);
    const next = offset + max < all.length ? String(offset + max) : undefined;
    sendJson(res, 200, {
      kind: 'youtube#playlistItemListResponse',
      ...(next ? { nextPageToken: next } : {}),
      pageInfo: { totalResults: all.length, resultsPerPage: max },
      items: page.map((v, i) => ({
        kind: 'youtube#playlistItem',
        id: `PLI${v.id}`,
        snippet: {
          publishedAt: v.snippet.publishedAt,
          channelId: v.snippet.channelId,
          title: v.snippet.title,
          description: v.snippet.description,
          channelTitle: v.snippet.channelTitle,
          playlistId: this.uploadsPlaylistId,
          position: offset + i,
          resourceId: { kind: 'youtube#video', videoId: v.id },
        },
      })),
    });
  }

  #videosList(query: URLSearchParams, res: ServerResponse): void {
    const ids = (query.get('id') ?? '').split(',').filter(Boolean);
    const parts = (query.get('part') ?? '').split(',');
    const found = ids.map((id) => this.videos.find((v) => v.id === id)).filter((v): v is FakeVideo => !!v);
    sendJson(res, 200, {
      kind: 'youtube#videoListResponse',
      pageInfo: { totalResults: found.length, resultsPerPage: found.length },
      items: found.map((v) => {
        if (v.status.uploadStatus === 'uploaded' && Date.now() >= v.processedAt)
          v.status.uploadStatus = 'processed';
        return {
          ...videoResource(v, parts),
          ...(parts.includes('processingDetails')
            ? {
                processingDetails: {
                  processingStatus:
                    v.status.uploadStatus === 'uploaded'
                      ? 'processing'
                      : v.status.uploadStatus === 'processed'
                        ? 'succeeded'
                        : 'failed',
                },
              }
            : {}),
        };
      }),
    });
  }

  #start(req: IncomingMessage, query: URLSearchParams, body: Buffer, res: ServerResponse): void {
    if (query.get('uploadType') !== 'resumable') {
      return sendError(res, 400, 'invalidParameter', 'uploadType must be resumable for this fake');
    }
    const total = Number(req.headers['x-upload-content-length']);
    const contentType = String(req.headers['x-upload-content-type'] ?? '');
    if (!Number.isInteger(total) || total <= 0) {
      return sendError(res, 400, 'badContent', 'X-Upload-Content-Length is required');
    }
    if (!/^video\/|^application\/octet-stream$/.test(contentType)) {
      return sendError(
        res,
        400,
        'badContent',
        `The media type ${contentType || '(none)'} is not a video type`,
      );
    }
    let resource: { snippet?: Record<string, unknown>; status?: Record<string, unknown> };
    try {
      resource = JSON.parse(body.toString('utf8')) as typeof resource;
    } catch {
      return sendError(res, 400, 'parseError', 'Parse Error');
    }
    const snippet = resource.snippet ?? {};
    const status = resource.status ?? {};
    const title = typeof snippet.title === 'string' ? snippet.title : '';
    const description = typeof snippet.description === 'string' ? snippet.description : '';
    if (!title.trim() || [...title].length > 100 || /[<>]/.test(title)) {
      return sendError(res, 400, 'invalidTitle', 'The request metadata specifies an invalid video title.', {
        domain: 'youtube.video',
      });
    }
    if (Buffer.byteLength(description, 'utf8') > 5000 || /[<>]/.test(description)) {
      return sendError(
        res,
        400,
        'invalidDescription',
        'The request metadata specifies an invalid video description.',
        { domain: 'youtube.video' },
      );
    }
    const privacy = status.privacyStatus ?? 'public';
    if (!['private', 'public', 'unlisted'].includes(String(privacy))) {
      return sendError(res, 400, 'invalidVideoMetadata', 'The request metadata is invalid (privacyStatus).', {
        domain: 'youtube.video',
      });
    }
    const id = randomBytes(24).toString('base64url');
    this.sessions.set(id, {
      id,
      total,
      contentType,
      received: 0,
      createdAt: new Date().toISOString(),
      resource: { snippet, status },
      hash: createHash('sha256'),
    });
    const parts = encodeURIComponent(query.get('part') ?? 'snippet,status');
    res.writeHead(200, {
      location: `${this.url}${UPLOAD_PATH}?uploadType=resumable&part=${parts}&upload_id=${id}`,
      'content-length': '0',
    });
    res.end();
  }

  async #chunk(req: IncomingMessage, uploadId: string, res: ServerResponse): Promise<void> {
    const session = this.sessions.get(uploadId);
    if (!session) {
      req.resume();
      return sendError(res, 404, 'notFound', 'The upload session does not exist or has expired.');
    }
    const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(req.headers['content-range']));
    if (!m) {
      req.resume();
      return sendError(res, 400, 'badRequest', 'Content-Range must be bytes FIRST-LAST/TOTAL');
    }
    const [first, last, total] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const length = last - first + 1;
    const problem =
      session.videoId !== undefined
        ? 'the upload is already complete'
        : total !== session.total
          ? `TOTAL ${total} differs from X-Upload-Content-Length ${session.total}`
          : first !== session.received
            ? `the chunk starts at ${first} but ${session.received} bytes were received (resume at the Range the status query gives)`
            : last >= total || length <= 0
              ? `the range ${first}-${last} is outside the file of ${total} bytes`
              : last < total - 1 && length % UPLOAD_GRANULARITY !== 0
                ? `a chunk other than the last must be a multiple of 256 KiB (262144 bytes); this one is ${length} bytes`
                : Number(req.headers['content-length']) !== length
                  ? `Content-Length ${req.headers['content-length']} differs from the range's ${length} bytes`
                  : undefined;
    if (problem) {
      req.resume();
      return sendError(res, 400, 'badRequest', `Invalid upload request: ${problem}.`);
    }

    const cut = this.take('chunk', ['cut-midway', 'stall-midway']);
    const cutAfter = cut ? (cut.cutAfterBytes ?? Math.floor(length / 2)) : Infinity;
    // Commit whole 256 KiB blocks as they arrive; the tail of the file only with the last byte.
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let arrived = 0;
    const commit = (block: Buffer): void => {
      session.hash.update(block);
      session.received += block.length;
    };
    const take = (piece: Buffer): void => {
      pending.push(piece);
      pendingBytes += piece.length;
      if (pendingBytes < UPLOAD_GRANULARITY) return;
      const all = Buffer.concat(pending);
      const whole = all.length - (all.length % UPLOAD_GRANULARITY);
      commit(all.subarray(0, whole));
      pending = whole < all.length ? [all.subarray(whole)] : [];
      pendingBytes = all.length - whole;
    };
    try {
      for await (const data of req) {
        let piece = data as Buffer;
        if (arrived + piece.length > cutAfter) piece = piece.subarray(0, cutAfter - arrived);
        arrived += piece.length;
        take(piece);
        if (arrived >= cutAfter) {
          // Dropped mid-chunk: the partial block is lost, as on Google's side.
          if (cut?.kind === 'stall-midway') await this.hold('chunk', req, res, cut.holdMs ?? 30_000);
          req.socket.destroy();
          return;
        }
      }
    } catch {
      return; // the client went away mid-chunk: keep the whole blocks
    }
    if (arrived !== length) return;
    if (pendingBytes > 0) commit(Buffer.concat(pending));

    if (session.received < session.total) {
      return send(res, 308, '', { range: `bytes=0-${session.received - 1}`, 'content-length': '0' });
    }
    const video = this.#createVideo(session);
    const accepted = this.take('chunk', ['reset-after-accept', 'hold-after-accept']);
    if (accepted?.kind === 'reset-after-accept') {
      // YouTube has the video, but the client never hears so.
      req.socket.destroy();
      return;
    }
    if (accepted && !(await this.hold('chunk', req, res, accepted.holdMs ?? 5000))) return;
    sendJson(res, 201, videoResource(video, ['snippet', 'status']));
  }

  #createVideo(session: FakeSession): FakeVideo {
    const { snippet, status } = session.resource;
    const fault = this.take('chunk', ['processing-failed', 'rejected']);
    const video: FakeVideo = {
      id: randomBytes(8).toString('base64url').slice(0, 11),
      snippet: {
        title: String(snippet.title),
        description: String(snippet.description ?? ''),
        ...(Array.isArray(snippet.tags) ? { tags: snippet.tags.map(String) } : {}),
        categoryId: String(snippet.categoryId ?? '22'),
        channelId: this.#options.channelId,
        channelTitle: this.#options.channelTitle,
        publishedAt: new Date().toISOString(),
      },
      status: {
        uploadStatus:
          fault?.kind === 'processing-failed'
            ? 'failed'
            : fault?.kind === 'rejected'
              ? 'rejected'
              : 'uploaded',
        ...(fault?.kind === 'processing-failed' ? { failureReason: 'codec' } : {}),
        ...(fault?.kind === 'rejected' ? { rejectionReason: 'duplicate' } : {}),
        privacyStatus: String(status.privacyStatus ?? 'public'),
        selfDeclaredMadeForKids: status.selfDeclaredMadeForKids === true,
        madeForKids: status.selfDeclaredMadeForKids === true,
        containsSyntheticMedia: status.containsSyntheticMedia === true,
        license: 'youtube',
        embeddable: true,
        publicStatsViewable: true,
      },
      bytes: { sha256: session.hash.digest('hex'), size: session.received },
      sessionId: session.id,
      processedAt: Date.now() + this.#options.processingMs,
    };
    session.videoId = video.id;
    this.videos.push(video);
    return video;
  }

  #query(uploadId: string, contentRange: string, res: ServerResponse): void {
    const session = this.sessions.get(uploadId);
    if (!session) return sendError(res, 404, 'notFound', 'The upload session does not exist or has expired.');
    if (contentRange !== `bytes */${session.total}`) {
      return sendError(
        res,
        400,
        'badRequest',
        `A status query sends Content-Range: bytes */${session.total}`,
      );
    }
    const video = session.videoId ? this.videos.find((v) => v.id === session.videoId) : undefined;
    if (video) return sendJson(res, 200, videoResource(video, ['snippet', 'status']));
    // Nothing received yet: a 308 without a Range header.
    send(res, 308, '', {
      ...(session.received > 0 ? { range: `bytes=0-${session.received - 1}` } : {}),
      'content-length': '0',
    });
  }
}

export function startFakeYouTube(options: FakeYouTubeOptions = {}): Promise<FakeYouTube> {
  return FakeYouTube.start(options);
}

function route(method: string, path: string, contentRange: string | undefined): Endpoint | undefined {
  if (method === 'GET' && path === '/o/oauth2/v2/auth') return 'authorize';
  if (method === 'POST' && path === '/token') return 'token';
  if (method === 'GET' && path === '/youtube/v3/channels') return 'channels';
  if (method === 'GET' && path === '/youtube/v3/playlistItems') return 'playlistItems';
  if (method === 'GET' && path === '/youtube/v3/videos') return 'videos';
  if (method === 'POST' && path === UPLOAD_PATH) return 'start';
  if (method === 'PUT' && path === UPLOAD_PATH)
    return contentRange?.startsWith('bytes */') ? 'query' : 'chunk';
  return undefined;
}

function videoResource(v: FakeVideo, parts: string[]): Record<string, unknown> {
  return {
    kind: 'youtube#video',
    id: v.id,
    ...(parts.includes('snippet') ? { snippet: v.snippet } : {}),
    ...(parts.includes('status') ? { status: v.status } : {}),
  };
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string>): void {
  if (res.headersSent || res.destroyed) return;
  if (status === 308) res.writeHead(status, 'Resume Incomplete', headers);
  else res.writeHead(status, headers);
  res.end(body);
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  send(res, status, JSON.stringify(body), { 'content-type': 'application/json; charset=UTF-8', ...headers });
}

/** Google's JSON error shape. */
function sendError(
  res: ServerResponse,
  code: number,
  reason: string,
  message: string,
  extra: { domain?: string; location?: string; status?: string; headers?: Record<string, string> } = {},
): void {
  const status =
    extra.status ??
    (
      {
        400: 'INVALID_ARGUMENT',
        401: 'UNAUTHENTICATED',
        403: 'PERMISSION_DENIED',
        404: 'NOT_FOUND',
      } as Record<number, string>
    )[code] ??
    (code >= 500 ? 'UNAVAILABLE' : 'FAILED_PRECONDITION');
  sendJson(
    res,
    code,
    {
      error: {
        code,
        message,
        errors: [
          {
            message,
            domain: extra.domain ?? 'global',
            reason,
            ...(extra.location ? { location: extra.location, locationType: 'header' } : {}),
          },
        ],
        status,
      },
    },
    extra.headers,
  );
}
