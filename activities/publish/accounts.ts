/**
 * Accounts and their tokens: the contract between the token store (one per deployment, in
 * storage), the `reelcast channels` commands and each platform's adapter.
 *
 * A platform has named accounts (`us-brand`, `jp-main`); a calendar or campaign says which account
 * each channel posts to; `default` when it says nothing. Tokens never enter logs, Temporal payloads
 * or error messages: adapters ask a TokenSource for the access token at the moment of the call.
 */

export const PLATFORMS = ['x', 'tiktok', 'youtube', 'instagram'] as const;
export type Platform = (typeof PLATFORMS)[number];

export const DEFAULT_ACCOUNT = 'default';

/** Account names appear in storage keys, commands and failure reasons: keep them plain. */
const ACCOUNT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export class InvalidAccountNameError extends Error {
  override readonly name = 'InvalidAccountNameError';
  constructor(readonly account: string) {
    super(
      `account name ${JSON.stringify(account)} is not allowed: use 1-64 letters, digits, - and _, starting with a letter or digit (e.g. us-main)`,
    );
  }
}

export function checkAccountName(account: string): string {
  if (!ACCOUNT_NAME.test(account)) throw new InvalidAccountNameError(account);
  return account;
}

export function isPlatform(name: string): name is Platform {
  return (PLATFORMS as readonly string[]).includes(name);
}

/** What a token endpoint answered, before it is stored. */
export interface TokenGrant {
  accessToken: string;
  /** Absent: keep the one stored (platforms that do not rotate). TikTok rotates: keep the newest. */
  refreshToken?: string;
  /** Trust the platform's `expires_in`, never a constant. */
  expiresInSeconds?: number;
  refreshExpiresInSeconds?: number;
  scopes?: string[];
  /** The platform's id and display name of the connected account (open_id, channel id, IG user id). */
  remoteAccountId?: string;
  remoteAccountName?: string;
}

/** One connected account as the token store keeps it (encrypted at rest when a key is set). */
export interface AccountTokens {
  platform: Platform;
  account: string;
  accessToken: string;
  refreshToken?: string;
  /** OAuth 1.0a token secret (X), beside accessToken. */
  accessSecret?: string;
  /** ISO instants. */
  expiresAt?: string;
  refreshExpiresAt?: string;
  scopes: string[];
  remoteAccountId?: string;
  remoteAccountName?: string;
  connectedAt: string;
  refreshedAt?: string;
}

/** What the sign-in URL needs: Reelcast's loopback redirect, the state, the scopes, the PKCE challenge. */
export interface AuthorizeRequest {
  redirectUri: string;
  state: string;
  scopes: string[];
  codeChallenge: string;
}

/**
 * A platform's OAuth 2 endpoints, implemented in the platform's folder and used by the token
 * store (refresh) and `reelcast channels connect` (authorize, exchange).
 */
export interface OAuthProvider {
  readonly platform: Platform;
  /** The scopes `reelcast channels connect` asks for unless told others. */
  readonly defaultScopes?: readonly string[];
  /** The URL a person opens to grant access; `redirectUri` is Reelcast's loopback listener. */
  authorizeUrl(request: AuthorizeRequest): string;
  exchangeCode(request: { code: string; redirectUri: string; codeVerifier: string }): Promise<TokenGrant>;
  /**
   * Throws ChannelAuthError when the refresh token is revoked or expired (a person must
   * reconnect); other errors are retryable.
   */
  refresh(tokens: AccountTokens): Promise<TokenGrant>;
}

/** What an adapter holds for one account: the token at the moment of the call, refreshed as needed. */
export interface TokenSource {
  readonly platform: Platform;
  readonly account: string;
  /** A valid access token: refreshed first when it expires soon (one refresher at a time). */
  accessToken(): Promise<string>;
  /**
   * The platform refused `rejected` as expired or invalid: refresh now (unless another worker
   * already did) and return the new token. Throws ChannelAuthError naming the command to reconnect.
   */
  refreshAfterRejection(rejected: string): Promise<string>;
}

/** The command a person runs to reconnect an account, as failure reasons show it. */
export function reconnectCommand(platform: Platform, account: string): string {
  return `reelcast channels connect ${platform} --account ${account}`;
}
