import { createHash, randomBytes } from 'node:crypto';
import {
  reconnectCommand,
  type AccountTokens,
  type AuthorizeRequest,
  type OAuthProvider,
  type Platform,
  type TokenGrant,
} from '../accounts';
import {
  ChannelAuthError,
  ChannelNotConfiguredError,
  ChannelRateLimitedError,
  ChannelUnavailableError,
} from '../errors';

/**
 * OAuth 2 as the standards write it: the authorization code grant with PKCE (RFC 6749, RFC 7636,
 * RFC 8252 for the loopback redirect) and the refresh token grant. Google (YouTube) speaks it as
 * is; platforms with their own dialect (TikTok's client_key, Instagram's long-lived exchange)
 * implement OAuthProvider in their own folder and may reuse the helpers here.
 */
export interface StandardOAuth2Options {
  platform: Platform;
  authorizeUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret?: string;
  /** How the client authenticates at the token endpoint (RFC 6749 2.3.1). Default: body. */
  clientAuth?: 'basic' | 'body';
  defaultScopes?: readonly string[];
  /** Extra authorize parameters, e.g. Google's access_type=offline and prompt=consent. */
  authorizeParams?: Record<string, string>;
  /** The remote account's id and name, read with a fresh access token after connecting. */
  describeAccount?: (accessToken: string) => Promise<{ id?: string; name?: string }>;
  requestTimeoutMs?: number;
}

export class StandardOAuth2Provider implements OAuthProvider {
  readonly platform: Platform;
  readonly defaultScopes?: readonly string[];
  readonly #o: StandardOAuth2Options;

  constructor(options: StandardOAuth2Options) {
    this.platform = options.platform;
    this.defaultScopes = options.defaultScopes;
    this.#o = options;
  }

  authorizeUrl(request: AuthorizeRequest): string {
    const url = new URL(this.#o.authorizeUrl);
    const params = {
      response_type: 'code',
      client_id: this.#o.clientId,
      redirect_uri: request.redirectUri,
      scope: request.scopes.join(' '),
      state: request.state,
      code_challenge: request.codeChallenge,
      code_challenge_method: 'S256',
      ...this.#o.authorizeParams,
    };
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return url.toString();
  }

  async exchangeCode(request: {
    code: string;
    redirectUri: string;
    codeVerifier: string;
  }): Promise<TokenGrant> {
    const grant = await this.#token(
      'exchange the authorization code',
      {
        grant_type: 'authorization_code',
        code: request.code,
        redirect_uri: request.redirectUri,
        code_verifier: request.codeVerifier,
      },
      `reelcast channels connect ${this.platform} --account <name>`,
    );
    if (!this.#o.describeAccount) return grant;
    const remote = await this.#o.describeAccount(grant.accessToken);
    return {
      ...grant,
      remoteAccountId: grant.remoteAccountId ?? remote.id,
      remoteAccountName: grant.remoteAccountName ?? remote.name,
    };
  }

  async refresh(tokens: AccountTokens): Promise<TokenGrant> {
    const fix = reconnectCommand(this.platform, tokens.account);
    if (!tokens.refreshToken)
      throw new ChannelAuthError(this.platform, 'no refresh token is stored for the account', fix);
    return this.#token(
      'refresh the access token',
      { grant_type: 'refresh_token', refresh_token: tokens.refreshToken },
      fix,
    );
  }

  async #token(step: string, params: Record<string, string>, fix: string): Promise<TokenGrant> {
    const body = new URLSearchParams(params);
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (this.#o.clientAuth === 'basic' && this.#o.clientSecret !== undefined) {
      const enc = (s: string) => encodeURIComponent(s);
      headers.authorization = `Basic ${Buffer.from(`${enc(this.#o.clientId)}:${enc(this.#o.clientSecret)}`).toString('base64')}`;
    } else {
      body.set('client_id', this.#o.clientId);
      if (this.#o.clientSecret !== undefined) body.set('client_secret', this.#o.clientSecret);
    }
    const secrets = Object.values(params).concat(this.#o.clientSecret ?? []);
    let res: Response;
    try {
      res = await fetch(this.#o.tokenUrl, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(this.#o.requestTimeoutMs ?? 30_000),
      });
    } catch (err) {
      const cause = (err as { cause?: NodeJS.ErrnoException }).cause;
      const detail = cause?.code ?? (err as Error).name;
      throw new ChannelUnavailableError(this.platform, step, detail, true);
    }
    const text = await res.text();
    const json = parseJson(text);
    if (res.ok && typeof json?.access_token === 'string') return grantFrom(json);
    throw tokenEndpointError(this.platform, step, res, json, fix, secrets);
  }
}

/** The fields of an RFC 6749 token response (5.1), plus the refresh expiry some platforms add. */
export function grantFrom(json: Record<string, unknown>): TokenGrant {
  const num = (v: unknown) =>
    typeof v === 'number' ? v : typeof v === 'string' && v ? Number(v) : undefined;
  const scope = typeof json.scope === 'string' ? json.scope : undefined;
  return {
    accessToken: String(json.access_token),
    refreshToken:
      typeof json.refresh_token === 'string' && json.refresh_token ? json.refresh_token : undefined,
    expiresInSeconds: num(json.expires_in),
    refreshExpiresInSeconds: num(json.refresh_token_expires_in ?? json.refresh_expires_in),
    scopes: scope?.split(/[\s,]+/).filter(Boolean),
  };
}

/** Maps a token endpoint's error answer (RFC 6749 5.2) onto the publish errors. */
export function tokenEndpointError(
  platform: Platform,
  step: string,
  res: Response,
  json: Record<string, unknown> | undefined,
  fix: string,
  secrets: string[],
): Error {
  const code = typeof json?.error === 'string' ? json.error : undefined;
  const description = typeof json?.error_description === 'string' ? json.error_description : undefined;
  const detail = redact(
    `${step}: HTTP ${res.status}${code ? ` ${code}` : ''}${description ? `: ${description}` : ''}`,
    secrets,
  );
  if (res.status === 429) {
    const after = Number(res.headers.get('retry-after'));
    const waitMs = Number.isFinite(after) && after > 0 ? after * 1000 : 60_000;
    return new ChannelRateLimitedError(platform, waitMs, new Date(Date.now() + waitMs));
  }
  if (res.status >= 500 || res.status === 408 || (res.ok && !json)) {
    return new ChannelUnavailableError(platform, step, detail, true);
  }
  if (code === 'invalid_client' || code === 'unauthorized_client') {
    return new ChannelNotConfiguredError(
      platform,
      `the OAuth client id and secret of ${platform}'s app (the token endpoint refused them: ${detail})`,
    );
  }
  // invalid_grant (revoked, expired or reused) and anything else a retry cannot change.
  return new ChannelAuthError(platform, detail, fix);
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A platform that echoes what it was sent must not get a token into an error message. */
export function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 8) out = out.split(s).join('[redacted]');
  return out;
}

/** PKCE (RFC 7636): a random verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function randomState(): string {
  return randomBytes(16).toString('base64url');
}
