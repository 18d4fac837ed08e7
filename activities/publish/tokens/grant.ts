import type { AccountTokens, Platform, TokenGrant } from '../accounts';
import type { StoredAccount } from './store';

const at = (now: Date, seconds: number | undefined) =>
  seconds === undefined || !Number.isFinite(seconds)
    ? undefined
    : new Date(now.getTime() + seconds * 1000).toISOString();

/** A new connection from the code exchange's grant. */
export function tokensFromGrant(
  platform: Platform,
  account: string,
  grant: TokenGrant,
  scopesAsked: readonly string[],
  now: Date,
): AccountTokens {
  return {
    platform,
    account,
    accessToken: grant.accessToken,
    refreshToken: grant.refreshToken,
    expiresAt: at(now, grant.expiresInSeconds),
    refreshExpiresAt: grant.refreshToken ? at(now, grant.refreshExpiresInSeconds) : undefined,
    // A token response may omit `scope` when it granted what was asked (RFC 6749 5.1).
    scopes: grant.scopes ?? [...scopesAsked],
    remoteAccountId: grant.remoteAccountId,
    remoteAccountName: grant.remoteAccountName,
    connectedAt: now.toISOString(),
  };
}

/**
 * The stored account after a refresh. Refresh tokens may rotate (TikTok): the grant's newest
 * one replaces the stored one; a grant without one keeps the stored one and its expiry.
 */
export function mergeGrant(current: StoredAccount, grant: TokenGrant, now: Date): AccountTokens {
  const { needsReconnect: _cleared, ...kept } = current;
  return {
    ...kept,
    accessToken: grant.accessToken,
    refreshToken: grant.refreshToken ?? current.refreshToken,
    expiresAt: at(now, grant.expiresInSeconds),
    refreshExpiresAt: grant.refreshToken ? at(now, grant.refreshExpiresInSeconds) : current.refreshExpiresAt,
    scopes: grant.scopes ?? current.scopes,
    remoteAccountId: grant.remoteAccountId ?? current.remoteAccountId,
    remoteAccountName: grant.remoteAccountName ?? current.remoteAccountName,
    refreshedAt: now.toISOString(),
  };
}
