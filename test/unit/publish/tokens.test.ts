import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkAccountName, type AccountTokens } from '../../../activities/publish/accounts';
import {
  accountState,
  mergeGrant,
  parseTokenKey,
  pkcePair,
  REFRESH_POLICIES,
  refreshDecision,
  StandardOAuth2Provider,
  TokenKeyError,
  TokenStore,
} from '../../../activities/publish/tokens';
import { seal, unseal } from '../../../activities/publish/tokens/seal';
import { FsStorage } from '../../../activities/storage';
import { parseXCredentials } from '../../../cli/commands/channels';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = new Date('2026-11-27T10:00:00Z');
const iso = (offsetMs: number) => new Date(NOW.getTime() + offsetMs).toISOString();

describe('account names', () => {
  it.each(['default', 'us-main', 'JP_brand2', '7eleven'])('accepts %s', (name) => {
    expect(checkAccountName(name)).toBe(name);
  });
  it.each(['', '-lead', 'us main', 'a/b', '../x', 'ünï', 'x'.repeat(65), 'a;rm'])('refuses %j', (name) => {
    expect(() => checkAccountName(name)).toThrow(/letters, digits, - and _/);
  });
});

describe('the token key and sealing', () => {
  const key = parseTokenKey(randomBytes(32).toString('base64'));

  it('takes 32 bytes as hex or base64, and refuses a passphrase naming the setting, not the value', () => {
    const hex = randomBytes(32).toString('hex');
    expect(parseTokenKey(hex).bytes.toString('hex')).toBe(hex);
    expect(parseTokenKey(randomBytes(32).toString('base64url')).bytes).toHaveLength(32);
    const err = (() => {
      try {
        parseTokenKey('correct horse battery staple');
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(TokenKeyError);
    expect(err!.message).toMatch(/REELCAST_TOKEN_KEY \(channels\.tokens\.key\).*openssl rand -base64 32/);
    expect(err!.message).not.toContain('horse');
    expect(() => parseTokenKey(randomBytes(16).toString('hex'))).toThrow(TokenKeyError);
  });

  it('round-trips, and the sealed form does not contain the plaintext', () => {
    const sealed = seal(key, 'at-secret-value', 'acct');
    expect(JSON.stringify(sealed)).not.toContain('at-secret-value');
    expect(unseal(key, sealed, 'acct', 'the tokens')).toBe('at-secret-value');
  });

  it('a wrong or missing key, or another account, gives an error naming the setting', () => {
    const sealed = seal(key, 'at-secret-value', 'acct');
    const other = parseTokenKey(randomBytes(32).toString('hex'));
    expect(() => unseal(other, sealed, 'acct', 'the tokens of tiktok account us-main')).toThrow(
      /the tokens of tiktok account us-main were stored with another key than the one in REELCAST_TOKEN_KEY/,
    );
    expect(() => unseal(undefined, sealed, 'acct', 'the tokens')).toThrow(/REELCAST_TOKEN_KEY .* is not set/);
    expect(() => unseal(key, sealed, 'other-acct', 'the tokens')).toThrow(/cannot be decrypted/);
  });
});

describe('the token store on local files', () => {
  const tokens: AccountTokens = {
    platform: 'tiktok',
    account: 'us-main',
    accessToken: 'act.SECRET-ACCESS-1234',
    refreshToken: 'rft.SECRET-REFRESH-5678',
    expiresAt: iso(HOUR),
    scopes: ['video.publish'],
    remoteAccountName: 'Brand US',
    connectedAt: NOW.toISOString(),
  };
  const fresh = () => new FsStorage(mkdtempSync(join(tmpdir(), 'reelcast-tokens-')));
  const files = (root: string): string[] =>
    readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => join(d.parentPath, d.name));

  it('with a key: the object on disk holds no token, reads back whole, and lists without the key', async () => {
    const storage = fresh();
    const key = parseTokenKey(randomBytes(32).toString('hex'));
    const store = new TokenStore(storage, { key });
    await store.save(tokens);
    const onDisk = files(storage.root)
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    expect(onDisk).toContain('Brand US');
    expect(onDisk).not.toContain('SECRET');
    expect(await store.read('tiktok', 'us-main')).toEqual(tokens);

    const keyless = new TokenStore(storage);
    const [listed] = await keyless.list();
    expect(listed).toMatchObject({ account: 'us-main', encrypted: true, hasRefreshToken: true });
    expect(listed.keyProblem).toMatch(/REELCAST_TOKEN_KEY .* is not set/);
    expect(JSON.stringify(listed)).not.toContain('SECRET');
    await expect(keyless.read('tiktok', 'us-main')).rejects.toThrow(TokenKeyError);
  });

  it('without a key it works in plain text; needs-reconnect is kept until the account is saved again', async () => {
    const store = new TokenStore(fresh());
    await store.save(tokens);
    await store.markNeedsReconnect('tiktok', 'us-main', 'refresh refused', NOW);
    expect((await store.read('tiktok', 'us-main'))?.needsReconnect).toEqual({
      reason: 'refresh refused',
      at: NOW.toISOString(),
    });
    await store.save(tokens);
    expect((await store.read('tiktok', 'us-main'))?.needsReconnect).toBeUndefined();
    expect(await store.remove('tiktok', 'us-main')).toBe(true);
    expect(await store.read('tiktok', 'us-main')).toBeUndefined();
  });

  it('counts posts per UTC day and keeps the latest post time', async () => {
    const store = new TokenStore(fresh());
    await store.recordPost('youtube', 'jp', new Date('2026-11-26T23:59:00Z'));
    await store.recordPost('youtube', 'jp', new Date('2026-11-27T09:00:00Z'));
    await store.recordPost('youtube', 'jp', new Date('2026-11-27T08:00:00Z'));
    expect(await store.postStats('youtube', 'jp', NOW)).toEqual({
      lastPostAt: '2026-11-27T09:00:00.000Z',
      postsToday: 2,
    });
  });
});

describe('refresh policy', () => {
  const base = { connectedAt: iso(-2 * DAY), refreshToken: 'r' };
  const decide = (platform: keyof typeof REFRESH_POLICIES, t: Parameters<typeof refreshDecision>[0]) =>
    refreshDecision(t, REFRESH_POLICIES[platform], NOW);

  it.each([
    ['youtube', { ...base, expiresAt: iso(30 * 60_000) }, { action: 'use' }],
    ['youtube', { ...base, expiresAt: iso(4 * 60_000) }, { action: 'refresh', required: true }],
    ['tiktok', { ...base, expiresAt: iso(-HOUR) }, { action: 'refresh', required: true }],
    ['tiktok', { ...base, expiresAt: iso(-HOUR), refreshExpiresAt: iso(-1) }, { action: 'reconnect' }],
    ['tiktok', { connectedAt: base.connectedAt, expiresAt: iso(-1) }, { action: 'reconnect' }],
    ['tiktok', { connectedAt: base.connectedAt, expiresAt: iso(60_000) }, { action: 'use' }],
    // Instagram: long-lived, refreshed with itself; ahead of time once ≥ 24 h old and ≤ 15 days left.
    [
      'instagram',
      { connectedAt: iso(-50 * DAY), expiresAt: iso(10 * DAY) },
      { action: 'refresh', required: false },
    ],
    ['instagram', { connectedAt: iso(-2 * DAY), expiresAt: iso(58 * DAY) }, { action: 'use' }],
    [
      'instagram',
      { connectedAt: iso(-50 * DAY), refreshedAt: iso(-HOUR), expiresAt: iso(10 * DAY) },
      { action: 'use' },
    ],
    ['instagram', { connectedAt: iso(-61 * DAY), expiresAt: iso(-DAY) }, { action: 'reconnect' }],
    ['x', { connectedAt: base.connectedAt }, { action: 'use' }],
  ] as const)('%s %j → %j', (platform, tokens, expected) => {
    expect(decide(platform, tokens)).toMatchObject(expected);
  });

  it('status: expiring when what a refresh needs runs out soon; needs-reconnect when marked', () => {
    const yt = REFRESH_POLICIES.youtube;
    expect(accountState({ ...base, expiresAt: iso(-HOUR), refreshExpiresAt: iso(2 * DAY) }, yt, NOW)).toEqual(
      {
        state: 'expiring',
        at: iso(2 * DAY),
      },
    );
    // An expired access token with a refresh token is normal: refreshed on next use.
    expect(accountState({ ...base, expiresAt: iso(-HOUR) }, yt, NOW)).toEqual({ state: 'ok' });
    expect(
      accountState(
        { ...base, hasRefreshToken: true, refreshToken: undefined, expiresAt: iso(-HOUR) },
        yt,
        NOW,
      ),
    ).toEqual({ state: 'ok' });
    expect(accountState({ ...base, needsReconnect: { reason: 'revoked' } }, yt, NOW)).toEqual({
      state: 'needs-reconnect',
      reason: 'revoked',
    });
  });

  it('a rotated refresh token replaces the stored one; a grant without one keeps it', () => {
    const current = {
      platform: 'tiktok' as const,
      account: 'a',
      accessToken: 'old',
      refreshToken: 'r1',
      refreshExpiresAt: iso(DAY),
      scopes: ['video.publish'],
      connectedAt: iso(-DAY),
      needsReconnect: { reason: 'x', at: iso(0) },
    };
    const rotated = mergeGrant(
      current,
      { accessToken: 'new', refreshToken: 'r2', expiresInSeconds: 60, refreshExpiresInSeconds: 120 },
      NOW,
    );
    expect(rotated).toMatchObject({
      accessToken: 'new',
      refreshToken: 'r2',
      expiresAt: iso(60_000),
      refreshExpiresAt: iso(120_000),
      refreshedAt: NOW.toISOString(),
    });
    expect(rotated).not.toHaveProperty('needsReconnect');
    expect(mergeGrant(current, { accessToken: 'new', expiresInSeconds: 60 }, NOW)).toMatchObject({
      refreshToken: 'r1',
      refreshExpiresAt: iso(DAY),
      scopes: ['video.publish'],
    });
  });
});

describe('the standard OAuth 2 provider', () => {
  it('asks for a code with PKCE (S256), the state and the scopes', () => {
    const { verifier, challenge } = pkcePair();
    expect(challenge).toBe(createHash('sha256').update(verifier).digest('base64url'));
    const url = new URL(
      new StandardOAuth2Provider({
        platform: 'youtube',
        authorizeUrl: 'https://accounts.example/auth?hd=x',
        tokenUrl: 'https://accounts.example/token',
        clientId: 'cid',
        authorizeParams: { access_type: 'offline' },
      }).authorizeUrl({
        redirectUri: 'http://127.0.0.1:1/callback',
        state: 's1',
        scopes: ['a', 'b'],
        codeChallenge: challenge,
      }),
    );
    expect(Object.fromEntries(url.searchParams)).toEqual({
      hd: 'x',
      response_type: 'code',
      client_id: 'cid',
      redirect_uri: 'http://127.0.0.1:1/callback',
      scope: 'a b',
      state: 's1',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      access_type: 'offline',
    });
  });
});

describe('X credentials on stdin', () => {
  it.each([
    ['tok\nsec\n', { accessToken: 'tok', accessSecret: 'sec' }],
    ['X_ACCESS_SECRET=sec\nX_ACCESS_TOKEN = tok\n', { accessToken: 'tok', accessSecret: 'sec' }],
    ['tok\n', undefined],
  ])('%j', (text, expected) => {
    expect(parseXCredentials(text)).toEqual(expected);
  });
});
