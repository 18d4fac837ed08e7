import { randomBytes } from 'node:crypto';
import type { ReelcastConfig } from '../../../config';
import {
  accountPostKeys,
  ObjectNotFoundError,
  parseTokenKey as parseTokenObjectKey,
  PREFIXES,
  tokenKeys,
  type ObjectStorage,
} from '../../storage';
import { checkAccountName, isPlatform, type AccountTokens, type Platform } from '../accounts';
import { parseTokenKey, seal, unseal, type Sealed, type TokenKey, TokenKeyError } from './seal';

/**
 * The token store: one object per connected (platform, account) in the deployment's storage,
 * `tokens/<platform>/<account>.json`. What a person may see (remote account, scopes, expiry,
 * state) is plain JSON; the secrets (access, refresh and OAuth 1.0a tokens) are sealed with
 * AES-256-GCM when `channels.tokens.key` is set, so `channels status` works without the key.
 *
 * Also per account: a refresh lock (one refresher at a time across workers, see source.ts) and
 * post markers (last successful post, posts per UTC day) for `channels status`. Post counts are
 * kept here rather than read from the publish ledger, which is keyed by post and has no account.
 *
 * Nothing here logs, and no error message contains a token or a key.
 */
export interface StoredAccount extends AccountTokens {
  /** Set when a refresh was refused (revoked, expired): a person must connect the account again. */
  needsReconnect?: { reason: string; at: string };
}

type Secrets = Pick<AccountTokens, 'accessToken' | 'refreshToken' | 'accessSecret'>;

/** An account as listed, without its secrets; readable without the key. */
export type AccountSummary = Omit<StoredAccount, keyof Secrets> & {
  hasRefreshToken: boolean;
  encrypted: boolean;
  /** Why the configured key cannot open this account's secrets, if it cannot. */
  keyProblem?: string;
};

interface StoredForm extends Omit<StoredAccount, keyof Secrets> {
  format: typeof FORMAT;
  hasRefreshToken: boolean;
  secrets: Sealed | ({ encryption: 'none' } & Secrets);
}

const FORMAT = 'reelcast-account/1';
const JSON_TYPE = { contentType: 'application/json' };

export interface RefreshLock {
  readonly owner: string;
  /** Deletes the lock if this holder still has it. */
  release(): Promise<void>;
}

interface LockRecord {
  owner: string;
  acquiredAt: string;
  expiresAt: string;
}

export class StoredObjectDamagedError extends Error {
  override readonly name = 'StoredObjectDamagedError';
  constructor(readonly key: string) {
    // Never quote the content: it may hold tokens.
    super(`the stored object ${key} is not valid JSON; delete it or connect the account again`);
  }
}

export class TokenStore {
  readonly #key: TokenKey | undefined;

  constructor(
    readonly storage: ObjectStorage,
    options: { key?: TokenKey } = {},
  ) {
    this.#key = options.key;
  }

  /** The store the config describes. Throws TokenKeyError when channels.tokens.key is malformed. */
  static open(config: ReelcastConfig, storage: ObjectStorage): TokenStore {
    const text = config.channels.tokens.key?.reveal();
    return new TokenStore(storage, { key: text === undefined ? undefined : parseTokenKey(text) });
  }

  /** Whether new and rewritten tokens are encrypted (a key is configured). */
  get encrypts(): boolean {
    return this.#key !== undefined;
  }

  /** The account with its secrets; undefined when never connected. Throws TokenKeyError. */
  async read(platform: Platform, account: string): Promise<StoredAccount | undefined> {
    const form = await this.#readForm(platform, account);
    if (!form) return undefined;
    const { format: _format, secrets: _secrets, hasRefreshToken: _has, ...rest } = form;
    return { ...rest, ...this.#open(form) };
  }

  /** Stores a connection (a new one, or a refresh); clears a needs-reconnect mark. */
  async save(tokens: AccountTokens): Promise<void> {
    const { accessToken, refreshToken, accessSecret, ...rest } = tokens;
    checkAccountName(tokens.account);
    const secrets: Secrets = { accessToken, refreshToken, accessSecret };
    const form: StoredForm = {
      format: FORMAT,
      ...rest,
      hasRefreshToken: !!refreshToken,
      secrets: this.#key
        ? seal(this.#key, JSON.stringify(secrets), boundTo(tokens.platform, tokens.account))
        : { encryption: 'none', ...secrets },
    };
    await this.storage.put(
      tokenKeys(tokens.platform, tokens.account).tokens,
      JSON.stringify(form, null, 2),
      JSON_TYPE,
    );
  }

  /** Marks the account as needing a person; its tokens stay (nothing to read without the key). */
  async markNeedsReconnect(
    platform: Platform,
    account: string,
    reason: string,
    at = new Date(),
  ): Promise<void> {
    const form = await this.#readForm(platform, account);
    if (!form) return;
    form.needsReconnect = { reason, at: at.toISOString() };
    await this.storage.put(tokenKeys(platform, account).tokens, JSON.stringify(form, null, 2), JSON_TYPE);
  }

  /** Forgets the account's tokens (and its lock). Returns false when it was not connected. */
  async remove(platform: Platform, account: string): Promise<boolean> {
    const keys = tokenKeys(platform, checkAccountName(account));
    const existed = (await this.storage.head(keys.tokens)) !== undefined;
    await this.storage.delete(keys.tokens);
    await this.storage.delete(keys.lock);
    return existed;
  }

  /** Every connected account, without secrets, sorted by platform and name. */
  async list(): Promise<AccountSummary[]> {
    const out: AccountSummary[] = [];
    for await (const obj of this.storage.list(PREFIXES.tokens)) {
      const parsed = parseTokenObjectKey(obj.key);
      if (!parsed || !isPlatform(parsed.platform)) continue;
      const form = await this.#readForm(parsed.platform, parsed.account);
      if (!form) continue;
      const { format: _format, secrets, ...rest } = form;
      const encrypted = secrets.encryption !== 'none';
      let keyProblem: string | undefined;
      if (encrypted) {
        try {
          this.#open(form);
        } catch (err) {
          if (!(err instanceof TokenKeyError)) throw err;
          keyProblem = err.message;
        }
      }
      out.push({ ...rest, encrypted, ...(keyProblem ? { keyProblem } : {}) });
    }
    return out.sort((a, b) => a.platform.localeCompare(b.platform) || a.account.localeCompare(b.account));
  }

  /**
   * Takes the account's refresh lock for `ttlMs`, or returns undefined while another holds it.
   * A lock past its expiry (its holder crashed) is taken over by exactly one taker: the one
   * that creates the takeover marker named after the stale holder.
   */
  async acquireLock(
    platform: Platform,
    account: string,
    ttlMs: number,
    now = new Date(),
  ): Promise<RefreshLock | undefined> {
    const keys = tokenKeys(platform, account);
    const record: LockRecord = {
      owner: randomBytes(8).toString('hex'),
      acquiredAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
    };
    const body = JSON.stringify(record);
    const lock: RefreshLock = {
      owner: record.owner,
      release: async () => {
        const held = await this.#readJson<LockRecord>(keys.lock);
        if (held?.owner === record.owner) await this.storage.delete(keys.lock);
      },
    };
    for (let tries = 0; tries < 2; tries++) {
      if (await this.storage.createIfAbsent(keys.lock, body, JSON_TYPE)) return lock;
      const held = await this.#readJson<LockRecord>(keys.lock);
      if (!held) continue; // released between our create and read
      if (Date.parse(held.expiresAt) > now.getTime()) return undefined;
      if (!(await this.storage.createIfAbsent(keys.takeover(held.owner), body, JSON_TYPE))) return undefined;
      await this.storage.put(keys.lock, body, JSON_TYPE);
      return lock;
    }
    return undefined;
  }

  /** Records a successful post on the account, for `channels status`. */
  async recordPost(platform: Platform, account: string, at = new Date()): Promise<void> {
    const keys = accountPostKeys(platform, checkAccountName(account));
    const iso = at.toISOString();
    const stamp = iso.replace(/[-:.]/g, '');
    await this.storage.put(
      `${keys.day(iso.slice(0, 10))}${stamp}-${randomBytes(4).toString('hex')}.json`,
      JSON.stringify({ at: iso }),
      JSON_TYPE,
    );
    const last = await this.#readJson<{ at: string }>(keys.last);
    if (!last || Date.parse(last.at) < at.getTime())
      await this.storage.put(keys.last, JSON.stringify({ at: iso }), JSON_TYPE);
  }

  /** The last successful post and the number of posts on `now`'s UTC day. */
  async postStats(
    platform: Platform,
    account: string,
    now = new Date(),
  ): Promise<{ lastPostAt?: string; postsToday: number }> {
    const keys = accountPostKeys(platform, account);
    const last = await this.#readJson<{ at: string }>(keys.last);
    let postsToday = 0;
    for await (const _ of this.storage.list(keys.day(now.toISOString().slice(0, 10)))) postsToday++;
    return { lastPostAt: last?.at, postsToday };
  }

  #open(form: StoredForm): Secrets {
    if (form.secrets.encryption === 'none') {
      const { encryption: _e, ...secrets } = form.secrets;
      return secrets;
    }
    const what = `the tokens of ${form.platform} account ${form.account}`;
    return JSON.parse(unseal(this.#key, form.secrets, boundTo(form.platform, form.account), what)) as Secrets;
  }

  async #readForm(platform: Platform, account: string): Promise<StoredForm | undefined> {
    return this.#readJson<StoredForm>(tokenKeys(platform, checkAccountName(account)).tokens);
  }

  async #readJson<T>(key: string): Promise<T | undefined> {
    let text: string;
    try {
      text = (await this.storage.getBuffer(key)).toString('utf8');
    } catch (err) {
      if (err instanceof ObjectNotFoundError) return undefined;
      throw err;
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new StoredObjectDamagedError(key);
    }
  }
}

function boundTo(platform: string, account: string): string {
  return `${FORMAT}:${platform}/${account}`;
}

export { TokenKeyError };
