import { createHash, randomBytes } from 'node:crypto';
import { loadConfig } from '../../../config';
import { openStorage, renditionKey } from '../../../activities/storage';
import {
  AlreadyPublishedError,
  ChannelAuthError,
  ChannelContentRejectedError,
  ChannelRateLimitedError,
  ChannelSet,
  ChannelUnavailableError,
  DuplicateContentError,
  listPublishFailures,
  MediaProcessingFailedError,
  MediaProcessingTimeoutError,
  NON_RETRYABLE_PUBLISH_ERRORS,
  PublishClaimLostError,
  PublishLedger,
  publishPost,
  replayPublish,
  XChannel,
  type PublishInput,
} from '../../../activities/publish';
import { FAKE_X_DEFAULTS, startFakeX, type FakeX } from '../../fakes/x/server';
import { fakeXChannel } from './fake-x-channel';

const storage = openStorage(loadConfig());
const ledger = new PublishLedger(storage);
const bytes = randomBytes(9 * 1024 * 1024 + 17);
const rendition = renditionKey(createHash('sha256').update(bytes).digest('hex').slice(0, 32), 'x');
let fake: FakeX;
let seq = 0;

function xChannel(overrides: Parameters<typeof fakeXChannel>[2] = {}): XChannel {
  return fakeXChannel(storage, fake.url, { processingDeadlineMs: 8_000, ...overrides });
}

const deps = (channel = xChannel()) => ({ storage, channels: new ChannelSet([channel]) });

/** A fresh post id and caption per test, so tests never see each other's ledger or posts. */
function post(extra: Partial<PublishInput> = {}): PublishInput {
  seq++;
  return {
    postId: `spring-sale/2026-03-${String(seq).padStart(2, '0')}/morning`,
    channel: 'x',
    renditionKey: rendition,
    caption: `Spring sale starts now, day ${seq} 🌷 & everything 20% off https://example.com/sale`,
    ...extra,
  };
}

beforeAll(async () => {
  await storage.put(rendition, bytes, { contentType: 'video/mp4' });
  fake = await startFakeX();
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

describe('publishing to X (fake X API over HTTP, real S3)', () => {
  it('uploads the rendition in chunks, posts once, and records the remote id', async () => {
    const input = post();
    const steps: string[] = [];
    const out = await publishPost(deps(), input, { progress: (p) => steps.push(p.step) });
    expect(out).toMatchObject({ reconciled: false, alreadyPublished: false });
    expect(out.url).toBe(`https://x.com/${FAKE_X_DEFAULTS.username}/status/${out.remoteId}`);
    expect(fake.posts).toHaveLength(1);
    expect(fake.posts[0].media_sha256).toEqual([createHash('sha256').update(bytes).digest('hex')]);
    expect(fake.requests.append).toBe(3); // 9 MiB in 4 MiB chunks
    expect(fake.media.get(fake.posts[0].media_ids[0])?.category).toBe('tweet_video');
    expect(steps).toEqual(expect.arrayContaining(['check', 'upload', 'create']));
    expect(await ledger.read(input.postId, 'x')).toMatchObject({
      state: 'published',
      remoteId: out.remoteId,
    });

    const again = await publishPost(deps(), input);
    expect(again).toMatchObject({ remoteId: out.remoteId, alreadyPublished: true });
    expect(fake.requests.create).toBe(1);
  });

  it('429: fails retryable with the wait the API gave, without holding the claim', async () => {
    const input = post();
    fake.inject({ endpoint: 'create', kind: 'rate-limit', resetInSeconds: 5 });
    const err = await publishPost(deps(), input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelRateLimitedError);
    const limited = err as ChannelRateLimitedError;
    expect(limited.retryable).toBe(true);
    expect(limited.retryAfterMs).toBeGreaterThan(3_000);
    expect(limited.retryAfterMs).toBeLessThanOrEqual(5_000);
    expect(await ledger.read(input.postId, 'x')).toBeUndefined();
    expect(fake.posts).toHaveLength(0);
  });

  it('503 during upload is retried inside the attempt; the post goes out once', async () => {
    fake.inject({ endpoint: 'append', kind: 'unavailable' });
    await publishPost(deps(), post());
    expect(fake.requests.append).toBe(4);
    expect(fake.posts).toHaveLength(1);
  });

  it('503 on create keeps the claim; the retry looks first, then posts exactly once', async () => {
    const input = post();
    fake.inject({ endpoint: 'create', kind: 'unavailable' });
    const err = await publishPost(deps(), input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelUnavailableError);
    expect(err).toMatchObject({ retryable: true, notPosted: false });
    expect(await ledger.read(input.postId, 'x')).toMatchObject({ state: 'claimed' });

    const out = await publishPost(deps(), input);
    expect(out.reconciled).toBe(false);
    expect(fake.requests.timeline).toBe(1);
    expect(fake.posts).toHaveLength(1);
  });

  it('connection reset after X accepted the post: the retry reconciles and does not post again', async () => {
    const input = post();
    fake.inject({ endpoint: 'create', kind: 'reset-after-accept' });
    const err = await publishPost(deps(), input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelUnavailableError);
    expect(fake.posts).toHaveLength(1);

    // A new channel object: as after a worker restart, nothing is remembered in memory.
    const out = await publishPost(deps(xChannel()), input);
    expect(out).toMatchObject({ reconciled: true, remoteId: fake.posts[0].id, alreadyPublished: false });
    expect(fake.posts).toHaveLength(1);
    expect(fake.requests.create).toBe(1);
    expect(await ledger.read(input.postId, 'x')).toMatchObject({ state: 'published', reconciled: true });
  });

  it('401: non-retryable "reconnect the account", recorded for failures, replayable after', async () => {
    const input = post();
    fake.inject({ endpoint: 'me', kind: 'unauthorized' });
    const err = await publishPost(deps(), input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelAuthError);
    expect(NON_RETRYABLE_PUBLISH_ERRORS).toContain((err as Error).name);
    expect((err as Error).message).toMatch(/Reconnect the account: .*X_ACCESS_TOKEN/);
    expect(fake.requests.initialize).toBe(0);
    expect(await ledger.read(input.postId, 'x')).toBeUndefined();

    const failures = await listPublishFailures(ledger, { campaign: 'spring-sale' });
    expect(failures).toContainEqual(
      expect.objectContaining({
        postId: input.postId,
        channel: 'x',
        state: 'failed',
        errorName: 'ChannelAuthError',
      }),
    );
    expect(failures.find((f) => f.postId === input.postId)?.reason).toMatch(/reconnect the account/);

    // After the account is reconnected, replay needs only the post id: caption and rendition come from the ledger.
    const out = await replayPublish(deps(), { postId: input.postId, channel: 'x' });
    expect(out.alreadyPublished).toBe(false);
    expect(fake.posts).toHaveLength(1);
    expect(await ledger.readFailure(input.postId, 'x')).toBeUndefined();
  });

  it('403 duplicate content: reconciles with a matching recent post instead of failing', async () => {
    const input = post();
    // Someone posted the same caption by hand a moment ago.
    await xChannel().client.v2.tweet(input.caption);

    const out = await publishPost(deps(), input);
    expect(out).toMatchObject({ reconciled: true, remoteId: fake.posts[0].id });
    expect(fake.posts).toHaveLength(1);
  });

  it('403 duplicate content with no matching recent post: non-retryable, with the reason', async () => {
    const input = post();
    fake.inject({ endpoint: 'create', kind: 'duplicate' });
    const err = await publishPost(deps(), input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DuplicateContentError);
    expect(await ledger.readFailure(input.postId, 'x')).toMatchObject({ errorName: 'DuplicateContentError' });
    expect(await ledger.read(input.postId, 'x')).toBeUndefined();
  });

  it('slow processing: waits for it, polling STATUS', async () => {
    fake.inject({ endpoint: 'finalize', kind: 'slow-processing', processingMs: 2_500 });
    const started = Date.now();
    await publishPost(deps(), post());
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_500);
    expect(fake.requests.status).toBeGreaterThanOrEqual(3);
    expect(fake.posts).toHaveLength(1);
  });

  it('processing past the deadline: retryable, nothing posted, claim released', async () => {
    const input = post();
    fake.inject({ endpoint: 'finalize', kind: 'slow-processing', processingMs: 30_000 });
    const err = await publishPost(deps(xChannel({ processingDeadlineMs: 1_500 })), input).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MediaProcessingTimeoutError);
    expect(err).toMatchObject({ retryable: true });
    expect(await ledger.read(input.postId, 'x')).toBeUndefined();
    expect(fake.posts).toHaveLength(0);
  });

  it('failed processing: non-retryable with the platform reason', async () => {
    const input = post();
    fake.inject({ endpoint: 'finalize', kind: 'failed-processing' });
    const err = await publishPost(deps(), input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaProcessingFailedError);
    expect((await ledger.readFailure(input.postId, 'x'))?.reason).toMatch(/Unsupported video format/);
  });

  it('a caption over 280 weighted characters is refused before anything is sent or claimed', async () => {
    const input = post({ caption: '春'.repeat(141) }); // CJK counts double on X
    const err = await publishPost(deps(), input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelContentRejectedError);
    expect((err as Error).message).toMatch(/is 282 of 280 weighted characters .* for x/);
    expect(fake.requests.me + fake.requests.initialize).toBe(0);
    expect(await ledger.read(input.postId, 'x')).toBeUndefined();
  });

  it('replay refuses an already-published channel unless forced; forced keeps the history', async () => {
    const input = post();
    const first = await publishPost(deps(), input);
    const refused = await replayPublish(deps(), { postId: input.postId, channel: 'x' }).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(AlreadyPublishedError);
    expect((refused as Error).message).toMatch(/--force/);

    const forced = await replayPublish(deps(), {
      postId: input.postId,
      channel: 'x',
      caption: `${input.caption} (again)`,
      force: true,
    });
    expect(forced.remoteId).not.toBe(first.remoteId);
    expect(fake.posts).toHaveLength(2);
    expect((await ledger.read(input.postId, 'x'))?.history).toEqual([
      expect.objectContaining({ remoteId: first.remoteId }),
    ]);
  });

  it('a stale attempt whose claim was taken over stops before posting', async () => {
    const input = post();
    fake.inject({ endpoint: 'finalize', kind: 'slow-processing', processingMs: 1_500 });
    const stale = publishPost(deps(), input, { attemptId: 'attempt-1' }).catch((e: unknown) => e);
    // While attempt 1 waits for processing, a retry (attempt 2) takes the claim over.
    for (let i = 0; i < 50 && !(await ledger.read(input.postId, 'x')); i++)
      await new Promise((r) => setTimeout(r, 50));
    const entry = (await ledger.readVersioned(input.postId, 'x'))!;
    await ledger.takeOver(entry, { attemptId: 'attempt-2', caption: input.caption, renditionKey: rendition });
    expect(await stale).toBeInstanceOf(PublishClaimLostError);
    expect(fake.posts).toHaveLength(0);
    expect(await ledger.read(input.postId, 'x')).toMatchObject({ state: 'claimed', attemptId: 'attempt-2' });
  });
});
