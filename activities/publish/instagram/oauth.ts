import {
  reconnectCommand,
  type AccountTokens,
  type AuthorizeRequest,
  type OAuthProvider,
  type TokenGrant,
} from '../accounts';
import { ChannelAuthError } from '../errors';
import { INSTAGRAM_DEFAULTS } from './channel';
import { GraphError, GraphNoAnswerError, requestJson, withTimeout } from './graph';

/**
 * Business Login for Instagram (Instagram API with Instagram Login):
 *
 *   authorize   https://www.instagram.com/oauth/authorize?client_id&redirect_uri&response_type=code&scope&state
 *   code        POST https://api.instagram.com/oauth/access_token  → short-lived token (1 h) and user id
 *   long-lived  GET  https://graph.instagram.com/access_token?grant_type=ig_exchange_token  → 60 days
 *   refresh     GET  https://graph.instagram.com/refresh_access_token?grant_type=ig_refresh_token
 *
 * Instagram issues no refresh token: refresh() trades the long-lived access token itself for a
 * new one, which Instagram allows once the token is at least 24 h old and only while it is still
 * valid. An expired or revoked token cannot be refreshed: a person reconnects the account.
 */
export interface InstagramOAuthOptions {
  appId: string;
  appSecret: string;
  /** Default https://www.instagram.com (the page a person opens). */
  authorizeBaseUrl?: string;
  /** Default https://api.instagram.com (code → short-lived token). */
  apiBaseUrl?: string;
  /** Default https://graph.instagram.com (long-lived token, refresh, the account's name). */
  graphBaseUrl?: string;
  apiVersion?: string;
  requestTimeoutMs?: number;
}

export const INSTAGRAM_SCOPES = ['instagram_business_basic', 'instagram_business_content_publish'];

/** The channel Instagram accounts publish through; auth failures name it for `reelcast replay`. */
const CHANNEL = 'reels';

interface TokenAnswer {
  access_token?: string;
  expires_in?: number;
  user_id?: string | number;
  permissions?: string | string[];
}

export class InstagramOAuth implements OAuthProvider {
  readonly platform = 'instagram' as const;
  readonly #o: Required<InstagramOAuthOptions>;

  constructor(options: InstagramOAuthOptions) {
    this.#o = {
      authorizeBaseUrl: 'https://www.instagram.com',
      apiBaseUrl: 'https://api.instagram.com',
      graphBaseUrl: INSTAGRAM_DEFAULTS.graphBaseUrl,
      apiVersion: INSTAGRAM_DEFAULTS.apiVersion,
      requestTimeoutMs: 30_000,
      ...options,
    };
  }

  /** Instagram documents no PKCE parameters for this flow; `state` protects the redirect. */
  authorizeUrl(request: AuthorizeRequest): string {
    const url = new URL('/oauth/authorize', this.#o.authorizeBaseUrl);
    url.searchParams.set('client_id', this.#o.appId);
    url.searchParams.set('redirect_uri', request.redirectUri);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('scope', (request.scopes.length ? request.scopes : INSTAGRAM_SCOPES).join(','));
    url.searchParams.set('state', request.state);
    return url.href;
  }

  async exchangeCode(request: {
    code: string;
    redirectUri: string;
    codeVerifier: string;
  }): Promise<TokenGrant> {
    const short = await this.#call<TokenAnswer | { data?: TokenAnswer[] }>(
      'exchange the authorization code',
      new URL('/oauth/access_token', this.#o.apiBaseUrl),
      {
        method: 'POST',
        body: new URLSearchParams({
          client_id: this.#o.appId,
          client_secret: this.#o.appSecret,
          grant_type: 'authorization_code',
          redirect_uri: request.redirectUri,
          // Instagram appends `#_` to the code in the redirect; it is not part of the code.
          code: request.code.replace(/#_$/, ''),
        }),
      },
    );
    const first = 'data' in short && Array.isArray(short.data) ? short.data[0] : (short as TokenAnswer);
    if (!first?.access_token) throw new Error('Instagram answered the code exchange without an access token');
    const long = await this.#graphGet('get a long-lived token', '/access_token', {
      grant_type: 'ig_exchange_token',
      client_secret: this.#o.appSecret,
      access_token: first.access_token,
    });
    const me = await this.#graphGet<{ user_id?: string | number; username?: string }>(
      'read the connected account',
      `/${this.#o.apiVersion}/me`,
      { fields: 'user_id,username', access_token: long.access_token! },
    );
    const permissions = first.permissions;
    return {
      accessToken: long.access_token!,
      expiresInSeconds: long.expires_in,
      scopes: Array.isArray(permissions)
        ? permissions
        : (permissions?.split(',').filter(Boolean) ?? INSTAGRAM_SCOPES),
      remoteAccountId: String(me.user_id ?? first.user_id ?? ''),
      remoteAccountName: me.username,
    };
  }

  async refresh(tokens: AccountTokens): Promise<TokenGrant> {
    const expired = tokens.expiresAt !== undefined && Date.parse(tokens.expiresAt) <= Date.now();
    if (expired) {
      throw new ChannelAuthError(
        CHANNEL,
        `the Instagram access token of ${tokens.account} expired on ${tokens.expiresAt} and Instagram cannot renew an expired token`,
        reconnectCommand('instagram', tokens.account),
      );
    }
    try {
      const answer = await this.#graphGet('refresh the access token', '/refresh_access_token', {
        grant_type: 'ig_refresh_token',
        access_token: tokens.accessToken,
      });
      return { accessToken: answer.access_token!, expiresInSeconds: answer.expires_in };
    } catch (err) {
      if (err instanceof GraphError && err.tokenRejected) {
        throw new ChannelAuthError(
          CHANNEL,
          `Instagram refused to renew the access token of ${tokens.account}: ${err.detail}`,
          reconnectCommand('instagram', tokens.account),
        );
      }
      throw err;
    }
  }

  async #graphGet<T = TokenAnswer>(step: string, path: string, params: Record<string, string>): Promise<T> {
    // These endpoints take the token as a query parameter; the URL is never logged or put in an error.
    const url = new URL(path, this.#o.graphBaseUrl);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const answer = await this.#call<T>(step, url, { method: 'GET' });
    if (!path.endsWith('/me') && !(answer as TokenAnswer).access_token) {
      throw new Error(`Instagram answered "${step}" without an access token`);
    }
    return answer;
  }

  async #call<T>(step: string, url: URL, init: RequestInit): Promise<T> {
    try {
      return await requestJson<T>(step, url, {
        ...init,
        signal: withTimeout(undefined, this.#o.requestTimeoutMs),
      });
    } catch (err) {
      // Never pass on an error that could carry the request (and with it a token or the secret).
      if (err instanceof GraphError || err instanceof GraphNoAnswerError) throw err;
      throw new Error(`${step}: ${(err as Error).name}`);
    }
  }
}
