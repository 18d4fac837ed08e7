/**
 * The fake TikTok: a real HTTP server on loopback that speaks the parts of TikTok's Open API
 * Reelcast uses (Content Posting API, Direct Post; Login Kit; Display API's video list), with
 * TikTok's rules, so the real client runs unchanged against it:
 *
 *   GET  /v2/auth/authorize/                  consents at once: 302 to redirect_uri?code=&state=
 *   POST /v2/oauth/token/        (form)       authorization_code (PKCE) and refresh_token grants;
 *                                             refresh tokens rotate: the old one stops working
 *   POST /v2/post/publish/creator_info/query/ privacy options, max duration, disabled interactions
 *   POST /v2/post/publish/video/init/         FILE_UPLOAD; chunk rules and post_info checked
 *   PUT  /upload/?upload_id=&upload_token=    Content-Range chunks, in order: 206, then 201
 *   POST /v2/post/publish/status/fetch/       PROCESSING_UPLOAD → PROCESSING_DOWNLOAD →
 *                                             PUBLISH_COMPLETE (or FAILED with fail_reason)
 *   POST /v2/video/list/?fields=…             the account's public posts, newest first
 *
 * Answers use TikTok's envelope `{ data, error: { code, message, log_id } }`; post ids are int64
 * numbers in the JSON, as TikTok sends them. Every published video is recorded with the sha256 and
 * size of its bytes (hashed as they stream: nothing is buffered), its post_info and caption.
 *
 * Faults are injected per endpoint for the next N matching requests:
 *   rate-limit             429 rate_limit_exceeded with Retry-After = resetInSeconds
 *   unavailable            503 internal_error
 *   reset-after-accept     does the work (init: the publish exists; upload: the chunk is kept),
 *                          then drops the connection without answering
 *   cut-midway             upload: drops the connection halfway through the chunk (nothing kept)
 *   stall-midway           upload: half the chunk arrives, then nothing more is read or answered
 *                          for holdMs (default 30 s), then the connection drops (nothing of that
 *                          chunk kept): time to SIGKILL the worker mid-upload
 *   hold-after-accept      upload: the chunk is kept (the video processed, if it was the last),
 *                          the answer held back for holdMs (default 5 s): time to SIGKILL the
 *                          worker after TikTok accepted
 *   processing-failed      upload: once the last chunk is in, processing FAILS with failReason
 *   spam-risk              403 with code (default spam_risk_too_many_posts)
 *   access-token-expired   the presented access token expires now: 401 access_token_invalid
 *   refresh-token-revoked  token: every refresh token of the account is revoked (invalid_grant)
 *   unaudited-client       403 unaudited_client_can_only_post_to_private_accounts
 *   privacy-level-mismatch 403 privacy_level_option_mismatch
 * From a test: `fake.inject({ endpoint: 'init', kind: 'reset-after-accept' })`. From another
 * process: `POST /_fake/faults` with that JSON (or an array); `GET /_fake/state` returns posts,
 * publishes and request counts; `POST /_fake/grant` issues tokens without the browser step;
 * `POST /_fake/reset` clears everything. See main.ts to run it alone.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PRIVACY_LEVELS } from '../../../activities/publish/tiktok/post-info';
import { FakeServer, parseJson as json, readBody, type FaultSpec } from '../kit';

export { PRIVACY_LEVELS };

export const ENDPOINTS = ['authorize', 'token', 'creator-info', 'init', 'upload', 'status', 'list'] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

export const FAULT_KINDS = [
  'rate-limit',
  'unavailable',
  'reset-after-accept',
  'cut-midway',
  'stall-midway',
  'hold-after-accept',
  'processing-failed',
  'spam-risk',
  'access-token-expired',
  'refresh-token-revoked',
  'unaudited-client',
  'privacy-level-mismatch',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** `after: 1` on upload hits the second chunk. */
export interface Fault extends FaultSpec<Endpoint, FaultKind> {
  /** rate-limit: seconds in Retry-After (default 2). */
  resetInSeconds?: number;
  /** processing-failed: the fail_reason (default file_format_check_failed). */
  failReason?: string;
  /** spam-risk: the error code (default spam_risk_too_many_posts). */
  code?: string;
}

export interface FakeTikTokOptions {
  host?: string;
  port?: number;
  clientKey?: string;
  clientSecret?: string;
  openId?: string;
  username?: string;
  /** creator_info's privacy_level_options (default all four). */
  privacyLevelOptions?: string[];
  maxVideoPostDurationSec?: number;
  commentDisabled?: boolean;
  duetDisabled?: boolean;
  stitchDisabled?: boolean;
  /** An unaudited app may post only SELF_ONLY (default true: audited). */
  audited?: boolean;
  accessTokenTtlSeconds?: number;
  refreshTokenTtlSeconds?: number;
  /** From the last chunk to PUBLISH_COMPLETE (default 200 ms): half uploading, half downloading. */
  processingMs?: number;
  /** How long an upload_url accepts chunks (TikTok: 1 h). */
  uploadUrlTtlMs?: number;
}

export const FAKE_TIKTOK_DEFAULTS = {
  clientKey: 'fake-client-key',
  clientSecret: 'fake-client-secret',
  openId: '-000OOsE7Tz7fake-open-id',
  username: 'reelcast_demo',
};

const MiB = 1024 * 1024;
const MIN_CHUNK = 5 * MiB;
const MAX_CHUNK = 64 * MiB;
const MAX_LAST_CHUNK = 128 * MiB;
const MAX_TITLE = 2200;

export interface FakeTikTokPost {
  postId: string;
  publishId: string;
  openId: string;
  caption: string;
  privacyLevel: string;
  isAigc: boolean;
  postInfo: Record<string, unknown>;
  sha256: string;
  size: number;
  createdAt: string;
}

export interface FakePublish {
  publishId: string;
  openId: string;
  postInfo: Record<string, unknown>;
  videoSize: number;
  chunkSize: number;
  totalChunkCount: number;
  uploadedBytes: number;
  chunksReceived: number;
  status: 'PROCESSING_UPLOAD' | 'PROCESSING_DOWNLOAD' | 'PUBLISH_COMPLETE' | 'FAILED';
  failReason?: string;
  postId?: string;
  uploadUrl: string;
  uploadUrlExpiresAt: number;
  completedAt?: number;
}

interface Grant {
  openId: string;
  scopes: string[];
  expiresAt: number;
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  refreshExpiresIn: number;
  openId: string;
  scopes: string[];
}

export class FakeTikTok extends FakeServer<Endpoint, FaultKind, Fault> {
  readonly posts: FakeTikTokPost[] = [];
  readonly publishes = new Map<string, FakePublish>();
  readonly accessTokens = new Map<string, Grant>();
  readonly refreshTokens = new Map<string, Grant & { revoked: boolean }>();
  readonly #codes = new Map<
    string,
    { redirectUri: string; challenge: string; scopes: string[]; used: boolean }
  >();
  readonly #hashes = new Map<string, Hash>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #nextPostId = 7_400_000_000_000_000_001n;
  readonly #options: Required<FakeTikTokOptions>;

  private constructor(options: FakeTikTokOptions) {
    super('fake TikTok', ENDPOINTS, FAULT_KINDS, options.host ?? '127.0.0.1', (res, err) =>
      sendError(res, 500, 'internal_error', err.message),
    );
    this.#options = {
      host: this.host,
      port: 0,
      ...FAKE_TIKTOK_DEFAULTS,
      privacyLevelOptions: [...PRIVACY_LEVELS],
      maxVideoPostDurationSec: 600,
      commentDisabled: false,
      duetDisabled: false,
      stitchDisabled: false,
      audited: true,
      accessTokenTtlSeconds: 86_400,
      refreshTokenTtlSeconds: 31_536_000,
      processingMs: 200,
      uploadUrlTtlMs: 60 * 60_000,
      ...options,
    };
  }

  /** Listens; its url is TIKTOK_API_BASE_URL and TIKTOK_AUTH_BASE_URL. */
  static async start(options: FakeTikTokOptions = {}): Promise<FakeTikTok> {
    const fake = new FakeTikTok(options);
    await fake.listen(fake.#options.port);
    return fake;
  }

  get options(): Readonly<Required<FakeTikTokOptions>> {
    return this.#options;
  }

  /** Changes the creator's settings or the app's audit state from a test. */
  configure(changes: Partial<Omit<FakeTikTokOptions, 'host' | 'port'>>): void {
    Object.assign(this.#options, changes);
  }

  /** Tokens for the account as if a person had just connected it (skips the browser step). */
  grant(scopes: string[] = ['user.info.basic', 'video.publish', 'video.list']): IssuedTokens {
    return this.#issue(this.#options.openId, scopes);
  }

  /** The account removed the app's access: every refresh token stops working. */
  revokeRefreshTokens(): void {
    for (const t of this.refreshTokens.values()) t.revoked = true;
  }

  override reset(): void {
    this.posts.length = 0;
    this.publishes.clear();
    this.#hashes.clear();
    this.accessTokens.clear();
    this.refreshTokens.clear();
    this.#codes.clear();
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    super.reset();
  }

  override async close(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    await super.close();
  }

  protected state(): Record<string, unknown> {
    return { posts: this.posts, publishes: [...this.publishes.values()] };
  }

  protected override controls(): Record<string, (body: Record<string, unknown>) => unknown> {
    return { '/_fake/grant': (b) => this.grant(b.scopes as string[] | undefined) };
  }

  #issue(openId: string, scopes: string[]): IssuedTokens {
    const now = Date.now();
    const accessToken = `act.${randomBytes(18).toString('base64url')}`;
    const refreshToken = `rft.${randomBytes(18).toString('base64url')}`;
    const { accessTokenTtlSeconds: ttl, refreshTokenTtlSeconds: refreshTtl } = this.#options;
    this.accessTokens.set(accessToken, { openId, scopes, expiresAt: now + ttl * 1000 });
    this.refreshTokens.set(refreshToken, {
      openId,
      scopes,
      expiresAt: now + refreshTtl * 1000,
      revoked: false,
    });
    return { accessToken, refreshToken, expiresIn: ttl, refreshExpiresIn: refreshTtl, openId, scopes };
  }

  protected async answer(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    const method = req.method ?? 'GET';

    const endpoint = route(method, path);
    if (!endpoint) {
      await readBody(req);
      return sendError(res, 404, 'not_found', `fake TikTok has no ${method} ${path}`);
    }
    this.count(endpoint, res);
    if (endpoint === 'upload') return this.#upload(url, req, res);
    const body = await readBody(req);

    const fault = this.take(endpoint, ['rate-limit', 'unavailable']);
    if (fault?.kind === 'rate-limit') {
      return sendError(res, 429, 'rate_limit_exceeded', 'API rate limit exceeded', {
        'retry-after': String(fault.resetInSeconds ?? 2),
      });
    }
    if (fault?.kind === 'unavailable') return sendError(res, 503, 'internal_error', 'Service unavailable');

    if (endpoint === 'authorize') return this.#authorize(url.searchParams, res);
    if (endpoint === 'token') return this.#token(new URLSearchParams(body.toString('utf8')), res);

    const grant = this.#authenticate(req, endpoint, res);
    if (!grant) return;
    switch (endpoint) {
      case 'creator-info':
        return this.#creatorInfo(res);
      case 'init':
        return this.#init(grant, json(body), req, res);
      case 'status':
        return this.#status(grant, json(body), res);
      case 'list':
        return this.#list(grant, url.searchParams, json(body), res);
    }
  }

  /** Bearer token check: expired, unknown and out-of-scope tokens are refused as TikTok does. */
  #authenticate(req: IncomingMessage, endpoint: Endpoint, res: ServerResponse): Grant | undefined {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const grant = this.accessTokens.get(token);
    if (grant && this.take(endpoint, ['access-token-expired'])) grant.expiresAt = Date.now() - 1;
    if (!grant || grant.expiresAt <= Date.now()) {
      sendError(res, 401, 'access_token_invalid', 'The access token is invalid or not found in the request.');
      return undefined;
    }
    const scope = endpoint === 'list' ? 'video.list' : 'video.publish';
    if (!grant.scopes.includes(scope)) {
      sendError(res, 401, 'scope_not_authorized', `The user did not authorize the scope required: ${scope}`);
      return undefined;
    }
    return grant;
  }

  #authorize(query: URLSearchParams, res: ServerResponse): void {
    const redirect = query.get('redirect_uri');
    if (
      query.get('client_key') !== this.#options.clientKey ||
      !redirect ||
      query.get('response_type') !== 'code'
    ) {
      return sendError(
        res,
        400,
        'invalid_request',
        'client_key, redirect_uri and response_type=code are required',
      );
    }
    const challenge = query.get('code_challenge') ?? '';
    if (!challenge || query.get('code_challenge_method') !== 'S256') {
      return sendError(
        res,
        400,
        'invalid_request',
        'code_challenge with code_challenge_method=S256 is required',
      );
    }
    const scopes = (query.get('scope') ?? '').split(',').filter(Boolean);
    const code = randomBytes(16).toString('base64url');
    this.#codes.set(code, { redirectUri: redirect, challenge, scopes, used: false });
    const to = new URL(redirect);
    to.searchParams.set('code', code);
    to.searchParams.set('scopes', scopes.join(','));
    to.searchParams.set('state', query.get('state') ?? '');
    res.writeHead(302, { location: to.toString() });
    res.end();
  }

  #token(form: URLSearchParams, res: ServerResponse): void {
    const refuse = (error: string, description: string, status = 400): void =>
      send(res, status, { error, error_description: description, log_id: logId() });
    if (
      form.get('client_key') !== this.#options.clientKey ||
      form.get('client_secret') !== this.#options.clientSecret
    ) {
      return refuse('invalid_client', 'Client key or secret is incorrect.', 401);
    }
    const grantType = form.get('grant_type');
    let issued: IssuedTokens;
    if (grantType === 'authorization_code') {
      const entry = this.#codes.get(form.get('code') ?? '');
      if (!entry || entry.used) return refuse('invalid_grant', 'Authorization code is expired.');
      entry.used = true;
      if (entry.redirectUri !== form.get('redirect_uri')) {
        return refuse('invalid_request', 'Redirect URI does not match the authorization request.');
      }
      if (!verifierMatches(form.get('code_verifier') ?? '', entry.challenge)) {
        return refuse('invalid_request', 'Code verifier or code challenge is invalid.');
      }
      issued = this.#issue(this.#options.openId, entry.scopes);
    } else if (grantType === 'refresh_token') {
      if (this.take('token', ['refresh-token-revoked'])) this.revokeRefreshTokens();
      const token = form.get('refresh_token') ?? '';
      const entry = this.refreshTokens.get(token);
      if (!entry || entry.revoked || entry.expiresAt <= Date.now()) {
        return refuse('invalid_grant', 'Refresh token is invalid or expired.');
      }
      // Rotation: the refresh token just used stops working.
      entry.revoked = true;
      issued = this.#issue(entry.openId, entry.scopes);
    } else {
      return refuse('unsupported_grant_type', `grant_type ${grantType} is not supported.`);
    }
    send(res, 200, {
      access_token: issued.accessToken,
      expires_in: issued.expiresIn,
      open_id: issued.openId,
      refresh_expires_in: issued.refreshExpiresIn,
      refresh_token: issued.refreshToken,
      scope: issued.scopes.join(','),
      token_type: 'Bearer',
    });
  }

  #creatorInfo(res: ServerResponse): void {
    const fault = this.take('creator-info', ['spam-risk']);
    if (fault) return sendError(res, 403, fault.code ?? 'spam_risk_too_many_posts', 'Spam risk');
    const o = this.#options;
    sendData(res, {
      creator_avatar_url: `https://p16.tiktokcdn.example/${o.username}.jpeg`,
      creator_username: o.username,
      creator_nickname: 'Reelcast Demo',
      privacy_level_options: o.privacyLevelOptions,
      comment_disabled: o.commentDisabled,
      duet_disabled: o.duetDisabled,
      stitch_disabled: o.stitchDisabled,
      max_video_post_duration_sec: o.maxVideoPostDurationSec,
    });
  }

  #init(grant: Grant, body: Record<string, unknown>, req: IncomingMessage, res: ServerResponse): void {
    const fault = this.take('init', [
      'spam-risk',
      'unaudited-client',
      'privacy-level-mismatch',
      'reset-after-accept',
    ]);
    if (fault?.kind === 'spam-risk') {
      return sendError(res, 403, fault.code ?? 'spam_risk_too_many_posts', 'The daily post cap is reached.');
    }
    const postInfo = (body.post_info ?? {}) as Record<string, unknown>;
    const source = (body.source_info ?? {}) as Record<string, unknown>;
    const invalid = (message: string): void => sendError(res, 400, 'invalid_params', message);
    if (source.source !== 'FILE_UPLOAD') return invalid('source_info.source must be FILE_UPLOAD here');
    const problem = chunkRuleBroken(
      Number(source.video_size),
      Number(source.chunk_size),
      Number(source.total_chunk_count),
      MIN_CHUNK,
    );
    if (problem) return invalid(problem);
    const title = postInfo.title ?? '';
    if (typeof title !== 'string' || title.length > MAX_TITLE) {
      return invalid(`post_info.title must be a string of at most ${MAX_TITLE} UTF-16 code units`);
    }
    const privacy = String(postInfo.privacy_level ?? '');
    if (fault?.kind === 'privacy-level-mismatch' || !this.#options.privacyLevelOptions.includes(privacy)) {
      return sendError(
        res,
        403,
        'privacy_level_option_mismatch',
        `privacy_level ${privacy} is not in the creator's privacy_level_options`,
      );
    }
    if (fault?.kind === 'unaudited-client' || (!this.#options.audited && privacy !== 'SELF_ONLY')) {
      return sendError(
        res,
        403,
        'unaudited_client_can_only_post_to_private_accounts',
        'Unaudited clients can only post to private accounts.',
      );
    }
    const publishId = `v_pub_file~v2-1.${randomBytes(9).toString('hex')}`;
    const uploadToken = randomBytes(12).toString('base64url');
    const uploadUrl = `${this.url}/upload/?upload_id=${encodeURIComponent(publishId)}&upload_token=${uploadToken}`;
    this.publishes.set(publishId, {
      publishId,
      openId: grant.openId,
      postInfo,
      videoSize: Number(source.video_size),
      chunkSize: Number(source.chunk_size),
      totalChunkCount: Number(source.total_chunk_count),
      uploadedBytes: 0,
      chunksReceived: 0,
      status: 'PROCESSING_UPLOAD',
      uploadUrl,
      uploadUrlExpiresAt: Date.now() + this.#options.uploadUrlTtlMs,
    });
    this.#hashes.set(publishId, createHash('sha256'));
    if (fault?.kind === 'reset-after-accept') {
      // The publish exists, the client never hears of it.
      req.socket.destroy();
      return;
    }
    sendData(res, { publish_id: publishId, upload_url: uploadUrl });
  }

  async #upload(url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const publish = this.publishes.get(url.searchParams.get('upload_id') ?? '');
    const refuse = async (status: number, code: string, message: string): Promise<void> => {
      await readBody(req); // read the rest so the client sees the answer, not a broken pipe
      sendError(res, status, code, message);
    };
    if (!publish || !publish.uploadUrl.endsWith(`upload_token=${url.searchParams.get('upload_token')}`)) {
      return refuse(404, 'invalid_upload_url', 'No upload with this id and token.');
    }
    if (publish.uploadUrlExpiresAt <= Date.now())
      return refuse(403, 'upload_url_expired', 'The upload URL expired.');
    const fault = this.take('upload', [
      'rate-limit',
      'unavailable',
      'reset-after-accept',
      'cut-midway',
      'stall-midway',
      'hold-after-accept',
    ]);
    if (fault?.kind === 'rate-limit') {
      await readBody(req);
      return sendError(res, 429, 'rate_limit_exceeded', 'API rate limit exceeded', {
        'retry-after': String(fault.resetInSeconds ?? 2),
      });
    }
    if (fault?.kind === 'unavailable') return refuse(503, 'internal_error', 'Service unavailable');
    if (publish.uploadedBytes >= publish.videoSize)
      return refuse(400, 'invalid_params', 'The upload is complete.');

    const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(req.headers['content-range'] ?? '');
    const index = publish.chunksReceived;
    const last = index === publish.totalChunkCount - 1;
    const expectFirst = publish.uploadedBytes;
    const expectLast = last ? publish.videoSize - 1 : expectFirst + publish.chunkSize - 1;
    const expected = `bytes ${expectFirst}-${expectLast}/${publish.videoSize}`;
    if (!range)
      return refuse(400, 'invalid_params', `Content-Range must read "bytes FIRST-LAST/TOTAL" (${expected})`);
    const [first, lastByte, total] = range.slice(1).map(Number);
    const length = lastByte - first + 1;
    if (length < MIN_CHUNK && lastByte !== total - 1) {
      return refuse(400, 'invalid_params', `a chunk other than the last must be at least ${MIN_CHUNK} bytes`);
    }
    if (first !== expectFirst || lastByte !== expectLast || total !== publish.videoSize) {
      return refuse(416, 'invalid_params', `chunks go in order: expected Content-Range ${expected}`);
    }
    if (Number(req.headers['content-length']) !== length) {
      return refuse(400, 'invalid_params', `Content-Length must be ${length}, the bytes in Content-Range`);
    }

    // Hash a copy as the chunk streams in: a chunk cut short leaves the upload as it was.
    const hash = this.#hashes.get(publish.publishId)!.copy();
    let received = 0;
    for await (const piece of req) {
      const buf = piece as Buffer;
      received += buf.length;
      if ((fault?.kind === 'cut-midway' || fault?.kind === 'stall-midway') && received >= length / 2) {
        if (fault.kind === 'stall-midway') await this.hold('upload', req, res, fault.holdMs ?? 30_000);
        req.socket.destroy();
        return;
      }
      hash.update(buf);
    }
    if (received !== length)
      return sendError(res, 400, 'invalid_params', `received ${received} of ${length} bytes`);
    this.#hashes.set(publish.publishId, hash);
    publish.uploadedBytes += length;
    publish.chunksReceived++;
    const complete = publish.uploadedBytes === publish.videoSize;
    if (complete) this.#process(publish);
    if (fault?.kind === 'reset-after-accept') {
      // TikTok has the chunk (the whole video, if it was the last); the client never hears so.
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'hold-after-accept' && !(await this.hold('upload', req, res, fault.holdMs ?? 5000)))
      return;
    res.writeHead(complete ? 201 : 206, { 'content-length': '0' });
    res.end();
  }

  /** Every byte is in: processing runs on its own, whether anyone polls or not. */
  #process(publish: FakePublish): void {
    publish.completedAt = Date.now();
    const failed = this.take('upload', ['processing-failed']);
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (failed) {
        publish.status = 'FAILED';
        publish.failReason = failed.failReason ?? 'file_format_check_failed';
        return;
      }
      publish.status = 'PUBLISH_COMPLETE';
      publish.postId = String(this.#nextPostId++);
      const info = publish.postInfo;
      this.posts.push({
        postId: publish.postId,
        publishId: publish.publishId,
        openId: publish.openId,
        caption: String(info.title ?? ''),
        privacyLevel: String(info.privacy_level),
        isAigc: info.is_aigc === true,
        postInfo: info,
        sha256: this.#hashes.get(publish.publishId)!.digest('hex'),
        size: publish.videoSize,
        createdAt: new Date().toISOString(),
      });
    }, this.#options.processingMs);
    timer.unref();
    this.#timers.add(timer);
  }

  #status(grant: Grant, body: Record<string, unknown>, res: ServerResponse): void {
    const publish = this.publishes.get(String(body.publish_id ?? ''));
    if (!publish || publish.openId !== grant.openId) {
      return sendError(res, 400, 'invalid_publish_id', 'The publish_id does not exist.');
    }
    let status: string = publish.status;
    if (status === 'PROCESSING_UPLOAD' && publish.completedAt !== undefined) {
      const half = publish.completedAt + this.#options.processingMs / 2;
      status = Date.now() < half ? 'PROCESSING_UPLOAD' : 'PROCESSING_DOWNLOAD';
    }
    sendData(res, {
      status,
      ...(publish.status === 'FAILED' ? { fail_reason: publish.failReason } : {}),
      uploaded_bytes: publish.uploadedBytes,
      ...(publish.postId ? { publicaly_available_post_id: [BigInt(publish.postId)] } : {}),
    });
  }

  #list(grant: Grant, query: URLSearchParams, body: Record<string, unknown>, res: ServerResponse): void {
    const fields = (query.get('fields') ?? '').split(',').filter(Boolean);
    if (fields.length === 0)
      return sendError(res, 400, 'invalid_params', 'The fields query parameter is required.');
    const max = Math.min(20, Math.max(1, Number(body.max_count ?? 10)));
    const cursor = body.cursor === undefined ? Infinity : Number(body.cursor);
    // video.list reads the account's public videos only.
    const all = this.posts
      .filter((p) => p.openId === grant.openId && p.privacyLevel === 'PUBLIC_TO_EVERYONE')
      .filter((p) => Date.parse(p.createdAt) < cursor)
      .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
    const page = all.slice(0, max);
    const videos = page.map((p) => {
      const video: Record<string, unknown> = {
        id: p.postId,
        title: p.caption.slice(0, 150),
        video_description: p.caption,
        create_time: Math.floor(Date.parse(p.createdAt) / 1000),
        share_url: `https://www.tiktok.com/@${this.#options.username}/video/${p.postId}?utm_source=fake`,
      };
      return Object.fromEntries(Object.entries(video).filter(([k]) => fields.includes(k)));
    });
    sendData(res, {
      videos,
      cursor: page.length ? Date.parse(page[page.length - 1].createdAt) : 0,
      has_more: all.length > page.length,
    });
  }
}

export function startFakeTikTok(options: FakeTikTokOptions = {}): Promise<FakeTikTok> {
  return FakeTikTok.start(options);
}

function route(method: string, path: string): Endpoint | undefined {
  if (method === 'GET' && path === '/v2/auth/authorize/') return 'authorize';
  if (method === 'POST' && path === '/v2/oauth/token/') return 'token';
  if (method === 'POST' && path === '/v2/post/publish/creator_info/query/') return 'creator-info';
  if (method === 'POST' && path === '/v2/post/publish/video/init/') return 'init';
  if (method === 'PUT' && path === '/upload/') return 'upload';
  if (method === 'POST' && path === '/v2/post/publish/status/fetch/') return 'status';
  if (method === 'POST' && path === '/v2/video/list/') return 'list';
  return undefined;
}

/** TikTok's media transfer rules (Media Transfer Guide); a message when `init` breaks one. */
export function chunkRuleBroken(
  size: number,
  chunk: number,
  count: number,
  minChunk = MIN_CHUNK,
): string | undefined {
  if (![size, chunk, count].every((n) => Number.isSafeInteger(n) && n > 0)) {
    return 'video_size, chunk_size and total_chunk_count must be positive integers';
  }
  if (count !== Math.floor(size / chunk)) {
    return `total_chunk_count must be floor(video_size / chunk_size) = ${Math.floor(size / chunk)}`;
  }
  if (count > 1000) return 'at most 1000 chunks';
  if (size < minChunk) {
    return chunk === size
      ? undefined
      : `a video under ${minChunk} bytes is uploaded whole: chunk_size = video_size`;
  }
  if (size > MAX_CHUNK && count < 2) return `a video over ${MAX_CHUNK} bytes is uploaded in several chunks`;
  if (chunk < minChunk || chunk > MAX_CHUNK)
    return `chunk_size must be between ${minChunk} and ${MAX_CHUNK} bytes`;
  if (size - (count - 1) * chunk > MAX_LAST_CHUNK)
    return `the last chunk may be at most ${MAX_LAST_CHUNK} bytes`;
  return undefined;
}

/** PKCE S256: RFC 7636 says base64url; TikTok's desktop guide shows hex. Either is accepted here. */
function verifierMatches(verifier: string, challenge: string): boolean {
  const digest = createHash('sha256').update(verifier).digest();
  return challenge === digest.toString('base64url') || challenge === digest.toString('hex');
}

function logId(): string {
  return `2026${randomBytes(10).toString('hex').toUpperCase()}`;
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  // int64 ids go out as JSON numbers, as TikTok sends them (too long for a JavaScript number).
  const text = JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? `#int64#${v}` : v)).replace(
    /"#int64#(\d+)"/g,
    '$1',
  );
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(text);
}

function sendData(res: ServerResponse, data: unknown): void {
  send(res, 200, { data, error: { code: 'ok', message: '', log_id: logId() } });
}

function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  send(res, status, { data: {}, error: { code, message, log_id: logId() } }, headers);
}
