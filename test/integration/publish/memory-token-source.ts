import type {
  AccountTokens,
  OAuthProvider,
  TokenGrant,
  TokenSource,
} from '../../../activities/publish/accounts';

/**
 * A TokenSource that keeps one account's tokens in memory and refreshes them through a real
 * OAuthProvider, keeping the newest (rotated) refresh token: what the token store does, minus the
 * storage and the lock, for tests.
 */
export class MemoryTokenSource implements TokenSource {
  refreshes = 0;
  #tokens: AccountTokens;
  #refreshing: Promise<string> | undefined;

  constructor(
    readonly oauth: OAuthProvider,
    readonly account: string,
    grant: TokenGrant,
    /** Refresh before use when the token expires within this margin; undefined: never ahead of time. */
    readonly refreshAheadMs?: number,
  ) {
    this.#tokens = {
      platform: oauth.platform,
      account,
      scopes: grant.scopes ?? [],
      connectedAt: new Date().toISOString(),
      ...fromGrant(grant),
      accessToken: grant.accessToken,
    };
  }

  get platform() {
    return this.oauth.platform;
  }

  get current(): Readonly<AccountTokens> {
    return this.#tokens;
  }

  async accessToken(): Promise<string> {
    const expiresAt = this.#tokens.expiresAt ? Date.parse(this.#tokens.expiresAt) : Infinity;
    if (this.refreshAheadMs !== undefined && expiresAt - this.refreshAheadMs <= Date.now())
      return this.#refresh();
    return this.#tokens.accessToken;
  }

  async refreshAfterRejection(rejected: string): Promise<string> {
    // Another caller refreshed meanwhile: its token is the answer.
    if (rejected !== this.#tokens.accessToken) return this.#tokens.accessToken;
    return this.#refresh();
  }

  #refresh(): Promise<string> {
    this.#refreshing ??= (async () => {
      try {
        const grant = await this.oauth.refresh(this.#tokens);
        this.refreshes++;
        this.#tokens = {
          ...this.#tokens,
          ...fromGrant(grant),
          accessToken: grant.accessToken,
          refreshToken: grant.refreshToken ?? this.#tokens.refreshToken,
          refreshedAt: new Date().toISOString(),
        };
        return this.#tokens.accessToken;
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }
}

function fromGrant(grant: TokenGrant): Partial<AccountTokens> {
  const at = (seconds?: number) =>
    seconds === undefined ? undefined : new Date(Date.now() + seconds * 1000).toISOString();
  return {
    refreshToken: grant.refreshToken,
    expiresAt: at(grant.expiresInSeconds),
    refreshExpiresAt: at(grant.refreshExpiresInSeconds),
    remoteAccountId: grant.remoteAccountId,
  };
}
