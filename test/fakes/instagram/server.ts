/**
 * The fake Instagram Platform (Instagram API with Instagram Login), because the real one cannot be
 * reached here. A real HTTP server on loopback that speaks what Reelcast's InstagramChannel and
 * InstagramOAuth call, in the documented shapes, so the real client code runs unchanged:
 *
 *   GET  /oauth/authorize                       (www.instagram.com) approves at once: 302 to redirect_uri?code&state
 *   POST /oauth/access_token                    (api.instagram.com) code → short-lived token (1 h)
 *   GET  /access_token?grant_type=ig_exchange_token        short-lived → long-lived (60 days)
 *   GET  /refresh_access_token?grant_type=ig_refresh_token long-lived, ≥ 24 h old, still valid → new 60 days
 *   GET  /{v}/me?fields=user_id,username
 *   POST /{v}/{ig-user-id}/media                media_type=REELS, caption, share_to_feed, is_ai_generated,
 *                                               upload_type=resumable (→ id, uri) or video_url (downloaded)
 *   POST /ig-api-upload/{v}/{container-id}      (rupload) Authorization: OAuth <token>, offset, file_size
 *   GET  /{v}/{container-id}?fields=status_code,status[,video_status]
 *   GET  /{v}/{ig-user-id}/content_publishing_limit?fields=quota_usage,config
 *   POST /{v}/{ig-user-id}/media_publish?creation_id=…
 *   GET  /{v}/{ig-user-id}/media?fields=id,caption,timestamp,permalink (newest first, cursor paging)
 *   GET  /{v}/{media-id}?fields=…               a published reel
 *
 * Like Instagram: Graph errors as `{ error: { message, type, code, error_subcode, is_transient,
 * fbtrace_id } }`, rupload errors as `{ debug_info: { retriable, type, message } }`; a container
 * is IN_PROGRESS until its bytes are in and processed, EXPIRED 24 h after creation unless
 * published; publishing a container twice is refused; media_publish refuses past the rolling
 * publishing limit (code 9, subcode 2207042). The upload keeps the bytes it received (as a hash
 * and a count, never in memory), answers an offset that is not where it stands, and reports its
 * position as `video_status.uploading_phase.bytes_transferred` (Meta's resumable-upload status;
 * an offset of 0 starts over). The clock is injectable (`advanceClock`) for token age and expiry.
 *
 * Faults are injected per endpoint, for the next N matching requests (`fake.inject(...)`, or
 * `POST /_fake/faults` with that JSON from another process):
 *   rate-limit          code 4/17/32 (`code`), X-Business-Use-Case-Usage with estimated_time_to_regain_access
 *   unavailable         500, code 2, is_transient (rupload: 503 retriable)
 *   expired-token       190/463 for this request (the token stays valid: a refresh works)
 *   revoked-token       revokes the presented token, 190/460; a refresh of it fails too
 *   reset-after-accept  does the work (container created / reel published), then drops the connection
 *   hold-after-accept   publishes, then answers only after holdMs (publish)
 *   upload-cut          keeps the first cutAfterBytes of the upload (default half), then drops it
 *   stall-midway        keeps the first cutAfterBytes (default half), then reads and answers
 *                       nothing for holdMs (default 30 s) before dropping it (upload): time to
 *                       SIGKILL the worker mid-upload
 *   slow-processing     the container processes for processingMs (create)
 *   download-timeout    a video_url container ends in ERROR 2207003 (create)
 *   container-error     the container turns ERROR with `subcode` (default 2207026) (status)
 *   container-expired   the container turns EXPIRED (status)
 *   read-not-ready      the read fails with code 100, subcode 33, as seconds before FINISHED (status)
 *   publishing-limit    media_publish refuses: limit reached (publish)
 * `GET /_fake/state` returns reels, containers, request counts and the log; `POST /_fake/reset`
 * clears them; `POST /_fake/clock` `{ "advanceMs": n }` moves the clock. See main.ts to run it alone.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FakeServer, readBody, sendJson as send, type FaultSpec } from '../kit';

export const ENDPOINTS = [
  'authorize',
  'code',
  'exchange',
  'refresh',
  'me',
  'create',
  'upload',
  'status',
  'limit',
  'publish',
  'media',
  'reel',
] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

export const FAULT_KINDS = [
  'rate-limit',
  'unavailable',
  'expired-token',
  'revoked-token',
  'reset-after-accept',
  'hold-after-accept',
  'upload-cut',
  'stall-midway',
  'slow-processing',
  'download-timeout',
  'container-error',
  'container-expired',
  'read-not-ready',
  'publishing-limit',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault extends FaultSpec<Endpoint, FaultKind> {
  /** rate-limit: Graph's throttling code, 4 (app), 17 (user) or 32 (page); default 4. */
  code?: number;
  /** rate-limit: estimated_time_to_regain_access in minutes (default 1). */
  regainMinutes?: number;
  /** rate-limit: the HTTP status (default 400, as Graph answers; 429 also seen). */
  httpStatus?: number;
  /** upload-cut, stall-midway: bytes kept before the connection drops (default half of what is left). */
  cutAfterBytes?: number;
  /** slow-processing: how long the container stays IN_PROGRESS after its bytes are in. */
  processingMs?: number;
  /** container-error: the error subcode in the container's status (default 2207026). */
  subcode?: number;
}

export type ContainerStatus = 'IN_PROGRESS' | 'FINISHED' | 'ERROR' | 'EXPIRED' | 'PUBLISHED';

export interface FakeContainer {
  id: string;
  userId: string;
  caption: string;
  shareToFeed: boolean;
  aiGenerated: boolean;
  upload: 'resumable' | 'video_url';
  videoUrl?: string;
  /** The file_size the upload declared (or the downloaded size). */
  fileSize?: number;
  received: number;
  /** The offset each upload request started at, in order. */
  offsets: number[];
  sha256?: string;
  status: ContainerStatus;
  errorSubcode?: number;
  createdAt: number;
  readyAt?: number;
  processingMs: number;
  mediaId?: string;
}

export interface FakeReel {
  id: string;
  containerId: string;
  userId: string;
  caption: string;
  shareToFeed: boolean;
  aiGenerated: boolean;
  sha256: string;
  size: number;
  timestamp: string;
  permalink: string;
}

export interface FakeToken {
  kind: 'short' | 'long';
  userId: string;
  issuedAt: number;
  expiresAt: number;
  revoked?: boolean;
}

export interface FakeInstagramOptions {
  host?: string;
  port?: number;
  /** The long-lived token the fake knows from the start (as if connected at start-up). */
  accessToken?: string;
  userId?: string;
  username?: string;
  appId?: string;
  appSecret?: string;
  version?: string;
  /** How long each container processes once its bytes are in (default 0). */
  processingMs?: number;
  /** Publishing limit per rolling quotaDurationSeconds (Instagram reports 50 or 100). */
  quotaTotal?: number;
  quotaDurationSeconds?: number;
  /** Unpublished containers expire this long after creation (default 24 h). */
  containerLifetimeMs?: number;
}

export const FAKE_INSTAGRAM_DEFAULTS = {
  accessToken: 'IGAAfake-long-lived-token',
  userId: '17841400000000001',
  appScopedId: '26000000000000001',
  username: 'reelcast_demo',
  appId: 'fake-instagram-app-id',
  appSecret: 'fake-instagram-app-secret',
  version: 'v25.0',
};

const HOUR = 3600_000;
const LONG_LIVED_MS = 60 * 24 * HOUR;
const SHORT_LIVED_MS = HOUR;

/** Its log's `at` is on the fake's own clock (`now()`, moved by advanceClock). */
export class FakeInstagram extends FakeServer<Endpoint, FaultKind, Fault> {
  readonly reels: FakeReel[] = [];
  readonly containers = new Map<string, FakeContainer>();
  readonly tokens = new Map<string, FakeToken>();
  quotaTotal: number;
  #codes = new Map<string, { userId: string; redirectUri: string }>();
  #hashes = new Map<string, Hash>();
  #clockOffsetMs = 0;
  #seq = 0;
  readonly #o: Required<FakeInstagramOptions>;

  private constructor(options: FakeInstagramOptions) {
    super('fake Instagram', ENDPOINTS, FAULT_KINDS, options.host ?? '127.0.0.1', (res, err) =>
      graphError(res, 500, 2, `fake Instagram: ${err.message}`),
    );
    this.#o = {
      host: this.host,
      port: 0,
      processingMs: 0,
      quotaTotal: 100,
      quotaDurationSeconds: 86_400,
      containerLifetimeMs: 24 * HOUR,
      ...FAKE_INSTAGRAM_DEFAULTS,
      ...options,
    };
    this.quotaTotal = this.#o.quotaTotal;
    this.#seedToken();
  }

  /** Listens; its url serves every host: graph, rupload, api and www.instagram.com alike. */
  static async start(options: FakeInstagramOptions = {}): Promise<FakeInstagram> {
    const fake = new FakeInstagram(options);
    await fake.listen(fake.#o.port);
    return fake;
  }

  get version(): string {
    return this.#o.version;
  }

  /** The fake's clock (ms): real time plus whatever advanceClock added. */
  override now(): number {
    return Date.now() + this.#clockOffsetMs;
  }

  advanceClock(ms: number): void {
    this.#clockOffsetMs += ms;
  }

  override reset(): void {
    this.reels.length = 0;
    this.containers.clear();
    this.tokens.clear();
    this.#codes.clear();
    this.#hashes.clear();
    this.#clockOffsetMs = 0;
    this.quotaTotal = this.#o.quotaTotal;
    this.#seedToken();
    super.reset();
  }

  protected state(): Record<string, unknown> {
    return {
      reels: this.reels,
      containers: [...this.containers.values()].map((c) => this.#current(c)),
      quotaTotal: this.quotaTotal,
      now: new Date(this.now()).toISOString(),
    };
  }

  protected override controls(): Record<string, (body: Record<string, unknown>) => unknown> {
    return {
      '/_fake/clock': (b) => {
        this.advanceClock(Number(b.advanceMs) || 0);
        return { now: new Date(this.now()).toISOString() };
      },
    };
  }

  #seedToken(): void {
    this.tokens.set(this.#o.accessToken, {
      kind: 'long',
      userId: this.#o.userId,
      issuedAt: this.now(),
      expiresAt: this.now() + LONG_LIVED_MS,
    });
  }

  #id(prefix: string): string {
    return `${prefix}${String(++this.#seq).padStart(14, '0')}`;
  }

  #mint(kind: FakeToken['kind'], userId: string): { token: string; expiresIn: number } {
    const token = `IGAA${randomBytes(24).toString('hex')}`;
    const lifetime = kind === 'long' ? LONG_LIVED_MS : SHORT_LIVED_MS;
    this.tokens.set(token, { kind, userId, issuedAt: this.now(), expiresAt: this.now() + lifetime });
    return { token, expiresIn: Math.floor(lifetime / 1000) };
  }

  protected async answer(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';

    const route = this.#route(method, url.pathname);
    if (!route) return graphError(res, 400, 100, `Unknown path components: ${url.pathname}`);
    const { endpoint } = route;
    this.count(endpoint, res);
    const upload = endpoint === 'upload';
    // The upload's body is the video: streamed, never read into memory here.
    const params = upload ? url.searchParams : mergeParams(url.searchParams, await readBody(req));
    const tokenText = upload ? oauthHeader(req) : (bearer(req) ?? params.get('access_token') ?? undefined);

    const fault = this.take(endpoint, ['rate-limit', 'unavailable', 'expired-token', 'revoked-token']);
    // An early answer to an upload lets the rest of its body drain.
    if (upload && fault && fault.kind !== 'expired-token' && fault.kind !== 'revoked-token') req.resume();
    if (fault?.kind === 'unavailable') {
      if (upload) return uploadError(res, 503, 'ServiceUnavailable', 'Upload service busy', true);
      return graphError(res, 500, 2, 'An unexpected error has occurred. Please retry your request later.', {
        is_transient: true,
      });
    }
    if (fault?.kind === 'rate-limit') {
      const usage = {
        [this.#o.userId]: [
          { type: 'instagram', call_count: 100, estimated_time_to_regain_access: fault.regainMinutes ?? 1 },
        ],
      };
      const code = fault.code ?? 4;
      const text =
        code === 17
          ? 'User request limit reached'
          : code === 32
            ? 'Page request limit reached'
            : 'Application request limit reached';
      return graphError(
        res,
        fault.httpStatus ?? 400,
        code,
        text,
        { is_transient: true },
        {
          'x-business-use-case-usage': JSON.stringify(usage),
        },
      );
    }

    switch (endpoint) {
      case 'authorize':
        return this.#authorize(params, res);
      case 'code':
        return this.#exchangeCode(params, res);
      case 'exchange':
        return this.#exchangeToken(params, res);
      case 'refresh':
        return this.#refresh(params, res);
    }

    const token = this.#checkToken(tokenText, fault, res, upload);
    if (!token) return;
    switch (endpoint) {
      case 'me':
        return send(res, 200, {
          user_id: token.userId,
          username: this.#o.username,
          id: FAKE_INSTAGRAM_DEFAULTS.appScopedId,
        });
      case 'create':
        return this.#create(token, route.id!, params, req, res);
      case 'upload':
        return this.#upload(route.id!, req, res);
      case 'status':
        return this.#status(route.id!, params, res);
      case 'reel':
        return this.#reel(route.id!, res);
      case 'limit':
        return this.#limit(token, route.id!, res);
      case 'publish':
        return this.#publish(token, route.id!, params, req, res);
      case 'media':
        return this.#list(token, route.id!, params, res);
    }
  }

  #route(method: string, path: string): { endpoint: Endpoint; id?: string } | undefined {
    const v = this.#o.version;
    const parts = path.split('/').filter(Boolean);
    if (method === 'GET' && path === '/oauth/authorize') return { endpoint: 'authorize' };
    if (method === 'POST' && path === '/oauth/access_token') return { endpoint: 'code' };
    // The token endpoints are documented without a version; accept one too.
    const rest = parts[0] === v ? parts.slice(1) : parts;
    if (method === 'GET' && rest.length === 1 && rest[0] === 'access_token') return { endpoint: 'exchange' };
    if (method === 'GET' && rest.length === 1 && rest[0] === 'refresh_access_token')
      return { endpoint: 'refresh' };
    if (method === 'POST' && parts[0] === 'ig-api-upload' && parts[1] === v && parts.length === 3)
      return { endpoint: 'upload', id: parts[2] };
    if (parts[0] !== v) return undefined;
    if (method === 'GET' && rest.length === 1 && rest[0] === 'me') return { endpoint: 'me' };
    if (rest.length === 2 && rest[1] === 'media')
      return { endpoint: method === 'POST' ? 'create' : 'media', id: rest[0] };
    if (method === 'POST' && rest.length === 2 && rest[1] === 'media_publish')
      return { endpoint: 'publish', id: rest[0] };
    if (method === 'GET' && rest.length === 2 && rest[1] === 'content_publishing_limit')
      return { endpoint: 'limit', id: rest[0] };
    if (method === 'GET' && rest.length === 1)
      return { endpoint: this.containers.has(rest[0]) ? 'status' : 'reel', id: rest[0] };
    return undefined;
  }

  /** The token's record, or undefined after answering 190 (rupload: NotAuthorizedError). */
  #checkToken(
    text: string | undefined,
    fault: Fault | undefined,
    res: ServerResponse,
    upload: boolean,
  ): FakeToken | undefined {
    const token = text ? this.tokens.get(text) : undefined;
    if (token && fault?.kind === 'revoked-token') token.revoked = true;
    const problem = !token
      ? { subcode: undefined, message: 'Invalid OAuth access token - Cannot parse access token' }
      : token.revoked
        ? {
            subcode: 460,
            message:
              'Error validating access token: The session has been invalidated because the user changed their password or Instagram has changed the session for security reasons.',
          }
        : token.expiresAt <= this.now() || fault?.kind === 'expired-token'
          ? {
              subcode: 463,
              message: `Error validating access token: Session has expired on ${new Date(Math.min(token.expiresAt, this.now())).toUTCString()}.`,
            }
          : undefined;
    if (!problem) return token;
    if (upload) res.req.resume();
    if (upload)
      uploadError(res, 401, 'NotAuthorizedError', 'User not authorized to perform this request', false);
    else
      graphError(res, 400, 190, problem.message, problem.subcode ? { error_subcode: problem.subcode } : {});
    return undefined;
  }

  #authorize(params: URLSearchParams, res: ServerResponse): void {
    const redirect = params.get('redirect_uri');
    if (params.get('client_id') !== this.#o.appId || !redirect || params.get('response_type') !== 'code') {
      return graphError(
        res,
        400,
        100,
        'Invalid platform app: client_id, redirect_uri and response_type=code are required',
      );
    }
    const code = randomBytes(16).toString('hex');
    this.#codes.set(code, { userId: this.#o.userId, redirectUri: redirect });
    const to = new URL(redirect);
    to.searchParams.set('code', code);
    if (params.get('state')) to.searchParams.set('state', params.get('state')!);
    res.writeHead(302, { location: `${to.href}#_` });
    res.end();
  }

  #exchangeCode(params: URLSearchParams, res: ServerResponse): void {
    const grant = this.#codes.get(params.get('code') ?? '');
    const wrong = (message: string) =>
      send(res, 400, { error_type: 'OAuthException', code: 400, error_message: message });
    if (params.get('client_id') !== this.#o.appId || params.get('client_secret') !== this.#o.appSecret)
      return wrong('Invalid client_id or client_secret');
    if (params.get('grant_type') !== 'authorization_code') return wrong('Invalid grant_type');
    if (!grant || grant.redirectUri !== params.get('redirect_uri'))
      return wrong('Invalid authorization code');
    this.#codes.delete(params.get('code')!);
    const { token } = this.#mint('short', grant.userId);
    send(res, 200, {
      data: [
        {
          access_token: token,
          user_id: grant.userId,
          permissions: 'instagram_business_basic,instagram_business_content_publish',
        },
      ],
    });
  }

  #exchangeToken(params: URLSearchParams, res: ServerResponse): void {
    if (params.get('grant_type') !== 'ig_exchange_token')
      return graphError(res, 400, 100, 'Invalid grant_type');
    if (params.get('client_secret') !== this.#o.appSecret)
      return graphError(res, 400, 101, 'Error validating client secret.');
    const short = this.tokens.get(params.get('access_token') ?? '');
    if (!short || short.revoked || short.expiresAt <= this.now() || short.kind !== 'short')
      return graphError(res, 400, 190, 'Invalid OAuth access token - Cannot parse access token');
    const { token, expiresIn } = this.#mint('long', short.userId);
    send(res, 200, { access_token: token, token_type: 'bearer', expires_in: expiresIn });
  }

  #refresh(params: URLSearchParams, res: ServerResponse): void {
    if (params.get('grant_type') !== 'ig_refresh_token')
      return graphError(res, 400, 100, 'Invalid grant_type');
    const old = this.tokens.get(params.get('access_token') ?? '');
    if (!old || old.kind !== 'long')
      return graphError(res, 400, 190, 'Invalid OAuth access token - Cannot parse access token');
    if (old.revoked)
      return graphError(res, 400, 190, 'Error validating access token: The session has been invalidated.', {
        error_subcode: 460,
      });
    if (old.expiresAt <= this.now())
      return graphError(res, 400, 190, 'Error validating access token: Session has expired.', {
        error_subcode: 463,
      });
    if (this.now() - old.issuedAt < 24 * HOUR)
      return graphError(
        res,
        400,
        100,
        'The access token can be refreshed only when it is at least 24 hours old.',
      );
    const { token, expiresIn } = this.#mint('long', old.userId);
    send(res, 200, { access_token: token, token_type: 'bearer', expires_in: expiresIn });
  }

  #create(
    token: FakeToken,
    userId: string,
    params: URLSearchParams,
    req: IncomingMessage,
    res: ServerResponse,
  ): void {
    if (userId !== token.userId && userId !== 'me') return objectMissing(res, userId, 'post');
    if (params.get('media_type') !== 'REELS')
      return graphError(res, 400, 100, 'The parameter media_type must be REELS for a reel.');
    const caption = params.get('caption') ?? '';
    if ([...caption].length > 2200)
      return graphError(res, 400, 100, 'The caption is longer than 2,200 characters.');
    const videoUrl = params.get('video_url') ?? undefined;
    const resumable = params.get('upload_type') === 'resumable';
    if (!videoUrl && !resumable)
      return graphError(res, 400, 100, 'The parameter video_url or upload_type=resumable is required.');
    const fault = this.take('create', ['slow-processing', 'download-timeout', 'reset-after-accept']);
    const c: FakeContainer = {
      id: this.#id('179'),
      userId: token.userId,
      caption,
      shareToFeed: params.get('share_to_feed') !== 'false',
      aiGenerated: params.get('is_ai_generated') === 'true',
      upload: videoUrl ? 'video_url' : 'resumable',
      videoUrl,
      received: 0,
      offsets: [],
      status: 'IN_PROGRESS',
      createdAt: this.now(),
      processingMs: fault?.kind === 'slow-processing' ? (fault.processingMs ?? 3000) : this.#o.processingMs,
    };
    this.containers.set(c.id, c);
    if (videoUrl) {
      if (fault?.kind === 'download-timeout') this.#fail(c, 2207003);
      else void this.#download(c, videoUrl);
    }
    if (fault?.kind === 'reset-after-accept') {
      req.socket.destroy();
      return;
    }
    send(
      res,
      200,
      resumable && !videoUrl
        ? { id: c.id, uri: `${this.url}/ig-api-upload/${this.#o.version}/${c.id}` }
        : { id: c.id },
    );
  }

  /** Like Meta's crawler: fetches the video_url, hashing as it goes. */
  async #download(c: FakeContainer, videoUrl: string): Promise<void> {
    try {
      const r = await fetch(videoUrl);
      if (!r.ok || !r.body) throw new Error(`HTTP ${r.status}`);
      const hash = createHash('sha256');
      for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
        hash.update(chunk);
        c.received += chunk.length;
      }
      c.fileSize = c.received;
      c.sha256 = hash.digest('hex');
      c.readyAt = this.now() + c.processingMs;
    } catch {
      this.#fail(c, 2207003);
    }
  }

  #fail(c: FakeContainer, subcode: number): void {
    c.status = 'ERROR';
    c.errorSubcode = subcode;
  }

  async #upload(id: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const c = this.containers.get(id);
    const refuse = (message: string, retriable = false) => {
      req.resume();
      uploadError(res, 400, 'ProcessingFailedError', message, retriable);
    };
    if (!c || c.upload !== 'resumable') return refuse(`no resumable upload for ${id}`);
    if (this.#current(c).status !== 'IN_PROGRESS' || (c.fileSize !== undefined && c.received === c.fileSize))
      return refuse(`the upload for ${id} is complete or closed`);
    const fileSize = Number(req.headers.file_size);
    const offset = Number(req.headers.offset);
    if (!Number.isInteger(fileSize) || fileSize <= 0)
      return refuse('the file_size header must be the size in bytes');
    if (!Number.isInteger(offset) || offset < 0) return refuse('the offset header must be a byte position');
    if (c.fileSize !== undefined && c.fileSize !== fileSize)
      return refuse(`file_size ${fileSize} differs from the ${c.fileSize} declared before`);
    if (offset === 0 && c.received > 0) {
      c.received = 0; // starting over
      this.#hashes.delete(id);
    }
    if (offset !== c.received)
      return refuse(`offset ${offset} does not match the ${c.received} bytes received`);
    c.offsets.push(offset);
    c.fileSize = fileSize;
    const hash = this.#hashes.get(id) ?? createHash('sha256');
    this.#hashes.set(id, hash);
    const cut = this.take('upload', ['upload-cut', 'stall-midway']);
    const keep = cut ? (cut.cutAfterBytes ?? Math.floor((fileSize - offset) / 2)) : Infinity;
    let taken = 0;
    for await (const piece of req) {
      const chunk = piece as Buffer;
      const room = Math.min(keep - taken, fileSize - c.received);
      const part = chunk.length > room ? chunk.subarray(0, Math.max(0, room)) : chunk;
      hash.update(part);
      c.received += part.length;
      taken += part.length;
      if (taken >= keep) {
        if (cut?.kind === 'stall-midway') await this.hold('upload', req, res, cut.holdMs ?? 30_000);
        req.socket.destroy(); // the rest never arrives
        return;
      }
      if (part.length < chunk.length) return refuse(`more bytes than file_size ${fileSize}`);
    }
    if (c.received < fileSize) {
      return uploadError(
        res,
        400,
        'ProcessingFailedError',
        `received ${c.received} of ${fileSize} bytes`,
        true,
      );
    }
    c.sha256 = hash.digest('hex');
    this.#hashes.delete(id);
    c.readyAt = this.now() + c.processingMs;
    send(res, 200, { success: true, message: 'Upload successful.' });
  }

  /** The container as of now: processing done, or expired. */
  #current(c: FakeContainer): FakeContainer {
    if (c.status === 'IN_PROGRESS' || c.status === 'FINISHED') {
      if (this.now() - c.createdAt >= this.#o.containerLifetimeMs) c.status = 'EXPIRED';
      else if (c.readyAt !== undefined && this.now() >= c.readyAt) c.status = 'FINISHED';
    }
    return c;
  }

  #status(id: string, params: URLSearchParams, res: ServerResponse): void {
    const c = this.#current(this.containers.get(id)!);
    const fault = this.take('status', ['container-error', 'container-expired', 'read-not-ready']);
    if (fault?.kind === 'read-not-ready') return objectMissing(res, id, 'get');
    if (fault?.kind === 'container-error' && c.status !== 'PUBLISHED')
      this.#fail(c, fault.subcode ?? 2207026);
    if (fault?.kind === 'container-expired' && c.status !== 'PUBLISHED') c.status = 'EXPIRED';
    const fields = (params.get('fields') ?? 'id').split(',');
    const body: Record<string, unknown> = { id };
    if (fields.includes('status_code')) body.status_code = c.status;
    if (fields.includes('status'))
      body.status =
        c.status === 'ERROR'
          ? `Error: Media upload has failed with error code ${c.errorSubcode}`
          : c.status === 'FINISHED'
            ? 'Finished: Media has been uploaded and it is ready to be published.'
            : c.status;
    if (fields.includes('video_status')) {
      const complete = c.fileSize !== undefined && c.received === c.fileSize;
      body.video_status = {
        uploading_phase: { status: complete ? 'complete' : 'in_progress', bytes_transferred: c.received },
        processing_phase: {
          status:
            c.status === 'FINISHED' || c.status === 'PUBLISHED'
              ? 'complete'
              : complete
                ? 'in_progress'
                : 'not_started',
        },
      };
    }
    send(res, 200, body);
  }

  #reel(id: string, res: ServerResponse): void {
    const reel = this.reels.find((r) => r.id === id);
    if (!reel) return objectMissing(res, id, 'get');
    send(res, 200, view(reel));
  }

  #usage(userId: string): number {
    const since = this.now() - this.#o.quotaDurationSeconds * 1000;
    return this.reels.filter((r) => r.userId === userId && Date.parse(r.timestamp) > since).length;
  }

  #limit(token: FakeToken, userId: string, res: ServerResponse): void {
    if (userId !== token.userId) return objectMissing(res, userId, 'get');
    send(res, 200, {
      data: [
        {
          quota_usage: this.#usage(userId),
          config: { quota_total: this.quotaTotal, quota_duration: this.#o.quotaDurationSeconds },
        },
      ],
    });
  }

  async #publish(
    token: FakeToken,
    userId: string,
    params: URLSearchParams,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    if (userId !== token.userId) return objectMissing(res, userId, 'post');
    const id = params.get('creation_id') ?? '';
    const found = this.containers.get(id);
    if (!found || found.userId !== userId)
      return graphError(
        res,
        400,
        100,
        `Invalid parameter: creation_id ${id} is not a media container of this account`,
      );
    const c = this.#current(found);
    const fault = this.take('publish', ['publishing-limit', 'reset-after-accept', 'hold-after-accept']);
    if (fault?.kind === 'publishing-limit' || this.#usage(userId) >= this.quotaTotal) {
      return graphError(res, 400, 9, 'Application request limit reached', {
        error_subcode: 2207042,
        error_user_title: 'Cannot publish',
        error_user_msg:
          'You reached the maximum number of posts that is allowed to be published by the Content Publishing API.',
      });
    }
    // Instagram's exact answer to a second publish of one container is not documented; refusing is.
    if (c.status === 'PUBLISHED')
      return graphError(res, 400, 100, 'The media container has already been published.');
    if (c.status === 'EXPIRED')
      return graphError(
        res,
        400,
        -2,
        'The media you are trying to access has expired. Please try to upload again.',
        { error_subcode: 2207020 },
      );
    if (c.status !== 'FINISHED')
      return graphError(res, 400, 9007, 'Media ID is not available', { error_subcode: 2207027 });
    const reel: FakeReel = {
      id: this.#id('180'),
      containerId: c.id,
      userId,
      caption: c.caption,
      shareToFeed: c.shareToFeed,
      aiGenerated: c.aiGenerated,
      sha256: c.sha256!,
      size: c.fileSize!,
      timestamp: instagramTime(this.now()),
      permalink: '',
    };
    reel.permalink = `https://www.instagram.com/reel/${reel.id.slice(-11)}/`;
    this.reels.push(reel);
    c.status = 'PUBLISHED';
    c.mediaId = reel.id;
    if (fault?.kind === 'reset-after-accept') {
      req.socket.destroy(); // published, but the client never hears so
      return;
    }
    if (fault?.kind === 'hold-after-accept') await this.hold('publish', req, res, fault.holdMs ?? 5000);
    send(res, 200, { id: reel.id });
  }

  #list(token: FakeToken, userId: string, params: URLSearchParams, res: ServerResponse): void {
    if (userId !== token.userId) return objectMissing(res, userId, 'get');
    const limit = Math.min(100, Math.max(1, Number(params.get('limit') ?? 25)));
    const offset = params.get('after')
      ? Number(Buffer.from(params.get('after')!, 'base64url').toString())
      : 0;
    const all = this.reels.filter((r) => r.userId === userId).reverse();
    const page = all.slice(offset, offset + limit);
    const more = offset + limit < all.length;
    const cursor = (n: number) => Buffer.from(String(n)).toString('base64url');
    const next = new URL(`${this.url}/${this.#o.version}/${userId}/media`);
    next.searchParams.set('fields', params.get('fields') ?? 'id');
    next.searchParams.set('limit', String(limit));
    next.searchParams.set('after', cursor(offset + limit));
    send(res, 200, {
      data: page.map(view),
      paging: {
        cursors: { before: cursor(offset), after: cursor(offset + page.length) },
        ...(more ? { next: next.href } : {}),
      },
    });
  }
}

export function startFakeInstagram(options: FakeInstagramOptions = {}): Promise<FakeInstagram> {
  return FakeInstagram.start(options);
}

function view(r: FakeReel): Record<string, unknown> {
  return {
    id: r.id,
    caption: r.caption,
    media_type: 'VIDEO',
    media_product_type: 'REELS',
    timestamp: r.timestamp,
    permalink: r.permalink,
    is_ai_generated: r.aiGenerated,
  };
}

/** Instagram writes times as 2026-03-01T10:00:00+0000. */
function instagramTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+0000');
}

function graphError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): void {
  send(
    res,
    status,
    {
      error: {
        message,
        type: 'OAuthException',
        code,
        is_transient: false,
        ...extra,
        fbtrace_id: randomBytes(9).toString('base64url'),
      },
    },
    headers,
  );
}

function uploadError(
  res: ServerResponse,
  status: number,
  type: string,
  message: string,
  retriable: boolean,
): void {
  send(res, status, { debug_info: { retriable, type, message } });
}

/** What Graph answers for an id it cannot read (also, briefly, for a container about to finish). */
function objectMissing(res: ServerResponse, id: string, verb: 'get' | 'post'): void {
  graphError(
    res,
    400,
    100,
    `Unsupported ${verb} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
    { error_subcode: 33 },
  );
}

function bearer(req: IncomingMessage): string | undefined {
  const m = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

function oauthHeader(req: IncomingMessage): string | undefined {
  const m = /^OAuth (.+)$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

function mergeParams(query: URLSearchParams, body: Buffer): URLSearchParams {
  const out = new URLSearchParams(query);
  for (const [k, v] of new URLSearchParams(body.toString('utf8'))) out.set(k, v);
  return out;
}
