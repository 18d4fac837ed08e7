import type { AccountTokens, Platform } from '../accounts';

/**
 * When a platform's access token is refreshed, and when an account needs a person. Pure: the
 * token source and `reelcast channels status` both decide from these functions.
 */
export interface RefreshPolicy {
  /**
   * What a refresh presents: a refresh token (OAuth 2: TikTok, Google), the still valid access
   * token itself (Instagram's long-lived tokens), or nothing (X's OAuth 1.0a tokens do not expire).
   */
  refreshWith: 'refresh-token' | 'access-token' | 'none';
  /** Refresh when the access token expires within this. */
  marginMs: number;
  /** Long-lived tokens: refresh ahead once older than `minAgeMs` and within `withinMs` of expiry. */
  ahead?: { minAgeMs: number; withinMs: number };
  /** `channels status` says "expiring" when what a refresh needs runs out within this. */
  warnMs: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const REFRESH_POLICIES: Record<Platform, RefreshPolicy> = {
  x: { refreshWith: 'none', marginMs: 0, warnMs: 7 * DAY },
  // Access tokens live 24 h (or 2 h, by doc version); refresh tokens rotate.
  tiktok: { refreshWith: 'refresh-token', marginMs: 5 * MINUTE, warnMs: 7 * DAY },
  // Google access tokens live about an hour; "Testing" apps' refresh tokens die after 7 days.
  youtube: { refreshWith: 'refresh-token', marginMs: 5 * MINUTE, warnMs: 3 * DAY },
  // 60-day long-lived tokens, refreshable once at least 24 h old and still valid.
  instagram: {
    refreshWith: 'access-token',
    marginMs: 5 * MINUTE,
    ahead: { minAgeMs: DAY, withinMs: 15 * DAY },
    warnMs: 7 * DAY,
  },
};

/** The times a decision needs; a listing without secrets says `hasRefreshToken` instead. */
type TokenTimes = Pick<AccountTokens, 'expiresAt' | 'refreshExpiresAt' | 'connectedAt' | 'refreshedAt'> & {
  refreshToken?: string;
  hasRefreshToken?: boolean;
};

const hasRefreshToken = (t: TokenTimes) => t.hasRefreshToken ?? !!t.refreshToken;

export type RefreshDecision =
  | { action: 'use' }
  /** `required`: the current token is expired or about to be; a failed refresh cannot fall back to it. */
  | { action: 'refresh'; required: boolean }
  | { action: 'reconnect'; why: string };

const ms = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso));

function canRefresh(t: TokenTimes, policy: RefreshPolicy, now: number): boolean {
  switch (policy.refreshWith) {
    case 'refresh-token':
      return hasRefreshToken(t) && !((ms(t.refreshExpiresAt) ?? Infinity) <= now);
    case 'access-token':
      return (ms(t.expiresAt) ?? Infinity) > now;
    case 'none':
      return false;
  }
}

export function refreshDecision(t: TokenTimes, policy: RefreshPolicy, now: Date): RefreshDecision {
  const expires = ms(t.expiresAt);
  if (expires === undefined) return { action: 'use' };
  const left = expires - now.getTime();
  const refreshable = canRefresh(t, policy, now.getTime());
  if (left <= policy.marginMs) {
    if (refreshable) return { action: 'refresh', required: true };
    if (left > 0) return { action: 'use' };
    return { action: 'reconnect', why: cannotRefreshWhy(t, policy) };
  }
  const ahead = policy.ahead;
  if (ahead && refreshable) {
    const age = now.getTime() - (ms(t.refreshedAt) ?? ms(t.connectedAt) ?? now.getTime());
    if (age >= ahead.minAgeMs && left <= ahead.withinMs) return { action: 'refresh', required: false };
  }
  return { action: 'use' };
}

function cannotRefreshWhy(t: TokenTimes, policy: RefreshPolicy): string {
  if (policy.refreshWith === 'refresh-token' && !hasRefreshToken(t))
    return 'the access token expired and the platform gave no refresh token';
  if (policy.refreshWith === 'refresh-token')
    return `the refresh token expired at ${t.refreshExpiresAt ?? 'an unknown time'}`;
  return `the access token expired at ${t.expiresAt}`;
}

export type AccountState =
  { state: 'ok' } | { state: 'expiring'; at: string } | { state: 'needs-reconnect'; reason: string };

/** What `channels status` shows for an account. */
export function accountState(
  t: TokenTimes & { needsReconnect?: { reason: string } },
  policy: RefreshPolicy,
  now: Date,
): AccountState {
  if (t.needsReconnect) return { state: 'needs-reconnect', reason: t.needsReconnect.reason };
  const decision = refreshDecision(t, policy, now);
  if (decision.action === 'reconnect') return { state: 'needs-reconnect', reason: decision.why };
  // What runs out without a person: the refresh token, or a token that refreshes itself.
  const runsOut =
    policy.refreshWith === 'refresh-token' && hasRefreshToken(t) ? t.refreshExpiresAt : t.expiresAt;
  const at = ms(runsOut);
  if (at !== undefined && at - now.getTime() <= policy.warnMs) return { state: 'expiring', at: runsOut! };
  return { state: 'ok' };
}
