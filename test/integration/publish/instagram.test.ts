import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../../config';
import { openStorage, renditionKey } from '../../../activities/storage';
import {
  ChannelAuthError,
  ChannelContentRejectedError,
  ChannelRateLimitedError,
  ChannelSet,
  ChannelUnavailableError,
  MediaProcessingFailedError,
  NON_RETRYABLE_PUBLISH_ERRORS,
  PublishLedger,
  publishPost,
  type Channel,
  type PublishInput,
  type PublishRequest,
} from '../../../activities/publish';
import type { AccountTokens, TokenSource } from '../../../activities/publish/accounts';
import {
  InstagramChannel,
  InstagramOAuth,
  type InstagramChannelOptions,
} from '../../../activities/publish/instagram';
import {
  FAKE_INSTAGRAM_DEFAULTS,
  startFakeInstagram,
  type FakeInstagram,
} from '../../fakes/instagram/server';

const storage = openStorage(loadConfig());
const ledger = new PublishLedger(storage);
const bytes = randomBytes(9 * 1024 * 1024 + 17);
const sha256 = createHash('sha256').update(bytes).digest('hex');
const rendition = renditionKey(sha256.slice(0, 32), 'reels');
const DAY = 24 * 3600_000;
let fake: FakeInstagram;
let seq = 0;

function oauth(): InstagramOAuth {
  return new InstagramOAuth({
    appId: FAKE_INSTAGRAM_DEFAULTS.appId,
    appSecret: FAKE_INSTAGRAM_DEFAULTS.appSecret,
    authorizeBaseUrl: fake.url,
    apiBaseUrl: fake.url,
    graphBaseUrl: fake.url,
    apiVersion: fake.version,
  });
}

/**
 * A token store for one account, in memory: refreshes through InstagramOAuth against the fake,
 * like the real token store will (which also persists and serialises refreshes).
 */
class MemoryTokens implements TokenSource {
  readonly platform = 'instagram' as const;
  refreshes = 0;
  tokens: AccountTokens;

  constructor(readonly account = 'us-main') {
    this.tokens = {
      platform: 'instagram',
      account,
      accessToken: FAKE_INSTAGRAM_DEFAULTS.accessToken,
      expiresAt: new Date(Date.now() + 60 * DAY).toISOString(),
      scopes: ['instagram_business_basic', 'instagram_business_content_publish'],
      connectedAt: new Date().toISOString(),
    };
  }

  async accessToken(): Promise<string> {
    return this.tokens.accessToken;
  }

  async refreshAfterRejection(rejected: string): Promise<string> {
    if (rejected !== this.tokens.accessToken) return this.tokens.accessToken;
    const grant = await oauth().refresh(this.tokens);
    this.refreshes++;
    this.tokens = {
      ...this.tokens,
      accessToken: grant.accessToken,
      expiresAt: new Date(Date.now() + (grant.expiresInSeconds ?? 0) * 1000).toISOString(),
      refreshedAt: new Date().toISOString(),
    };
    return grant.accessToken;
  }
}

function reels(overrides: Partial<InstagramChannelOptions> = {}): InstagramChannel {
  return new InstagramChannel({
    storage,
    tokens: new MemoryTokens(),
    graphBaseUrl: fake.url,
    uploadBaseUrl: fake.url,
    apiVersion: fake.version,
    pollIntervalMs: 50,
    processingDeadlineMs: 5_000,
    reconcileWindowMs: 60_000,
    retryBaseMs: 20,
    ...overrides,
  });
}

/**
 * The calendar's per-platform settings, added to each request. PublishInput has no field for
 * them yet: this stands in for publishPost passing them on.
 */
function withSettings(channel: Channel, settings: Pick<PublishRequest, 'aiGenerated' | 'options'>): Channel {
  return Object.assign(Object.create(channel) as Channel, {
    publish: (request: PublishRequest, context: Parameters<Channel['publish']>[1]) =>
      channel.publish({ ...request, ...settings }, context),
  });
}

const deps = (channel: Channel = reels()) => ({ storage, channels: new ChannelSet([channel]) });

function post(extra: Partial<PublishInput> = {}): PublishInput {
  seq++;
  return {
    postId: `spring-sale/2026-04-${String(seq).padStart(2, '0')}/morning`,
    channel: 'reels',
    renditionKey: rendition,
    caption: `Spring sale, day ${seq} 🌷 everything 20% off #spring #sale @reelcast_demo`,
    ...extra,
  };
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

beforeAll(async () => {
  await storage.put(rendition, bytes, { contentType: 'video/mp4' });
  fake = await startFakeInstagram();
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

describe('publishing Instagram Reels (fake Instagram Platform over HTTP, real S3)', () => {
  it('uploads the rendition, publishes one reel with the AI label and share to feed, records it', async () => {
    const input = post();
    const steps: string[] = [];
    const out = await publishPost(deps(), input, { progress: (p) => steps.push(p.step) });
    expect(fake.reels).toHaveLength(1);
    const [reel] = fake.reels;
    expect(reel).toMatchObject({
      sha256,
      size: bytes.length,
      caption: input.caption,
      aiGenerated: true,
      shareToFeed: true,
    });
    expect(out).toMatchObject({
      remoteId: reel.id,
      url: reel.permalink,
      reconciled: false,
      alreadyPublished: false,
    });
    expect(steps).toEqual(expect.arrayContaining(['check', 'upload', 'processing', 'create']));
    expect(await ledger.read(input.postId, 'reels')).toMatchObject({ state: 'published', remoteId: reel.id });

    expect(await publishPost(deps(), input)).toMatchObject({ remoteId: reel.id, alreadyPublished: true });
    expect(fake.requests.publish).toBe(1);
  });

  it("sends the calendar's settings: no share to feed, no AI label when the policy says so", async () => {
    await publishPost(
      deps(withSettings(reels(), { aiGenerated: false, options: { instagram: { shareToFeed: false } } })),
      post(),
    );
    expect(fake.reels[0]).toMatchObject({ aiGenerated: false, shareToFeed: false, sha256 });
  });

  it('with public storage, Instagram fetches the video from a presigned link instead of an upload', async () => {
    const channel = reels({ publicVideoUrl: (key) => storage.urlFor(key, 600) });
    await publishPost(deps(channel), post());
    expect(fake.requests.upload).toBe(0);
    expect(fake.reels).toHaveLength(1);
    expect(fake.reels[0]).toMatchObject({ sha256, size: bytes.length });
    expect([...fake.containers.values()][0]).toMatchObject({ upload: 'video_url' });
  });

  it('a caption with 31 hashtags is refused before anything is uploaded, with the reason', async () => {
    const tags = Array.from({ length: 31 }, (_, i) => `#tag${i}`).join(' ');
    const input = post({ caption: `Spring sale ${tags}` });
    const err = await failure(publishPost(deps(), input));
    expect(err).toBeInstanceOf(ChannelContentRejectedError);
    expect((err as Error).message).toMatch(/has 31 hashtags; at most 30 are allowed for reels/);
    expect(fake.requests.create).toBe(0);
    expect(await ledger.readFailure(input.postId, 'reels')).toMatchObject({
      errorName: 'ChannelContentRejectedError',
    });
  });

  it('rate limited (code 17): retryable with the wait Meta gave, no claim held; the retry publishes once', async () => {
    const input = post();
    fake.inject({ endpoint: 'create', kind: 'rate-limit', code: 17, regainMinutes: 2 });
    const err = await failure(publishPost(deps(), input));
    expect(err).toBeInstanceOf(ChannelRateLimitedError);
    expect((err as ChannelRateLimitedError).retryAfterMs).toBeGreaterThan(100_000);
    expect((err as ChannelRateLimitedError).retryAfterMs).toBeLessThanOrEqual(120_000);
    expect(await ledger.read(input.postId, 'reels')).toBeUndefined();

    await publishPost(deps(), input);
    expect(fake.reels).toHaveLength(1);
  });

  it('a 5xx during the upload is retried inside the attempt; the reel is byte-identical', async () => {
    fake.inject({ endpoint: 'upload', kind: 'unavailable' });
    await publishPost(deps(), post());
    expect(fake.requests.upload).toBe(2);
    expect(fake.reels).toHaveLength(1);
    expect(fake.reels[0].sha256).toBe(sha256);
  });

  it('an upload cut midway continues at the offset Instagram reports, not from the start', async () => {
    const cut = 3 * 1024 * 1024 + 5;
    fake.inject({ endpoint: 'upload', kind: 'upload-cut', cutAfterBytes: cut });
    await publishPost(deps(), post());
    const [container] = fake.containers.values();
    expect(container.offsets).toEqual([0, cut]);
    expect(fake.reels).toHaveLength(1);
    expect(fake.reels[0].sha256).toBe(sha256);
  });

  it('connection reset after Instagram created the container: a new container, one reel', async () => {
    fake.inject({ endpoint: 'create', kind: 'reset-after-accept' });
    await publishPost(deps(), post());
    expect(fake.containers.size).toBe(2); // the orphan expires unpublished
    expect(fake.reels).toHaveLength(1);
  });

  it('connection reset after media_publish was accepted: the retry finds the reel and does not publish again', async () => {
    const input = post();
    fake.inject({ endpoint: 'publish', kind: 'reset-after-accept' });
    const err = await failure(publishPost(deps(), input));
    expect(err).toBeInstanceOf(ChannelUnavailableError);
    expect(err).toMatchObject({ retryable: true, notPosted: false });
    expect(await ledger.read(input.postId, 'reels')).toMatchObject({
      state: 'claimed',
      handle: { containerId: expect.any(String) },
    });

    // A new channel object: as after a worker restart, nothing is remembered in memory.
    const out = await publishPost(deps(reels()), input);
    expect(out).toMatchObject({ reconciled: true, remoteId: fake.reels[0].id });
    expect(fake.reels).toHaveLength(1);
    expect(fake.requests.publish).toBe(1);
  });

  it('a retry that holds a published container looks the reel up instead of publishing it again', async () => {
    const input = post();
    fake.inject({ endpoint: 'publish', kind: 'reset-after-accept' });
    await failure(publishPost(deps(), input));
    const claim = (await ledger.read(input.postId, 'reels'))!;
    // Straight to the channel with the saved handle, as publishPost does after a takeover.
    const channel = reels();
    const out = await channel.publish(
      {
        postId: input.postId,
        channel: 'reels',
        caption: input.caption,
        renditionKey: rendition,
        idempotencyKey: 'k',
      },
      { progress: () => {}, beforeCreate: async () => {}, saveHandle: async () => {}, handle: claim.handle },
    );
    expect(out.remoteId).toBe(fake.reels[0].id);
    expect(fake.reels).toHaveLength(1);
    expect(fake.requests.create).toBe(1);
  });

  it('"object does not exist" (code 100, subcode 33) while the container finishes is never final', async () => {
    fake.inject({ endpoint: 'status', kind: 'read-not-ready', times: 3 });
    await publishPost(deps(), post());
    expect(fake.reels).toHaveLength(1);
    expect(fake.requests.status).toBeGreaterThanOrEqual(4);
  });

  it('container ERROR for the video format: non-retryable, says what to check, nothing published', async () => {
    const input = post();
    fake.inject({ endpoint: 'status', kind: 'container-error', subcode: 2207026 });
    const err = await failure(publishPost(deps(), input));
    expect(err).toBeInstanceOf(MediaProcessingFailedError);
    expect(NON_RETRYABLE_PUBLISH_ERRORS).toContain((err as Error).name);
    expect((err as Error).message).toMatch(
      /does not accept the video format: check the rendition against the reels preset/,
    );
    expect(await ledger.readFailure(input.postId, 'reels')).toMatchObject({
      errorName: 'MediaProcessingFailedError',
    });
    expect(fake.reels).toHaveLength(0);
  });

  it('container ERROR from an Instagram server error: a new container, published once', async () => {
    fake.inject({ endpoint: 'status', kind: 'container-error', subcode: 2207001 });
    await publishPost(deps(), post());
    expect(fake.containers.size).toBe(2);
    expect(fake.reels).toHaveLength(1);
  });

  it('still processing at the deadline: the claim keeps the container and the retry publishes it without a new upload', async () => {
    const input = post();
    fake.inject({ endpoint: 'create', kind: 'slow-processing', processingMs: 1_500 });
    const err = await failure(publishPost(deps(reels({ processingDeadlineMs: 300 })), input));
    expect(err).toBeInstanceOf(ChannelUnavailableError);
    expect((err as Error).message).toMatch(/still processing after/);
    expect(await ledger.read(input.postId, 'reels')).toMatchObject({
      state: 'claimed',
      handle: { containerId: expect.any(String) },
    });

    await sleep(1_300);
    await publishPost(deps(), input);
    expect(fake.reels).toHaveLength(1);
    expect(fake.requests.create).toBe(1);
    expect(fake.requests.upload).toBe(1);
  });

  it('the kept container EXPIRED before the retry: the retry uploads a new one and publishes once', async () => {
    const input = post();
    fake.inject({ endpoint: 'create', kind: 'slow-processing', processingMs: 60_000 });
    await failure(publishPost(deps(reels({ processingDeadlineMs: 200 })), input));
    fake.advanceClock(25 * 3600_000); // Instagram drops unpublished containers after 24 h

    await publishPost(deps(), input);
    const statuses = [...fake.containers.values()].map((c) => c.status);
    expect(statuses).toEqual(['EXPIRED', 'PUBLISHED']);
    expect(fake.reels).toHaveLength(1);
    expect(fake.reels[0].sha256).toBe(sha256);
  });

  it('publishing limit reached: retryable until the oldest reel leaves the 24-hour window, nothing uploaded', async () => {
    await publishPost(deps(), post());
    fake.quotaTotal = 1;
    const input = post();
    const err = await failure(publishPost(deps(), input));
    expect(err).toBeInstanceOf(ChannelRateLimitedError);
    const expected = Date.parse(fake.reels[0].timestamp) + DAY;
    expect(Math.abs((err as ChannelRateLimitedError).resetAt.getTime() - expected)).toBeLessThan(2 * 60_000);
    expect(fake.requests.create).toBe(1);
    expect(await ledger.read(input.postId, 'reels')).toBeUndefined();
  });

  it('media_publish refused for the publishing limit (reached meanwhile): retryable, claim released', async () => {
    const input = post();
    fake.inject({ endpoint: 'publish', kind: 'publishing-limit' });
    const err = await failure(publishPost(deps(), input));
    expect(err).toBeInstanceOf(ChannelRateLimitedError);
    expect(await ledger.read(input.postId, 'reels')).toBeUndefined();
    expect(fake.reels).toHaveLength(0);
  });

  it('an expired access token (190) is refreshed once and the publish goes on', async () => {
    fake.advanceClock(2 * DAY); // Instagram refreshes only tokens at least 24 h old
    const tokens = new MemoryTokens();
    fake.inject({ endpoint: 'create', kind: 'expired-token' });
    await publishPost(deps(reels({ tokens })), post());
    expect(tokens.refreshes).toBe(1);
    expect(tokens.tokens.accessToken).not.toBe(FAKE_INSTAGRAM_DEFAULTS.accessToken);
    expect(fake.requests.refresh).toBe(1);
    expect(fake.reels).toHaveLength(1);
  });

  it('a revoked token: non-retryable, names the command to reconnect the account', async () => {
    const input = post();
    fake.inject({ endpoint: 'me', kind: 'revoked-token' });
    const err = await failure(publishPost(deps(reels({ tokens: new MemoryTokens('us-main') })), input));
    expect(err).toBeInstanceOf(ChannelAuthError);
    expect((err as Error).message).toContain('reelcast channels connect instagram --account us-main');
    expect((err as Error).message).not.toContain(FAKE_INSTAGRAM_DEFAULTS.accessToken);
    expect(fake.requests.create).toBe(0);
    expect(await ledger.readFailure(input.postId, 'reels')).toMatchObject({ errorName: 'ChannelAuthError' });
  });
});

describe('connecting an Instagram account (Business Login against the fake)', () => {
  it('code → short-lived → long-lived token with the account id and name; refresh after 24 h', async () => {
    const provider = oauth();
    const redirectUri = 'http://127.0.0.1:9/callback';
    const url = provider.authorizeUrl({ redirectUri, state: 's1', scopes: [], codeChallenge: 'unused' });
    expect(url).toContain('scope=instagram_business_basic%2Cinstagram_business_content_publish');
    const back = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!);
    expect(back.searchParams.get('state')).toBe('s1');

    const grant = await provider.exchangeCode({
      code: `${back.searchParams.get('code')}#_`,
      redirectUri,
      codeVerifier: 'v',
    });
    expect(grant).toMatchObject({
      remoteAccountId: FAKE_INSTAGRAM_DEFAULTS.userId,
      remoteAccountName: FAKE_INSTAGRAM_DEFAULTS.username,
      expiresInSeconds: 60 * 24 * 3600,
    });
    expect(grant.refreshToken).toBeUndefined();

    const stored: AccountTokens = {
      platform: 'instagram',
      account: 'jp-main',
      accessToken: grant.accessToken,
      scopes: grant.scopes ?? [],
      connectedAt: new Date().toISOString(),
    };
    // Younger than 24 h: Instagram says no, and that is no reason to reconnect.
    const young = await failure(provider.refresh(stored));
    expect(young).toBeInstanceOf(Error);
    expect(young).not.toBeInstanceOf(ChannelAuthError);

    fake.advanceClock(2 * DAY);
    const renewed = await provider.refresh(stored);
    expect(renewed.accessToken).not.toBe(grant.accessToken);
    expect(renewed.expiresInSeconds).toBe(60 * 24 * 3600);
  });

  it('an expired token cannot be renewed: ChannelAuthError naming the reconnect command', async () => {
    const err = await failure(
      oauth().refresh({
        platform: 'instagram',
        account: 'jp-main',
        accessToken: FAKE_INSTAGRAM_DEFAULTS.accessToken,
        expiresAt: new Date(Date.now() - 1000).toISOString(),
        scopes: [],
        connectedAt: new Date(Date.now() - 61 * DAY).toISOString(),
      }),
    );
    expect(err).toBeInstanceOf(ChannelAuthError);
    expect((err as Error).message).toContain('reelcast channels connect instagram --account jp-main');
  });
});
