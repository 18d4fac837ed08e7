import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../config';
import { FsStorage, openStorage, renditionKey, type ObjectStorage } from '../../../activities/storage';
import {
  ChannelSet,
  createPublishActivities,
  PostedTwiceError,
  PublishLedger,
  SEND_LEASE_MS,
  type PublishInput,
} from '../../../activities/publish';
import { startFakeX, type FakeX } from '../../fakes/x/server';
import { fakeXChannel } from './fake-x-channel';

/**
 * Two publish attempts of one (post, channel) that both find the same stale claim (a zombie
 * attempt still running while its retry starts, say): the ledger's compare-and-swap lets exactly
 * one take it over and post. On the real S3 server and on local files, with the fake X API.
 */
const config = loadConfig();
const fsRoot = mkdtempSync(join(tmpdir(), 'reelcast-ledger-race-'));
const kinds: Array<[string, () => ObjectStorage]> = [
  ['s3', () => openStorage(config)],
  ['fs', () => new FsStorage(fsRoot)],
];
const bytes = randomBytes(2 * 1024 * 1024 + 11);
const rendition = renditionKey(createHash('sha256').update(bytes).digest('hex').slice(0, 40), 'x');
const run = Date.now().toString(36);
let fake: FakeX;
let seq = 0;

beforeAll(async () => {
  fake = await startFakeX();
});
afterAll(async () => {
  await fake.close();
  rmSync(fsRoot, { recursive: true, force: true });
});
beforeEach(() => fake.reset());

describe.each(kinds)('%s ledger: two attempts, one stale claim', (kind, open) => {
  const storage = open();
  const ledger = new PublishLedger(storage);
  beforeAll(() => storage.put(rendition, bytes, { contentType: 'video/mp4' }));

  function post(): PublishInput {
    seq++;
    return {
      postId: `race-${run}/2026-06-${String(seq).padStart(2, '0')}/${kind}`,
      channel: 'x',
      renditionKey: rendition,
      caption: `Summer drop ${seq} on ${kind} ☀️`,
    };
  }

  /** A claim left by attempt 1, which died (or hangs) before posting: nothing is on X. */
  async function staleClaim(input: PublishInput): Promise<void> {
    const claimed = await ledger.claim(
      { ...input, attemptId: 'wf/run/publish/1' },
      new Date(Date.now() - 5 * 60_000),
    );
    expect(claimed.claimed).toBe(true);
  }

  it('both take the claim over at once: exactly one wins; the other can neither save a handle nor release', async () => {
    const input = post();
    await staleClaim(input);
    const [readA, readB] = await Promise.all([
      ledger.readVersioned(input.postId, 'x'),
      ledger.readVersioned(input.postId, 'x'),
    ]);
    const fields = (attemptId: string) => ({ attemptId, caption: input.caption, renditionKey: rendition });
    const [a, b] = await Promise.all([
      ledger.takeOver(readA!, fields('attempt-a')),
      ledger.takeOver(readB!, fields('attempt-b')),
    ]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    const winner = (a ?? b)!.attemptId;
    const loser = winner === 'attempt-a' ? 'attempt-b' : 'attempt-a';

    expect(await ledger.holds(input.postId, 'x', winner)).toBe(true);
    expect(await ledger.holds(input.postId, 'x', loser)).toBe(false);
    expect(await ledger.saveHandle(input.postId, 'x', loser, { mediaId: 'loser' })).toBe(false);
    await ledger.release(input.postId, 'x', loser);
    expect(await ledger.saveHandle(input.postId, 'x', winner, { mediaId: 'winner' })).toBe(true);
    expect(await ledger.read(input.postId, 'x')).toMatchObject({
      state: 'claimed',
      attemptId: winner,
      handle: { mediaId: 'winner' },
      // The takeover keeps the first claim's time: reconcile looks back to attempt 1.
      claimedAt: readA!.entry.claimedAt,
    });
  });

  let publishToChannel: ReturnType<typeof createPublishActivities>['publishToChannel'];
  beforeAll(() => {
    ({ publishToChannel } = createPublishActivities({
      config,
      storage,
      channels: new ChannelSet([fakeXChannel(storage, fake.url)]),
    }));
  });
  // The losing attempt's failure is expected: only errors are logged.
  const attempt = (n: number) =>
    new MockActivityEnvironment({ attempt: n }, { logger: new DefaultLogger('ERROR') });

  it('two publishToChannel attempts at once with a stale claim: X gets one upload and one post', async () => {
    const input = post();
    await staleClaim(input);
    // Attempt 2 timed out (its heartbeat was late) but still runs; attempt 3 is its retry.
    const results = await Promise.allSettled([
      attempt(2).run(publishToChannel, input),
      attempt(3).run(publishToChannel, input),
    ]);

    expect(fake.posts).toHaveLength(1);
    expect(fake.requests.create).toBe(1);
    expect(fake.requests.initialize).toBe(1);
    const done = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(done).toHaveLength(1);
    expect(done[0].value).toMatchObject({ remoteId: fake.posts[0].id, alreadyPublished: false });
    expect(lost).toHaveLength(1);
    expect(lost[0].reason).toBeInstanceOf(ApplicationFailure);
    expect(lost[0].reason).toMatchObject({ type: 'PublishClaimLostError', nonRetryable: false });
    expect((lost[0].reason as Error).message).toMatch(/another attempt took over the publish/);
    expect(await ledger.read(input.postId, 'x')).toMatchObject({
      state: 'published',
      remoteId: fake.posts[0].id,
    });

    // The loser's retry finds the post recorded and sends nothing.
    const retry = await attempt(4).run(publishToChannel, input);
    expect(retry).toMatchObject({ remoteId: fake.posts[0].id, alreadyPublished: true });
    expect(fake.requests.create).toBe(1);
  });

  it('a claim whose holder is sending the post right now is left to it: the retry comes after its call ends', async () => {
    const input = post();
    await ledger.claim({ ...input, attemptId: 'wf/run/publish/1' });
    // Attempt 1 is between its create call and X's answer (a zombie, to Temporal).
    expect(await ledger.markSending(input.postId, 'x', 'wf/run/publish/1')).toBe(true);
    const err = await attempt(2)
      .run(publishToChannel, input)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'PublishInProgressError', nonRetryable: false });
    // Temporal retries once attempt 1's call has certainly ended (X's requests time out in 60 s).
    const { nextRetryDelay } = err as ApplicationFailure;
    expect(nextRetryDelay).toBeGreaterThan(SEND_LEASE_MS - 30_000);
    expect(nextRetryDelay).toBeLessThanOrEqual(SEND_LEASE_MS);
    expect(fake.requests.initialize).toBe(0);
    expect(fake.posts).toHaveLength(0);
    expect(await ledger.holds(input.postId, 'x', 'wf/run/publish/1')).toBe(true);
  });

  it('a post that went out after its claim was taken over is recorded, and the newer attempt stops', async () => {
    const input = post();
    await ledger.claim({ ...input, attemptId: 'slow' });
    const held = (await ledger.read(input.postId, 'x'))!;
    const newer = await ledger.takeOver((await ledger.readVersioned(input.postId, 'x'))!, {
      attemptId: 'newer',
      caption: input.caption,
      renditionKey: rendition,
    });
    expect(newer).toBeDefined();
    // The slow attempt had passed its last check and posted; its result still lands in the ledger.
    const done = await ledger.complete(held, { remoteId: '1001', url: 'https://x.com/a/status/1001' }, false);
    expect(done).toMatchObject({ state: 'published', remoteId: '1001' });
    expect(await ledger.holds(input.postId, 'x', 'newer')).toBe(false);
    expect(await ledger.saveHandle(input.postId, 'x', 'newer', { mediaId: 'm' })).toBe(false);
    // Recording it again (a lost answer, retried) is the same post: fine.
    expect(await ledger.complete(held, { remoteId: '1001' }, false)).toMatchObject({ remoteId: '1001' });
  });

  it('two posts that both went out are surfaced, not hidden: PostedTwiceError, both kept', async () => {
    const input = post();
    await ledger.claim({ ...input, attemptId: 'first' });
    const first = (await ledger.read(input.postId, 'x'))!;
    const second = (await ledger.takeOver((await ledger.readVersioned(input.postId, 'x'))!, {
      attemptId: 'second',
      caption: input.caption,
      renditionKey: rendition,
    }))!;
    await ledger.complete(second, { remoteId: '2002', url: 'https://x.com/a/status/2002' }, false);
    const err = await ledger
      .complete(first, { remoteId: '2001', url: 'https://x.com/a/status/2001' }, false)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PostedTwiceError);
    expect(err).toMatchObject({ retryable: false, notPosted: false });
    expect((err as Error).message).toMatch(
      /went out twice on x: https:\/\/x\.com\/a\/status\/2001 .* and https:\/\/x\.com\/a\/status\/2002 .*Delete one/,
    );
    expect(await ledger.read(input.postId, 'x')).toMatchObject({
      state: 'published',
      remoteId: '2002',
      history: [expect.objectContaining({ remoteId: '2001' })],
    });
  });
});
