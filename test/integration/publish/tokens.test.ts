import { randomBytes } from 'node:crypto';
import { reconnectCommand, type Platform } from '../../../activities/publish/accounts';
import {
  AccountNotConnectedError,
  ChannelAuthError,
  ChannelUnavailableError,
} from '../../../activities/publish/errors';
import {
  accountStatuses,
  parseTokenKey,
  REFRESH_POLICIES,
  StandardOAuth2Provider,
  StoredTokenSource,
  TokenStore,
  tokensFromGrant,
  type RefreshPolicy,
} from '../../../activities/publish/tokens';
import { openStorage, tokenKeys } from '../../../activities/storage';
import { loadConfig } from '../../../config';
import { FAKE_OAUTH_DEFAULTS, startFakeOAuth, type FakeOAuth } from '../../fakes/oauth/server';

/** Token sources against the fake OAuth server over HTTP, with the tokens in the real S3 server. */
const config = loadConfig();
const storage = openStorage(config);
const key = parseTokenKey(randomBytes(32).toString('base64'));
const store = new TokenStore(storage, { key });
let fake: FakeOAuth;
let seq = 0;

beforeAll(async () => {
  fake = await startFakeOAuth({ rotate: true, expiresIn: 3600, refreshDelayMs: 300 });
});
afterAll(() => fake.close());

const provider = () =>
  new StandardOAuth2Provider({
    platform: 'tiktok',
    authorizeUrl: fake.authorizeUrl,
    tokenUrl: fake.tokenUrl,
    clientId: FAKE_OAUTH_DEFAULTS.clientId,
    clientSecret: FAKE_OAUTH_DEFAULTS.clientSecret,
  });

/** A connected account (unique per test) whose access token expired a minute ago. */
async function connected(platform: Platform = 'tiktok', expiresInSeconds = -60) {
  const account = `it-${process.pid}-${++seq}`;
  const issued = fake.issue('video.publish');
  const tokens = tokensFromGrant(
    platform,
    account,
    { accessToken: issued.access_token, refreshToken: issued.refresh_token, expiresInSeconds },
    ['video.publish'],
    new Date(),
  );
  await store.save(tokens);
  return { account, issued };
}

const source = (account: string, extra: Partial<ConstructorParameters<typeof StoredTokenSource>[0]> = {}) =>
  new StoredTokenSource({ store, provider: provider(), platform: 'tiktok', account, pollMs: 50, ...extra });

describe('token sources (fake OAuth server, real S3)', () => {
  it('two workers refreshing the same account at once: one refresh, both get the new token', async () => {
    const { account, issued } = await connected();
    const before = fake.counts.refresh;
    const [a, b] = await Promise.all([source(account).accessToken(), source(account).accessToken()]);
    expect(fake.counts.refresh - before).toBe(1);
    expect(a).toBe(b);
    expect(a).not.toBe(issued.access_token);
    expect(fake.accepts(a)).toBe(true);
    expect(await storage.head(tokenKeys('tiktok', account).lock)).toBeUndefined();
  });

  it('keeps the rotated refresh token: the next refresh works, the old one would be refused', async () => {
    const { account, issued } = await connected();
    await source(account).accessToken();
    const stored = await store.read('tiktok', account);
    expect(stored?.refreshToken).toBeDefined();
    expect(stored?.refreshToken).not.toBe(issued.refresh_token);

    const again = await source(account).refreshAfterRejection(stored!.accessToken);
    expect(again).not.toBe(stored!.accessToken);
    expect(fake.accepts(again)).toBe(true);
    expect((await store.read('tiktok', account))?.needsReconnect).toBeUndefined();
  });

  it('a token another worker already replaced is not refreshed again', async () => {
    const { account, issued } = await connected('tiktok', 3600);
    const fresh = await source(account).refreshAfterRejection(issued.access_token);
    const before = fake.counts.refresh;
    expect(await source(account).refreshAfterRejection(issued.access_token)).toBe(fresh);
    expect(fake.counts.refresh).toBe(before);
  });

  it('a revoked refresh token: ChannelAuthError naming the connect command, and status says needs reconnect', async () => {
    const { account, issued } = await connected();
    fake.revoke(issued.refresh_token);
    const err = await source(account, { channel: 'tiktok' })
      .accessToken()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelAuthError);
    const fix = reconnectCommand('tiktok', account);
    expect((err as Error).message).toContain(fix);
    expect((err as Error).message).not.toContain(issued.refresh_token);

    const status = await accountStatuses(config, store);
    expect(status.accounts.find((a) => a.account === account)).toMatchObject({
      state: 'needs-reconnect',
      reason: expect.stringMatching(/invalid_grant/),
      fix,
    });
    // No second try at the platform until a person reconnects.
    const refused = fake.counts.refused;
    await expect(source(account).accessToken()).rejects.toThrow(ChannelAuthError);
    expect(fake.counts.refused).toBe(refused);
  });

  it("takes over a crashed refresher's stale lock and refreshes once", async () => {
    const { account } = await connected();
    const crashed = await store.acquireLock('tiktok', account, 1);
    expect(crashed).toBeDefined(); // never released
    await new Promise((r) => setTimeout(r, 20));
    const before = fake.counts.refresh;
    const [a, b] = await Promise.all([source(account).accessToken(), source(account).accessToken()]);
    expect(a).toBe(b);
    expect(fake.counts.refresh - before).toBe(1);
  });

  it('a live lock held past the wait fails retryable, without refreshing', async () => {
    const { account } = await connected();
    const held = await store.acquireLock('tiktok', account, 60_000);
    const err = await source(account, { waitMs: 300 })
      .accessToken()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelUnavailableError);
    expect(err).toMatchObject({ retryable: true });
    await held!.release();
  });

  it('an ahead-of-time refresh that fails falls back to the still valid token', async () => {
    const { account, issued } = await connected('tiktok', 3 * 86_400);
    const early: RefreshPolicy = {
      ...REFRESH_POLICIES.tiktok,
      ahead: { minAgeMs: 0, withinMs: 10 * 86_400_000 },
    };
    fake.inject({ endpoint: 'token', kind: 'unavailable' });
    expect(await source(account, { policy: early }).accessToken()).toBe(issued.access_token);
    const refreshed = await source(account, { policy: early }).accessToken();
    expect(refreshed).not.toBe(issued.access_token);
  });

  it('an account never connected names the command that connects it', async () => {
    const err = await source('never-connected')
      .accessToken()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AccountNotConnectedError);
    expect((err as Error).message).toContain('reelcast channels connect tiktok --account never-connected');
  });

  it('with a key set, the stored object does not contain the tokens in plain text', async () => {
    const { account } = await connected();
    await source(account).accessToken();
    const current = await store.read('tiktok', account);
    const raw = (await storage.getBuffer(tokenKeys('tiktok', account).tokens)).toString('utf8');
    expect(raw).toContain('"encryption": "aes-256-gcm"');
    expect(raw).toContain(account);
    for (const secret of [current!.accessToken, current!.refreshToken!]) expect(raw).not.toContain(secret);
  });
});
