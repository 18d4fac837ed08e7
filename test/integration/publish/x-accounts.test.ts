import { createHash, randomBytes } from 'node:crypto';
import { ChannelAuthError, openChannels, publishPost, type PublishInput } from '../../../activities/publish';
import { TokenStore, xAccountTokens } from '../../../activities/publish/tokens';
import { openStorage, renditionKey } from '../../../activities/storage';
import { loadConfig } from '../../../config';
import { FAKE_X_DEFAULTS, startFakeX, type FakeX } from '../../fakes/x/server';

/**
 * X accounts as the worker's channels see them (openChannels from the config, tokens in the token
 * store in the real S3), against the fake X: what a person reads when X refuses an account, and
 * that connecting it again takes effect without restarting the worker.
 */
const base = loadConfig();
const storage = openStorage(base);
const store = new TokenStore(storage);
const bytes = randomBytes(64 * 1024);
const rendition = renditionKey(createHash('sha256').update(bytes).digest('hex').slice(0, 32), 'x');
let fake: FakeX;
let seq = 0;

function liveConfig(extra: Record<string, string> = {}) {
  return loadConfig({
    env: {
      ...(process.env as Record<string, string>),
      REELCAST_DELIVERY: 'live',
      X_API_BASE_URL: fake.url,
      X_APP_KEY: FAKE_X_DEFAULTS.appKey,
      X_APP_SECRET: FAKE_X_DEFAULTS.appSecret,
      ...extra,
    },
  });
}

function post(account: string): PublishInput {
  seq++;
  return {
    postId: `x-accounts-${process.pid}/2026-03-${String(seq).padStart(2, '0')}/morning`,
    channel: 'x',
    renditionKey: rendition,
    caption: `Account check ${process.pid}-${seq}`,
    account,
  };
}

beforeAll(async () => {
  await storage.put(rendition, bytes, { contentType: 'video/mp4' });
  fake = await startFakeX();
});
afterAll(() => fake.close());

describe('named X accounts on a running worker', () => {
  it('a stored account X refuses names its connect command; connected again, the next publish uses the new tokens', async () => {
    const account = `brand-${process.pid}`;
    const now = new Date();
    await store.save(
      xAccountTokens(
        account,
        { accessToken: 'revoked-token', accessSecret: 'revoked-secret' },
        undefined,
        now,
      ),
    );
    // One channel set for both publishes, as one worker keeps it.
    const deps = { storage, channels: openChannels(liveConfig(), storage) };

    const refused = (await publishPost(deps, post(account)).catch((e: unknown) => e)) as Error;
    expect(refused).toBeInstanceOf(ChannelAuthError);
    expect(refused.message).toContain(`reelcast channels connect x --account ${account}`);
    expect(refused.message).not.toMatch(/X_ACCESS_TOKEN|revoked-/);
    expect(fake.posts).toHaveLength(0);

    // The person runs the connect command with the account's new tokens.
    await store.save(
      xAccountTokens(
        account,
        { accessToken: FAKE_X_DEFAULTS.accessToken, accessSecret: FAKE_X_DEFAULTS.accessSecret },
        { id: FAKE_X_DEFAULTS.userId, username: FAKE_X_DEFAULTS.username },
        now,
      ),
    );
    const out = await publishPost(deps, post(account));
    expect(fake.posts.map((p) => p.id)).toEqual([out.remoteId]);
  });

  it('the default account from the environment is told to set X_ACCESS_TOKEN and X_ACCESS_SECRET', async () => {
    const config = liveConfig({ X_ACCESS_TOKEN: 'revoked-token', X_ACCESS_SECRET: 'revoked-secret' });
    const deps = { storage, channels: openChannels(config, storage) };
    const refused = (await publishPost(deps, post('default')).catch((e: unknown) => e)) as Error;
    expect(refused).toBeInstanceOf(ChannelAuthError);
    expect(refused.message).toMatch(/X_ACCESS_TOKEN and X_ACCESS_SECRET/);
    expect(refused.message).not.toContain('reelcast channels connect');
  });
});
