import type { ReelcastConfig } from '../../../config';
import { DEFAULT_ACCOUNT, reconnectCommand, type Platform } from '../accounts';
import { accountState, REFRESH_POLICIES } from './policy';
import { KEY_SETTING } from './seal';
import type { AccountSummary, TokenStore } from './store';

/** One account as `reelcast channels status` (and Studio) shows it. No secrets. */
export interface AccountStatus {
  platform: Platform;
  account: string;
  /** Where its credentials come from: the token store, or X_ACCESS_TOKEN/X_ACCESS_SECRET. */
  source: 'store' | 'environment';
  remoteAccountName?: string;
  remoteAccountId?: string;
  scopes: string[];
  expiresAt?: string;
  refreshExpiresAt?: string;
  connectedAt?: string;
  refreshedAt?: string;
  /** ok; expiring (at `expiringAt`, unless it posts or is reconnected); needs-reconnect; unreadable (key). */
  state: 'ok' | 'expiring' | 'needs-reconnect' | 'unreadable';
  reason?: string;
  expiringAt?: string;
  /** What a person runs (or sets) to fix the state. */
  fix?: string;
  encrypted: boolean;
  lastPostAt?: string;
  postsToday: number;
}

export interface ChannelsStatus {
  /** Whether new tokens are stored encrypted (channels.tokens.key is set). */
  encrypted: boolean;
  warnings: string[];
  accounts: AccountStatus[];
}

export async function accountStatuses(
  config: ReelcastConfig,
  store: TokenStore,
  now = new Date(),
): Promise<ChannelsStatus> {
  const summaries = await store.list();
  const x = config.channels.x;
  const xFromEnv = !!(x.accessToken && x.accessSecret);
  const accounts: AccountStatus[] = [];
  if (xFromEnv) {
    accounts.push({
      platform: 'x',
      account: DEFAULT_ACCOUNT,
      source: 'environment',
      scopes: [],
      state: 'ok',
      encrypted: false,
      ...(await store.postStats('x', DEFAULT_ACCOUNT, now)),
    });
  }
  for (const s of summaries) {
    if (xFromEnv && s.platform === 'x' && s.account === DEFAULT_ACCOUNT) continue; // the environment wins
    accounts.push({ ...fromSummary(s, now), ...(await store.postStats(s.platform, s.account, now)) });
  }

  const warnings: string[] = [];
  if (!store.encrypts && summaries.length > 0)
    warnings.push(
      `tokens are stored unencrypted: set ${KEY_SETTING} (32 random bytes, e.g. \`openssl rand -base64 32\`) and connect the accounts again`,
    );
  const plain = summaries.filter((s) => !s.encrypted).length;
  if (store.encrypts && plain > 0)
    warnings.push(
      `${plain} account(s) were stored before ${KEY_SETTING} was set and stay unencrypted until refreshed or connected again`,
    );
  return { encrypted: store.encrypts, warnings, accounts };
}

function fromSummary(s: AccountSummary, now: Date): Omit<AccountStatus, 'postsToday' | 'lastPostAt'> {
  const base = {
    platform: s.platform,
    account: s.account,
    source: 'store' as const,
    remoteAccountName: s.remoteAccountName,
    remoteAccountId: s.remoteAccountId,
    scopes: s.scopes,
    expiresAt: s.expiresAt,
    refreshExpiresAt: s.refreshExpiresAt,
    connectedAt: s.connectedAt,
    refreshedAt: s.refreshedAt,
    encrypted: s.encrypted,
  };
  const fix = reconnectCommand(s.platform, s.account);
  if (s.keyProblem)
    return {
      ...base,
      state: 'unreadable',
      reason: s.keyProblem,
      fix: `set ${KEY_SETTING}, or run \`${fix}\``,
    };
  const st = accountState(s, REFRESH_POLICIES[s.platform], now);
  if (st.state === 'needs-reconnect') return { ...base, state: st.state, reason: st.reason, fix };
  if (st.state === 'expiring') return { ...base, state: st.state, expiringAt: st.at, fix };
  return { ...base, state: 'ok' };
}
