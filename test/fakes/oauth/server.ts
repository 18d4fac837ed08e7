/**
 * A fake OAuth 2 authorization server, because the platforms' real ones cannot be reached here.
 * A real HTTP server on loopback that the real client code (StandardOAuth2Provider, the connect
 * listener, the token source) talks to:
 *
 *   GET  <authorize>   checks client_id, redirect_uri (loopback only), response_type=code and a
 *                      S256 code_challenge, then redirects to redirect_uri with code and state
 *                      (the test's "person" opens it with fetch); `deny` answers error=access_denied
 *   POST <token>       grant_type=authorization_code (one use per code, same redirect_uri, PKCE
 *                      verifier checked) and grant_type=refresh_token (rotating the refresh token
 *                      when `rotate`; a rotated-out or revoked one is invalid_grant); client
 *                      authentication by body or HTTP Basic
 *   GET  <account>     with a valid bearer access token: the account, shaped like YouTube's
 *                      channels.list (`items[0].id`, `items[0].snippet.title`)
 *
 * Paths default to Google's (`/o/oauth2/v2/auth`, `/token`, `/youtube/v3/channels`), so
 * YOUTUBE_OAUTH_BASE_URL can point at it. Faults: `fake.inject({ endpoint: 'token', kind:
 * 'unavailable' })` answers 503 to the next N token requests; `refreshDelayMs` holds refresh
 * answers back (to overlap refreshers); `revoke()` kills refresh tokens.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeOAuthOptions {
  clientId?: string;
  clientSecret?: string;
  paths?: { authorize?: string; token?: string; account?: string };
  /** Seconds in expires_in (default 3600). */
  expiresIn?: number;
  /** Seconds in refresh_token_expires_in; undefined: not sent. */
  refreshExpiresIn?: number;
  /** Every refresh answers a new refresh token and invalidates the old one (TikTok). */
  rotate?: boolean;
  refreshDelayMs?: number;
  account?: { id: string; name: string };
}

export const FAKE_OAUTH_DEFAULTS = {
  clientId: 'fake-client-id',
  clientSecret: 'fake-client-secret',
  account: { id: 'UC-fake-channel', name: 'Reelcast Demo Channel' },
};

export interface IssuedTokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  refresh_token_expires_in?: number;
  scope: string;
  token_type: 'Bearer';
}

interface PendingCode {
  redirectUri: string;
  challenge: string;
  scope: string;
  used: boolean;
}

export class FakeOAuth {
  /** Counts of answered requests per kind. */
  readonly counts = { authorize: 0, code: 0, refresh: 0, refused: 0, account: 0 };
  readonly options: Required<Omit<FakeOAuthOptions, 'refreshExpiresIn' | 'paths'>> & {
    refreshExpiresIn?: number;
    paths: { authorize: string; token: string; account: string };
  };
  /** Answer the next authorize with error=access_denied. */
  deny = false;
  readonly #codes = new Map<string, PendingCode>();
  readonly #refreshTokens = new Map<string, { scope: string; valid: boolean }>();
  readonly #accessTokens = new Set<string>();
  #faults: Array<{ endpoint: 'token' | 'authorize'; kind: 'unavailable'; left: number }> = [];
  readonly #server: Server;

  private constructor(options: FakeOAuthOptions) {
    this.options = {
      ...FAKE_OAUTH_DEFAULTS,
      expiresIn: 3600,
      rotate: false,
      refreshDelayMs: 0,
      ...options,
      paths: {
        authorize: '/o/oauth2/v2/auth',
        token: '/token',
        account: '/youtube/v3/channels',
        ...options.paths,
      },
    };
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((err: Error) =>
        json(res, 500, { error: 'server_error', message: err.message }),
      );
    });
  }

  static async start(options: FakeOAuthOptions = {}): Promise<FakeOAuth> {
    const fake = new FakeOAuth(options);
    await new Promise<void>((resolve, reject) => {
      fake.#server.once('error', reject);
      fake.#server.listen(0, '127.0.0.1', () => resolve());
    });
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  get authorizeUrl(): string {
    return this.url + this.options.paths.authorize;
  }

  get tokenUrl(): string {
    return this.url + this.options.paths.token;
  }

  /** Tokens as if a person had connected just now, for tests that start from a connected account. */
  issue(scope = 'video.upload'): IssuedTokens {
    const refresh = token('rt');
    this.#refreshTokens.set(refresh, { scope, valid: true });
    return this.#answer(refresh, scope);
  }

  /** Whether the platform would accept this access token now. */
  accepts(accessToken: string): boolean {
    return this.#accessTokens.has(accessToken);
  }

  /** Revokes one refresh token, or all of them (the person removed the app's access). */
  revoke(refreshToken?: string): void {
    for (const [t, r] of this.#refreshTokens) if (!refreshToken || t === refreshToken) r.valid = false;
  }

  inject(fault: { endpoint: 'token' | 'authorize'; kind: 'unavailable'; times?: number }): void {
    this.#faults.push({ ...fault, left: fault.times ?? 1 });
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #answer(refreshToken: string, scope: string): IssuedTokens {
    const access = token('at');
    this.#accessTokens.add(access);
    return {
      access_token: access,
      refresh_token: refreshToken,
      expires_in: this.options.expiresIn,
      ...(this.options.refreshExpiresIn !== undefined
        ? { refresh_token_expires_in: this.options.refreshExpiresIn }
        : {}),
      scope,
      token_type: 'Bearer',
    };
  }

  #fault(endpoint: 'token' | 'authorize'): boolean {
    const f = this.#faults.find((x) => x.endpoint === endpoint && x.left > 0);
    if (f) f.left--;
    return !!f;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const { paths } = this.options;
    if (req.method === 'GET' && url.pathname === paths.authorize) return this.#authorize(url, res);
    if (req.method === 'POST' && url.pathname === paths.token) return this.#token(req, res);
    if (req.method === 'GET' && url.pathname === paths.account) {
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!bearer || !this.#accessTokens.has(bearer)) return json(res, 401, { error: 'invalid_token' });
      this.counts.account++;
      const { id, name } = this.options.account;
      return json(res, 200, { items: [{ id, snippet: { title: name } }] });
    }
    json(res, 404, { error: 'not_found' });
  }

  #authorize(url: URL, res: ServerResponse): void {
    if (this.#fault('authorize')) return json(res, 503, { error: 'temporarily_unavailable' });
    const q = url.searchParams;
    const redirect = q.get('redirect_uri') ?? '';
    const bad = (why: string) => json(res, 400, { error: 'invalid_request', error_description: why });
    if (q.get('client_id') !== this.options.clientId) return bad('unknown client_id');
    if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(redirect)) return bad('redirect_uri must be a loopback URL');
    if (q.get('response_type') !== 'code') return bad('response_type must be code');
    if (q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge'))
      return bad('a S256 code_challenge is required');
    const target = new URL(redirect);
    target.searchParams.set('state', q.get('state') ?? '');
    if (this.deny) {
      this.deny = false;
      target.searchParams.set('error', 'access_denied');
      target.searchParams.set('error_description', 'The person declined');
    } else {
      const code = token('code');
      this.#codes.set(code, {
        redirectUri: redirect,
        challenge: q.get('code_challenge')!,
        scope: q.get('scope') ?? '',
        used: false,
      });
      target.searchParams.set('code', code);
    }
    this.counts.authorize++;
    res.writeHead(302, { location: target.toString() });
    res.end();
  }

  async #token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    if (this.#fault('token')) return json(res, 503, { error: 'temporarily_unavailable' });
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const [id, secret] = basic
      ? Buffer.from(basic, 'base64').toString('utf8').split(':').map(decodeURIComponent)
      : [form.get('client_id'), form.get('client_secret')];
    if (id !== this.options.clientId || secret !== this.options.clientSecret)
      return json(res, 401, { error: 'invalid_client' });
    const refuse = (description: string) => {
      this.counts.refused++;
      json(res, 400, { error: 'invalid_grant', error_description: description });
    };

    if (form.get('grant_type') === 'authorization_code') {
      const pending = this.#codes.get(form.get('code') ?? '');
      if (!pending || pending.used) return refuse('unknown or used code');
      pending.used = true;
      if (pending.redirectUri !== form.get('redirect_uri')) return refuse('redirect_uri differs');
      const verifier = form.get('code_verifier') ?? '';
      if (createHash('sha256').update(verifier).digest('base64url') !== pending.challenge)
        return refuse('PKCE verification failed');
      this.counts.code++;
      const refresh = token('rt');
      this.#refreshTokens.set(refresh, { scope: pending.scope, valid: true });
      return json(res, 200, this.#answer(refresh, pending.scope));
    }

    if (form.get('grant_type') === 'refresh_token') {
      const presented = form.get('refresh_token') ?? '';
      const known = this.#refreshTokens.get(presented);
      if (!known?.valid) return refuse('refresh token revoked, expired or already rotated');
      this.counts.refresh++;
      if (this.options.refreshDelayMs) await new Promise((r) => setTimeout(r, this.options.refreshDelayMs));
      if (!this.options.rotate) {
        const { refresh_token: _same, ...rest } = this.#answer(presented, known.scope);
        return json(res, 200, rest); // Google: no refresh_token in a refresh answer
      }
      known.valid = false;
      const next = token('rt');
      this.#refreshTokens.set(next, { scope: known.scope, valid: true });
      return json(res, 200, this.#answer(next, known.scope));
    }
    json(res, 400, { error: 'unsupported_grant_type' });
  }
}

export function startFakeOAuth(options: FakeOAuthOptions = {}): Promise<FakeOAuth> {
  return FakeOAuth.start(options);
}

function token(kind: string): string {
  return `${kind}-${randomBytes(18).toString('base64url')}`;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
