import { setTimeout as sleep } from 'node:timers/promises';
import { reconnectCommand, type OAuthProvider, type Platform, type TokenSource } from '../accounts';
import {
  AccountNotConnectedError,
  ChannelAuthError,
  ChannelNotConfiguredError,
  ChannelUnavailableError,
  PublishError,
} from '../errors';
import { mergeGrant } from './grant';
import { redact } from './oauth2';
import { REFRESH_POLICIES, refreshDecision, type RefreshPolicy } from './policy';
import { KEY_SETTING, TokenKeyError } from './seal';
import { StoredObjectDamagedError, type StoredAccount, type TokenStore } from './store';

export interface StoredTokenSourceOptions {
  store: TokenStore;
  provider: OAuthProvider;
  platform: Platform;
  account: string;
  /** The channel name errors carry (`tiktok`, `shorts`, `reels`); default: the platform. */
  channel?: string;
  /** Default: REFRESH_POLICIES[platform]. */
  policy?: RefreshPolicy;
  /**
   * How long a refresher holds the lock before others may take it over (it crashed). Must be
   * well above the token endpoint's timeout (30 s).
   */
  lockTtlMs?: number;
  /** How long to wait for another worker's refresh before failing (retryable). */
  waitMs?: number;
  pollMs?: number;
  now?: () => Date;
}

/**
 * The access token of one (platform, account) from the token store, refreshed when due.
 *
 * Refresh, one refresher at a time across workers:
 *   1. take the account's lock in storage (a lock past its expiry is taken over); if another
 *      worker holds it, poll the stored tokens until they are fresh (its result) or the lock frees;
 *   2. holding the lock, read the tokens again: if another worker refreshed meanwhile, use theirs;
 *   3. ask the platform; store the new grant (a rotated refresh token replaces the old one, a
 *      grant without one keeps it); release the lock;
 *   4. refused (revoked or expired refresh token): unless the stored tokens changed meanwhile,
 *      mark the account needs-reconnect and throw ChannelAuthError naming the connect command.
 *      Other failures are retryable; an ahead-of-time refresh that fails falls back to the
 *      still valid token.
 */
export class StoredTokenSource implements TokenSource {
  readonly platform: Platform;
  readonly account: string;
  readonly #o: Required<Omit<StoredTokenSourceOptions, 'channel'>>;
  readonly #channel: string;
  readonly #fix: string;

  constructor(options: StoredTokenSourceOptions) {
    this.platform = options.platform;
    this.account = options.account;
    this.#channel = options.channel ?? options.platform;
    this.#fix = reconnectCommand(options.platform, options.account);
    const lockTtlMs = options.lockTtlMs ?? 90_000;
    this.#o = {
      policy: REFRESH_POLICIES[options.platform],
      lockTtlMs,
      waitMs: lockTtlMs + 15_000,
      pollMs: 250,
      now: () => new Date(),
      ...options,
    };
  }

  async accessToken(): Promise<string> {
    const tokens = await this.#read();
    const decision = refreshDecision(tokens, this.#o.policy, this.#o.now());
    if (decision.action === 'use') return tokens.accessToken;
    if (decision.action === 'reconnect') throw await this.#needsReconnect(decision.why);
    const stillDue = (t: StoredAccount) =>
      t.accessToken === tokens.accessToken ||
      refreshDecision(t, this.#o.policy, this.#o.now()).action === 'refresh';
    try {
      return (await this.#refresh(stillDue)).accessToken;
    } catch (err) {
      if (!decision.required && err instanceof PublishError && err.retryable) return tokens.accessToken;
      throw err;
    }
  }

  async refreshAfterRejection(rejected: string): Promise<string> {
    const tokens = await this.#read();
    if (tokens.accessToken !== rejected) return tokens.accessToken;
    return (await this.#refresh((t) => t.accessToken === rejected)).accessToken;
  }

  async #refresh(due: (t: StoredAccount) => boolean): Promise<StoredAccount> {
    const { store } = this.#o;
    const deadline = Date.now() + this.#o.waitMs;
    for (;;) {
      const lock = await store.acquireLock(this.platform, this.account, this.#o.lockTtlMs, this.#o.now());
      if (lock) {
        try {
          const current = await this.#read();
          if (!due(current)) return current;
          return await this.#refreshHolding(current);
        } finally {
          await lock.release();
        }
      }
      await sleep(this.#o.pollMs);
      const seen = await this.#read();
      if (!due(seen)) return seen;
      if (Date.now() > deadline) {
        throw new ChannelUnavailableError(
          this.#channel,
          'refresh the access token',
          `another worker holds the refresh lock of account ${this.account} and has not finished`,
          true,
        );
      }
    }
  }

  async #refreshHolding(current: StoredAccount): Promise<StoredAccount> {
    const { store, provider } = this.#o;
    if (this.#o.policy.refreshWith === 'none')
      throw await this.#needsReconnect('the platform refused the token, and it cannot be refreshed');
    try {
      const grant = await provider.refresh(current);
      const merged = mergeGrant(current, grant, this.#o.now());
      await store.save(merged);
      return merged;
    } catch (err) {
      if (err instanceof ChannelAuthError) {
        // A refresher that outlived its lock may have rotated the refresh token under us.
        const again = await this.#read();
        if (again.accessToken !== current.accessToken) return again;
        throw await this.#needsReconnect(
          /^reconnect the account \((.*)\)$/s.exec(err.reason)?.[1] ?? err.reason,
        );
      }
      if (err instanceof PublishError) throw err;
      const secrets = [current.accessToken, current.refreshToken ?? ''];
      const detail = redact(err instanceof Error ? `${err.name}: ${err.message}` : String(err), secrets);
      throw new ChannelUnavailableError(this.#channel, 'refresh the access token', detail, true);
    }
  }

  async #needsReconnect(why: string): Promise<ChannelAuthError> {
    await this.#o.store.markNeedsReconnect(this.platform, this.account, why, this.#o.now());
    return new ChannelAuthError(this.#channel, why, this.#fix);
  }

  /** The stored tokens, or the error that says what a person must do. */
  async #read(): Promise<StoredAccount> {
    let tokens: StoredAccount | undefined;
    try {
      tokens = await this.#o.store.read(this.platform, this.account);
    } catch (err) {
      if (err instanceof TokenKeyError)
        throw new ChannelNotConfiguredError(this.#channel, `${KEY_SETTING} correctly: ${err.message}`);
      if (err instanceof StoredObjectDamagedError)
        throw new ChannelAuthError(this.#channel, 'the stored tokens are damaged', this.#fix);
      throw err;
    }
    if (!tokens) throw new AccountNotConnectedError(this.#channel, this.account, this.#fix);
    if (tokens.needsReconnect)
      throw new ChannelAuthError(this.#channel, tokens.needsReconnect.reason, this.#fix);
    return tokens;
  }
}
