import { createHash, randomBytes } from 'node:crypto';
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
  type PublishInput,
} from '../../../activities/publish';
import { TikTokChannel, TikTokOAuth, TIKTOK_SCOPES } from '../../../activities/publish/tiktok';
import {
  FAKE_TIKTOK_DEFAULTS,
  PRIVACY_LEVELS,
  startFakeTikTok,
  type FakeTikTok,
} from '../../fakes/tiktok/server';
import { MemoryTokenSource } from './memory-token-source';

const MiB = 1024 * 1024;
const storage = openStorage(loadConfig());
const ledger = new PublishLedger(storage);
/** Two real chunks (5 MiB and 7 MiB + 9) at the channel's 5 MiB chunk size. */
const big = randomBytes(12 * MiB + 9);
/** Under TikTok's 5 MB minimum: one chunk of its own size. */
const small = randomBytes(MiB + 3);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const bigKey = renditionKey(sha256(big).slice(0, 32), 'tiktok');
const smallKey = renditionKey(sha256(small).slice(0, 32), 'tiktok');
const longKey = renditionKey(sha256(Buffer.concat([small, Buffer.from('long')])).slice(0, 32), 'tiktok');
const minuteAndHalfKey = renditionKey(
  sha256(Buffer.concat([small, Buffer.from('90s')])).slice(0, 32),
  'tiktok',
);
let fake: FakeTikTok;
let seq = 0;

function oauth(): TikTokOAuth {
  return new TikTokOAuth({
    clientKey: FAKE_TIKTOK_DEFAULTS.clientKey,
    clientSecret: FAKE_TIKTOK_DEFAULTS.clientSecret,
    apiBaseUrl: fake.url,
    authBaseUrl: fake.url,
  });
}

/** A connected account `us-main`, as if `reelcast channels connect tiktok` had just run. */
function tokens(): MemoryTokenSource {
  const g = fake.grant();
  return new MemoryTokenSource(oauth(), 'us-main', {
    accessToken: g.accessToken,
    refreshToken: g.refreshToken,
    scopes: g.scopes,
  });
}

function tiktok(source = tokens(), overrides: Partial<ConstructorParameters<typeof TikTokChannel>[0]> = {}) {
  return new TikTokChannel({
    storage,
    tokens: source,
    apiBaseUrl: fake.url,
    chunkBytes: 5 * MiB,
    pollIntervalMs: 25,
    processingDeadlineMs: 5_000,
    ...overrides,
  });
}

const deps = (channel: TikTokChannel = tiktok()) => ({ storage, channels: new ChannelSet([channel]) });

function post(extra: Partial<PublishInput> = {}): PublishInput {
  seq++;
  return {
    postId: `summer-drop/2026-07-${String(seq).padStart(2, '0')}/evening`,
    channel: 'tiktok',
    renditionKey: smallKey,
    caption: `Summer drop, day ${seq} ☀️ #summer #sale`,
    ...extra,
  };
}

const failure = (p: Promise<unknown>) => p.then(() => undefined).catch((e: unknown) => e);

beforeAll(async () => {
  await storage.put(bigKey, big, { contentType: 'video/mp4' });
  await storage.put(smallKey, small, { contentType: 'video/mp4' });
  await storage.put(longKey, small, { contentType: 'video/mp4', metadata: { durationseconds: '700' } });
  await storage.put(minuteAndHalfKey, small, {
    contentType: 'video/mp4',
    metadata: { durationseconds: '90' },
  });
  fake = await startFakeTikTok({ processingMs: 60 });
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.reset();
  fake.configure({
    privacyLevelOptions: [...PRIVACY_LEVELS],
    commentDisabled: false,
    audited: true,
    accessTokenTtlSeconds: 86_400,
    processingMs: 60,
  });
});

describe('TikTok Login Kit against the fake TikTok', () => {
  it('connects through the authorize page, and every refresh rotates the refresh token', async () => {
    const provider = oauth();
    const verifier = randomBytes(32).toString('base64url');
    const url = provider.authorizeUrl({
      redirectUri: 'http://127.0.0.1:3455/callback/',
      state: 'st-1',
      scopes: TIKTOK_SCOPES,
      codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
    });
    expect(url).toMatch(
      /\/v2\/auth\/authorize\/\?client_key=fake-client-key&response_type=code&scope=user\.info\.basic%2Cvideo\.publish%2Cvideo\.list/,
    );
    const consent = await fetch(url, { redirect: 'manual' });
    const back = new URL(consent.headers.get('location')!);
    expect(back.searchParams.get('state')).toBe('st-1');

    const grant = await provider.exchangeCode({
      code: back.searchParams.get('code')!,
      redirectUri: 'http://127.0.0.1:3455/callback/',
      codeVerifier: verifier,
    });
    expect(grant).toMatchObject({ scopes: TIKTOK_SCOPES, remoteAccountId: FAKE_TIKTOK_DEFAULTS.openId });
    expect(grant.expiresInSeconds).toBe(86_400);

    const account = { platform: 'tiktok' as const, account: 'us-main', scopes: [], connectedAt: '' };
    const next = await provider.refresh({
      ...account,
      accessToken: grant.accessToken,
      refreshToken: grant.refreshToken,
    });
    expect(next.refreshToken).not.toBe(grant.refreshToken);
    // The used refresh token is dead: a token store that kept it would need a person to reconnect.
    const stale = await failure(
      provider.refresh({ ...account, accessToken: grant.accessToken, refreshToken: grant.refreshToken }),
    );
    expect(stale).toBeInstanceOf(ChannelAuthError);
    expect((stale as Error).message).toContain(
      'Reconnect the account: reelcast channels connect tiktok --account us-main;',
    );
  });
});

describe('publishing to TikTok (fake TikTok over HTTP, real S3)', () => {
  it('uploads in 5 MB+ chunks, byte-identical, private and labelled AI-generated, once', async () => {
    const input = post({ renditionKey: bigKey });
    fake.configure({ processingMs: 400 }); // long enough to be seen processing on a busy machine
    const steps: string[] = [];
    const out = await publishPost(deps(), input, { progress: (p) => steps.push(p.step) });

    expect(fake.posts).toHaveLength(1);
    const [published] = fake.posts;
    expect(published).toMatchObject({
      sha256: sha256(big),
      size: big.length,
      caption: input.caption,
      privacyLevel: 'SELF_ONLY',
      isAigc: true,
    });
    expect(published.postInfo).toMatchObject({ disable_comment: false, brand_content_toggle: false });
    expect(fake.requests.upload).toBe(2);
    // The int64 post id survives JSON intact.
    expect(out).toMatchObject({ remoteId: published.postId, reconciled: false, alreadyPublished: false });
    expect(out.url).toBe(
      `https://www.tiktok.com/@${FAKE_TIKTOK_DEFAULTS.username}/video/${published.postId}`,
    );
    expect(steps).toEqual(expect.arrayContaining(['check', 'upload', 'processing']));
    expect(await ledger.read(input.postId, 'tiktok')).toMatchObject({
      state: 'published',
      remoteId: published.postId,
    });

    expect(await publishPost(deps(), input)).toMatchObject({ alreadyPublished: true });
    expect(fake.requests.init).toBe(1);
  });

  it('keeps comments off when the creator switched them off in TikTok', async () => {
    fake.configure({ commentDisabled: true });
    await publishPost(deps(), post());
    expect(fake.posts[0].postInfo).toMatchObject({ disable_comment: true, is_aigc: true });
  });

  it('429 on init: retryable with the reset TikTok gave, claim released, then published once', async () => {
    const input = post();
    fake.inject({ endpoint: 'init', kind: 'rate-limit', resetInSeconds: 7 });
    const err = await failure(publishPost(deps(), input));
    expect(err).toBeInstanceOf(ChannelRateLimitedError);
    expect((err as ChannelRateLimitedError).retryAfterMs).toBe(7_000);
    expect(await ledger.read(input.postId, 'tiktok')).toBeUndefined();

    await publishPost(deps(), input);
    expect(fake.posts).toHaveLength(1);
  });

  it('503 from creator_info: retryable, nothing claimed; the retry publishes once', async () => {
    const input = post();
    fake.inject({ endpoint: 'creator-info', kind: 'unavailable' });
    const err = await failure(publishPost(deps(), input));
    expect(err).toBeInstanceOf(ChannelUnavailableError);
    expect(err).toMatchObject({ retryable: true, notPosted: true });
    await publishPost(deps(), input);
    expect(fake.posts).toHaveLength(1);
  });

  it('connection reset after TikTok accepted init: the retry starts a new upload, one post', async () => {
    const input = post();
    fake.inject({ endpoint: 'init', kind: 'reset-after-accept' });
    const err = await failure(publishPost(deps(), input));
    expect(err).toBeInstanceOf(ChannelUnavailableError);
    // TikTok has a publish_id with no bytes: it can never become a post.
    expect(fake.publishes.size).toBe(1);

    await publishPost(deps(tiktok()), input);
    await new Promise((r) => setTimeout(r, 200)); // the orphaned publish has time to (not) appear
    expect(fake.posts).toHaveLength(1);
    expect(fake.posts[0].sha256).toBe(sha256(small));
  });

  it('connection reset after the last chunk arrived: the retry polls that publish_id, no second post', async () => {
    const input = post({ renditionKey: bigKey });
    fake.inject({ endpoint: 'upload', kind: 'reset-after-accept', after: 1 });
    const err = await failure(publishPost(deps(), input));
    expect(err).toBeInstanceOf(ChannelUnavailableError);
    expect(err).toMatchObject({ retryable: true, notPosted: false });
    const claim = await ledger.read(input.postId, 'tiktok');
    expect(claim).toMatchObject({
      state: 'claimed',
      handle: { publishId: expect.stringMatching(/^v_pub_file/) },
    });

    // A new channel object: as after a worker restart, only the ledger remembers.
    const out = await publishPost(deps(tiktok()), input);
    expect(fake.posts).toHaveLength(1);
    expect(fake.requests.init).toBe(1);
    expect(fake.requests.upload).toBe(2);
    expect(out.remoteId).toBe(fake.posts[0].postId);
    expect(fake.posts[0].sha256).toBe(sha256(big));
  });

  it('upload cut midway: the retry continues the same upload from the chunk TikTok lacks', async () => {
    const input = post({ renditionKey: bigKey });
    fake.inject({ endpoint: 'upload', kind: 'cut-midway', after: 1 });
    const err = await failure(publishPost(deps(), input));
    expect(err).toMatchObject({ name: 'ChannelUnavailableError', notPosted: false });
    expect([...fake.publishes.values()][0].uploadedBytes).toBe(5 * MiB);

    await publishPost(deps(tiktok()), input);
    expect(fake.requests.init).toBe(1);
    expect(fake.requests.upload).toBe(3); // chunk 1, chunk 2 cut, chunk 2 again
    expect(fake.posts).toHaveLength(1);
    expect(fake.posts[0]).toMatchObject({ sha256: sha256(big), size: big.length });
  });

  it('processing past the deadline keeps the claim; a later retry finds the post, no second upload', async () => {
    const input = post();
    fake.configure({ processingMs: 1_500 });
    const err = await failure(publishPost(deps(tiktok(tokens(), { processingDeadlineMs: 300 })), input));
    expect(err).toBeInstanceOf(ChannelUnavailableError);
    expect((err as Error).message).toMatch(
      /still PROCESSING_(UPLOAD|DOWNLOAD) after 0\.3 s.*the retry checks the same upload/,
    );
    expect(err).toMatchObject({ notPosted: false });

    await publishPost(deps(), input);
    expect(fake.requests.init).toBe(1);
    expect(fake.posts).toHaveLength(1);
  });

  it.each([
    ['file_format_check_failed', MediaProcessingFailedError, /TikTok could not read the video file/],
    ['picture_size_check_failed', MediaProcessingFailedError, /1080x1920/],
    ['spam_risk_too_many_posts', ChannelContentRejectedError, /limit of posts for today/],
    ['auth_removed', ChannelAuthError, /removed Reelcast’s access/],
  ])('processing FAILED with %s: non-retryable, recorded with the reason', async (reason, type, text) => {
    const input = post();
    fake.inject({ endpoint: 'upload', kind: 'processing-failed', failReason: reason });
    const err = await failure(publishPost(deps(), input));
    expect(err).toBeInstanceOf(type);
    expect(NON_RETRYABLE_PUBLISH_ERRORS).toContain((err as Error).name);
    expect((err as Error).message).toMatch(text);
    expect(await ledger.read(input.postId, 'tiktok')).toBeUndefined();
    expect((await ledger.readFailure(input.postId, 'tiktok'))?.reason).toMatch(text);
    expect(fake.posts).toHaveLength(0);
  });

  it('processing FAILED because the account removed access: the reason names the reconnect command', async () => {
    fake.inject({ endpoint: 'upload', kind: 'processing-failed', failReason: 'auth_removed' });
    const err = await failure(publishPost(deps(), post()));
    expect((err as Error).message).toContain(
      'Reconnect the account: reelcast channels connect tiktok --account us-main;',
    );
  });

  it('processing FAILED with internal: retryable, and the retry uploads afresh', async () => {
    const input = post();
    fake.inject({ endpoint: 'upload', kind: 'processing-failed', failReason: 'internal' });
    const err = await failure(publishPost(deps(), input));
    expect(err).toMatchObject({ name: 'ChannelUnavailableError', retryable: true, notPosted: true });
    await publishPost(deps(), input);
    expect(fake.requests.init).toBe(2);
    expect(fake.posts).toHaveLength(1);
  });

  it.each([
    ['spam-risk', /limit of posts for today; replay the post tomorrow/],
    ['unaudited-client', /only privately until TikTok audits it: set the privacy level to SELF_ONLY/],
    ['privacy-level-mismatch', /privacy level is not one this TikTok account offers/],
  ] as const)('init refused with %s: non-retryable, the reason says what to do', async (kind, text) => {
    const input = post();
    fake.inject({ endpoint: 'init', kind });
    const err = await failure(publishPost(deps(), input));
    expect(err).toBeInstanceOf(ChannelContentRejectedError);
    expect((await ledger.readFailure(input.postId, 'tiktok'))?.reason).toMatch(text);
    expect(await ledger.read(input.postId, 'tiktok')).toBeUndefined();
    expect(fake.publishes.size).toBe(0);
  });

  it("refuses before uploading when the account does not offer the calendar's privacy level", async () => {
    fake.configure({ privacyLevelOptions: ['PUBLIC_TO_EVERYONE', 'FOLLOWER_OF_CREATOR'] });
    const err = await failure(publishPost(deps(), post()));
    expect(err).toBeInstanceOf(ChannelContentRejectedError);
    expect((err as Error).message).toMatch(
      /privacy level SELF_ONLY, but the TikTok account @reelcast_demo allows only PUBLIC_TO_EVERYONE, FOLLOWER_OF_CREATOR/,
    );
    expect(fake.requests.init).toBe(0);
  });

  it('refuses a clip longer than TikTok allows, before asking TikTok anything', async () => {
    const err = await failure(publishPost(deps(), post({ renditionKey: longKey })));
    expect(err).toBeInstanceOf(ChannelContentRejectedError);
    expect((err as Error).message).toMatch(/lasts 700 s; tiktok allows 600 s/);
    expect(fake.requests['creator-info'] ?? 0).toBe(0);
  });

  it('refuses a clip longer than this account may post (creator_info), before uploading', async () => {
    fake.configure({ maxVideoPostDurationSec: 60 });
    const err = await failure(publishPost(deps(), post({ renditionKey: minuteAndHalfKey })));
    expect(err).toBeInstanceOf(ChannelContentRejectedError);
    expect((err as Error).message).toMatch(
      /the clip lasts 90 s; the TikTok account @reelcast_demo can post at most 60 s/,
    );
    expect(fake.requests.init).toBe(0);
  });

  it('a caption over 2,200 characters is refused before anything is sent', async () => {
    const err = await failure(publishPost(deps(), post({ caption: 'é'.repeat(2201) })));
    expect(err).toBeInstanceOf(ChannelContentRejectedError);
    expect((err as Error).message).toMatch(/is 2201 of 2200 characters .* for tiktok/);
    expect(fake.requests['creator-info']).toBe(0);
  });

  it('an expired access token is refreshed once; the rotated refresh token is kept for next time', async () => {
    const source = tokens();
    const first = source.current.refreshToken;
    fake.inject({ endpoint: 'init', kind: 'access-token-expired' });
    await publishPost(deps(tiktok(source)), post());
    expect(source.refreshes).toBe(1);
    expect(source.current.refreshToken).not.toBe(first);
    expect(fake.posts).toHaveLength(1);

    // Expired again later: the newest refresh token works (the first one no longer would).
    fake.inject({ endpoint: 'creator-info', kind: 'access-token-expired' });
    await publishPost(deps(tiktok(source)), post());
    expect(source.refreshes).toBe(2);
    expect(fake.posts).toHaveLength(2);
    expect(fake.refreshTokens.get(first!)?.revoked).toBe(true);
  });

  it('an access token past its expires_in is refused by TikTok and refreshed', async () => {
    fake.configure({ accessTokenTtlSeconds: 1 });
    const source = tokens();
    await new Promise((r) => setTimeout(r, 1_100));
    await publishPost(deps(tiktok(source)), post());
    expect(source.refreshes).toBe(1);
    expect(fake.posts).toHaveLength(1);
  });

  it("TikTok's token endpoint down while refreshing: retryable, nothing claimed, then published", async () => {
    const input = post();
    fake.inject({ endpoint: 'creator-info', kind: 'access-token-expired' });
    fake.inject({ endpoint: 'token', kind: 'unavailable' });
    const err = await failure(publishPost(deps(), input));
    expect(err).toMatchObject({ name: 'ChannelUnavailableError', retryable: true });
    expect((err as Error).message).toMatch(/refresh the access token failed \(HTTP 503 internal_error/);
    expect(await ledger.read(input.postId, 'tiktok')).toBeUndefined();
    await publishPost(deps(), input);
    expect(fake.posts).toHaveLength(1);
  });

  it('revoked refresh token: non-retryable, naming the command that reconnects the account', async () => {
    const input = post();
    fake.inject({ endpoint: 'creator-info', kind: 'access-token-expired' });
    fake.inject({ endpoint: 'token', kind: 'refresh-token-revoked' });
    const err = await failure(publishPost(deps(), input));
    expect(err).toBeInstanceOf(ChannelAuthError);
    expect((err as Error).message).toContain(
      'Reconnect the account: reelcast channels connect tiktok --account us-main',
    );
    expect((await ledger.readFailure(input.postId, 'tiktok'))?.reason).toMatch(/reconnect the account/);
    expect(fake.publishes.size).toBe(0);
  });

  it('reconcile finds a public post by its caption within the window', async () => {
    const channel = tiktok();
    const request = {
      postId: 'x/2026-07-01/a',
      channel: 'tiktok' as const,
      caption: 'Public  summer\ndrop',
      renditionKey: smallKey,
      idempotencyKey: 'k',
      options: {
        tiktok: {
          privacyLevel: 'PUBLIC_TO_EVERYONE' as const,
          disableComment: false,
          disableDuet: false,
          disableStitch: false,
          brandContentToggle: false,
          brandOrganicToggle: false,
        },
      },
    };
    const since = new Date();
    const remote = await channel.publish(request, {
      progress: () => {},
      beforeCreate: async () => {},
      saveHandle: async () => {},
    });
    expect(fake.posts[0].privacyLevel).toBe('PUBLIC_TO_EVERYONE');
    const found = await channel.reconcile({ ...request, caption: 'Public summer drop' }, since, []);
    expect(found).toEqual({
      remoteId: remote.remoteId,
      url: `https://www.tiktok.com/@reelcast_demo/video/${remote.remoteId}`,
    });
    expect(await channel.reconcile(request, since, [remote.remoteId])).toBeUndefined();
    expect(await channel.reconcile({ ...request, caption: 'another' }, since, [])).toBeUndefined();
  });
});
