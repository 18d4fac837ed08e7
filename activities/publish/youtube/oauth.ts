import { CodeChallengeMethod, OAuth2Client } from 'google-auth-library';
import {
  reconnectCommand,
  type AccountTokens,
  type AuthorizeRequest,
  type OAuthProvider,
  type TokenGrant,
} from '../accounts';
import { ChannelAuthError, ChannelUnavailableError } from '../errors';
import { YOUTUBE_API_BASE_URL } from './channel';

/** Upload, and read the channel (its uploads playlist, for reconcile; its name, for `channels list`). */
export const YOUTUBE_SCOPES = [
  'https://www.googleapis.com/auth/youtube.upload',
  'https://www.googleapis.com/auth/youtube.readonly',
];

export interface YouTubeOAuthOptions {
  clientId: string;
  clientSecret: string;
  /**
   * Replaces Google's two OAuth hosts: consent at `<base>/o/oauth2/v2/auth` (default
   * https://accounts.google.com/o/oauth2/v2/auth) and tokens at `<base>/token` (default
   * https://oauth2.googleapis.com/token). For the fake server in tests.
   */
  oauthBaseUrl?: string;
  /** For the channel lookup after connecting (default https://www.googleapis.com). */
  apiBaseUrl?: string;
}

/** The channel name failures are filed under, so `reelcast replay --channel shorts` matches. */
const CHANNEL = 'shorts';

/**
 * Google OAuth 2 for YouTube through google-auth-library's OAuth2Client: offline access (a
 * refresh token), consent prompt (so Google sends the refresh token again on a reconnect),
 * PKCE S256. Google does not rotate refresh tokens: a refresh answers none, and the stored one is
 * kept. Each call uses its own client, so no token stays in memory here between calls.
 */
export class YouTubeOAuth implements OAuthProvider {
  readonly platform = 'youtube' as const;
  readonly #options: YouTubeOAuthOptions;

  constructor(options: YouTubeOAuthOptions) {
    this.#options = { ...options, oauthBaseUrl: options.oauthBaseUrl?.replace(/\/+$/, '') };
  }

  authorizeUrl(request: AuthorizeRequest): string {
    return this.#client().generateAuthUrl({
      access_type: 'offline',
      prompt: 'consent',
      include_granted_scopes: true,
      scope: request.scopes.length ? request.scopes : YOUTUBE_SCOPES,
      state: request.state,
      redirect_uri: request.redirectUri,
      code_challenge: request.codeChallenge,
      code_challenge_method: CodeChallengeMethod.S256,
    });
  }

  async exchangeCode(request: {
    code: string;
    redirectUri: string;
    codeVerifier: string;
  }): Promise<TokenGrant> {
    let tokens;
    try {
      ({ tokens } = await this.#client().getToken({
        code: request.code,
        codeVerifier: request.codeVerifier,
        redirect_uri: request.redirectUri,
      }));
    } catch (err) {
      throw this.#classify(
        err,
        'exchange the authorization code',
        'run `reelcast channels connect youtube` again',
      );
    }
    if (!tokens.access_token) throw new Error('Google answered the code exchange without an access token');
    const grant = toGrant(tokens);
    return { ...grant, ...(await this.#channel(tokens.access_token)) };
  }

  async refresh(account: AccountTokens): Promise<TokenGrant> {
    if (!account.refreshToken) {
      throw new ChannelAuthError(
        CHANNEL,
        'no refresh token is stored for the account',
        `run \`${reconnectCommand('youtube', account.account)}\``,
      );
    }
    const client = this.#client();
    client.setCredentials({ refresh_token: account.refreshToken });
    try {
      await client.getAccessToken();
    } catch (err) {
      throw this.#classify(
        err,
        'refresh the access token',
        `run \`${reconnectCommand('youtube', account.account)}\``,
      );
    }
    return toGrant(client.credentials);
  }

  #client(): OAuth2Client {
    const base = this.#options.oauthBaseUrl;
    return new OAuth2Client({
      clientId: this.#options.clientId,
      clientSecret: this.#options.clientSecret,
      // Node's own fetch: gaxios would otherwise import node-fetch (an ES module) on first use.
      transporterOptions: { fetchImplementation: fetch },
      ...(base
        ? { endpoints: { oauth2AuthBaseUrl: `${base}/o/oauth2/v2/auth`, oauth2TokenUrl: `${base}/token` } }
        : {}),
    });
  }

  /** The connected channel's id and title, for `reelcast channels list`. */
  async #channel(accessToken: string): Promise<Pick<TokenGrant, 'remoteAccountId' | 'remoteAccountName'>> {
    const base = (this.#options.apiBaseUrl ?? YOUTUBE_API_BASE_URL).replace(/\/+$/, '');
    const res = await fetch(`${base}/youtube/v3/channels?part=snippet&mine=true`, {
      headers: { authorization: `Bearer ${accessToken}` },
      signal: AbortSignal.timeout(30_000),
    });
    if (!res.ok) {
      throw new ChannelUnavailableError(CHANNEL, 'read the connected channel', `HTTP ${res.status}`, true);
    }
    const body = (await res.json()) as { items?: Array<{ id: string; snippet?: { title?: string } }> };
    const channel = body.items?.[0];
    if (!channel) {
      throw new ChannelAuthError(
        CHANNEL,
        'the Google account has no YouTube channel',
        'create a channel for it on YouTube, then connect again',
      );
    }
    return { remoteAccountId: channel.id, remoteAccountName: channel.snippet?.title };
  }

  /**
   * invalid_grant (revoked, expired, or a Testing-status app's 7-day refresh token) and
   * invalid_client need a person; anything else may pass. Nothing from the request (which holds
   * the refresh token and client secret) goes into the error.
   */
  #classify(err: unknown, step: string, fix: string): Error {
    const response = (err as { response?: { status?: number; data?: unknown } }).response;
    const data = (response?.data ?? {}) as { error?: string; error_description?: string };
    if (data.error === 'invalid_grant') {
      return new ChannelAuthError(
        CHANNEL,
        `${step}: Google refused the grant (${data.error_description ?? 'invalid_grant'})`,
        fix,
      );
    }
    if (data.error === 'invalid_client' || data.error === 'unauthorized_client') {
      return new ChannelAuthError(
        CHANNEL,
        `${step}: Google refused the app's client id or secret (${data.error})`,
        'check YOUTUBE_CLIENT_ID and YOUTUBE_CLIENT_SECRET against the Google Cloud console',
      );
    }
    const detail = response?.status
      ? `HTTP ${response.status}${data.error ? ` ${data.error}` : ''}`
      : (err as Error).message;
    return new ChannelUnavailableError(CHANNEL, step, detail, true);
  }
}

function toGrant(tokens: {
  access_token?: string | null;
  refresh_token?: string | null;
  expiry_date?: number | null;
  scope?: string | null;
}): TokenGrant {
  return {
    accessToken: tokens.access_token ?? '',
    ...(tokens.refresh_token ? { refreshToken: tokens.refresh_token } : {}),
    ...(tokens.expiry_date
      ? { expiresInSeconds: Math.max(0, Math.round((tokens.expiry_date - Date.now()) / 1000)) }
      : {}),
    ...(tokens.scope ? { scopes: tokens.scope.split(' ').filter(Boolean) } : {}),
  };
}
