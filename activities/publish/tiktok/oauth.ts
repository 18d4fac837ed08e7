import {
  reconnectCommand,
  type AccountTokens,
  type AuthorizeRequest,
  type OAuthProvider,
  type TokenGrant,
} from '../accounts';
import { ChannelAuthError, ChannelUnavailableError } from '../errors';
import { TIKTOK_API_BASE_URL } from './api';

/** Where a person grants access (Login Kit); the token endpoint is on the API host. */
export const TIKTOK_AUTH_BASE_URL = 'https://www.tiktok.com';

/** What Reelcast asks a TikTok account for: post videos, and list them to find an earlier post. */
export const TIKTOK_SCOPES = ['user.info.basic', 'video.publish', 'video.list'];

export interface TikTokOAuthOptions {
  clientKey: string;
  clientSecret: string;
  /** Replaces https://open.tiktokapis.com (the token endpoint). */
  apiBaseUrl?: string;
  /** Replaces https://www.tiktok.com (the authorize page). */
  authBaseUrl?: string;
  requestTimeoutMs?: number;
}

interface TokenAnswer {
  access_token?: string;
  expires_in?: number;
  open_id?: string;
  refresh_token?: string;
  refresh_expires_in?: number;
  scope?: string;
  /** A string from the token endpoint; an object when a gateway answered in the API's envelope. */
  error?: string | { code?: string; message?: string };
  error_description?: string;
}

/**
 * TikTok Login Kit (OAuth 2 with PKCE): the authorize URL, the code exchange and the refresh.
 * TikTok rotates refresh tokens: every refresh returns a new one and the old one stops working,
 * so the caller must store the grant's refreshToken each time.
 */
export class TikTokOAuth implements OAuthProvider {
  readonly platform = 'tiktok' as const;
  readonly #options: Required<TikTokOAuthOptions>;

  constructor(options: TikTokOAuthOptions) {
    this.#options = {
      requestTimeoutMs: 30_000,
      ...options,
      apiBaseUrl: (options.apiBaseUrl ?? TIKTOK_API_BASE_URL).replace(/\/+$/, ''),
      authBaseUrl: (options.authBaseUrl ?? TIKTOK_AUTH_BASE_URL).replace(/\/+$/, ''),
    };
  }

  authorizeUrl(request: AuthorizeRequest): string {
    const url = new URL(`${this.#options.authBaseUrl}/v2/auth/authorize/`);
    url.search = new URLSearchParams({
      client_key: this.#options.clientKey,
      response_type: 'code',
      scope: request.scopes.join(','),
      redirect_uri: request.redirectUri,
      state: request.state,
      code_challenge: request.codeChallenge,
      code_challenge_method: 'S256',
    }).toString();
    return url.toString();
  }

  exchangeCode(request: { code: string; redirectUri: string; codeVerifier: string }): Promise<TokenGrant> {
    return this.#token(
      {
        grant_type: 'authorization_code',
        code: request.code,
        redirect_uri: request.redirectUri,
        code_verifier: request.codeVerifier,
      },
      'TikTok refused the authorization code (it is used once and expires within minutes)',
      'run the connect command again',
    );
  }

  refresh(tokens: AccountTokens): Promise<TokenGrant> {
    const fix = reconnectCommand('tiktok', tokens.account);
    if (!tokens.refreshToken) {
      return Promise.reject(new ChannelAuthError('tiktok', 'no refresh token is stored for it', fix));
    }
    return this.#token(
      { grant_type: 'refresh_token', refresh_token: tokens.refreshToken },
      'TikTok no longer accepts its refresh token: it was revoked, replaced or has expired',
      fix,
    );
  }

  async #token(params: Record<string, string>, refused: string, fix: string): Promise<TokenGrant> {
    const step = params.grant_type === 'refresh_token' ? 'refresh the access token' : 'connect the account';
    let res: Response;
    let answer: TokenAnswer = {};
    try {
      res = await fetch(`${this.#options.apiBaseUrl}/v2/oauth/token/`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'cache-control': 'no-cache' },
        body: new URLSearchParams({
          client_key: this.#options.clientKey,
          client_secret: this.#options.clientSecret,
          ...params,
        }),
        signal: AbortSignal.timeout(this.#options.requestTimeoutMs),
      });
      answer = (await res.json().catch(() => ({}))) as TokenAnswer;
    } catch (err) {
      const cause = (err as { cause?: NodeJS.ErrnoException }).cause;
      throw new ChannelUnavailableError('tiktok', step, cause?.code ?? (err as Error).message, true);
    }
    // TikTok answers some refusals with HTTP 200 and an `error` field: read the body, not the status.
    const error = typeof answer.error === 'string' ? answer.error : answer.error?.code;
    if (error === 'invalid_grant') throw new ChannelAuthError('tiktok', refused, fix);
    if (error === 'invalid_client' || error === 'unauthorized_client') {
      throw new ChannelAuthError(
        'tiktok',
        'TikTok refused the app’s client key or secret',
        'check TIKTOK_CLIENT_KEY and TIKTOK_CLIENT_SECRET against the TikTok developer portal',
      );
    }
    if ((error && error !== 'ok') || !res.ok || !answer.access_token) {
      const detail = error
        ? `HTTP ${res.status} ${error}${answer.error_description ? `: ${answer.error_description}` : ''}`
        : `HTTP ${res.status}`;
      if (res.status >= 500 || res.status === 429)
        throw new ChannelUnavailableError('tiktok', step, detail, true);
      throw new ChannelAuthError('tiktok', `${step}: ${detail}`, fix);
    }
    return {
      accessToken: answer.access_token,
      refreshToken: answer.refresh_token,
      expiresInSeconds: answer.expires_in,
      refreshExpiresInSeconds: answer.refresh_expires_in,
      scopes: answer.scope ? answer.scope.split(/[,\s]+/).filter(Boolean) : undefined,
      remoteAccountId: answer.open_id,
    };
  }
}
