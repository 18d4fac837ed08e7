import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createHash, randomBytes } from 'node:crypto';
import { loadConfig } from '../../../config';
import { openStorage, renditionKey } from '../../../activities/storage';
import {
  ChannelSet,
  createPublishActivities,
  type PublishInput,
  type PublishProgress,
} from '../../../activities/publish';
import { connectClient, connectWorker } from '../../../worker/connection';
import { startFakeX, type FakeX } from '../../fakes/x/server';
import { fakeXChannel } from './fake-x-channel';
import { publishOnce } from './workflows/publish-once';

const config = loadConfig();
const storage = openStorage(config);
const bytes = randomBytes(5 * 1024 * 1024 + 3);
const rendition = renditionKey(createHash('sha256').update(bytes).digest('hex').slice(0, 48), 'x');
const taskQueue = `publish-test-${process.pid}`;
let fake: FakeX;
let seq = 0;

function activities() {
  return createPublishActivities({
    config,
    storage,
    channels: new ChannelSet([fakeXChannel(storage, fake.url)]),
  });
}

function post(): PublishInput {
  seq++;
  return {
    postId: `autumn/2026-10-${String(seq).padStart(2, '0')}/noon`,
    channel: 'x',
    renditionKey: rendition,
    caption: `Autumn collection, part ${seq} 🍂`,
  };
}

beforeAll(async () => {
  await storage.put(rendition, bytes, { contentType: 'video/mp4' });
  fake = await startFakeX();
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

describe('publishToChannel on the real Temporal dev server', () => {
  const run = async <T>(fn: (start: (input: PublishInput) => Promise<unknown>) => Promise<T>): Promise<T> => {
    const client = await connectClient(config);
    const connection = await connectWorker(config);
    const worker = await Worker.create({
      connection,
      taskQueue,
      workflowsPath: require.resolve('./workflows/publish-once'),
      activities: activities(),
    });
    try {
      return await worker.runUntil(
        fn((input) =>
          client.workflow.execute(publishOnce, {
            taskQueue,
            workflowId: `test-${input.postId}`,
            args: [input],
          }),
        ),
      );
    } finally {
      await connection.close();
      await client.connection.close();
    }
  };

  it('429 waits until the reset X gave, 503 retries with backoff, a lost response reconciles: one post each', async () => {
    await run(async (start) => {
      fake.inject({ endpoint: 'create', kind: 'rate-limit', resetInSeconds: 3 });
      await start(post());
      const limited = fake.log.find((l) => l.status === 429)!;
      const posted = fake.log.find((l) => l.endpoint === 'create' && l.status === 201)!;
      // x-rate-limit-reset has whole seconds: now + 3 s, floored, is at least 2 s away.
      expect(posted.at - limited.at).toBeGreaterThanOrEqual(2_000);
      expect(fake.posts).toHaveLength(1);

      fake.reset();
      fake.inject({ endpoint: 'create', kind: 'unavailable', times: 2 });
      await start(post());
      expect(fake.log.filter((l) => l.endpoint === 'create').map((l) => l.status)).toEqual([503, 503, 201]);
      expect(fake.posts).toHaveLength(1);

      fake.reset();
      fake.inject({ endpoint: 'create', kind: 'reset-after-accept' });
      const out = await start(post());
      expect(out).toMatchObject({ reconciled: true, remoteId: fake.posts[0].id });
      expect(fake.posts).toHaveLength(1);
      expect(fake.requests.create).toBe(1);
    });
  });

  it('401 fails the workflow at once with ChannelAuthError, non-retryable, with the reason', async () => {
    await run(async (start) => {
      fake.inject({ endpoint: 'me', kind: 'unauthorized' });
      const err = await start(post()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const activity = (err as WorkflowFailedError).cause as ActivityFailure;
      expect(activity).toBeInstanceOf(ActivityFailure);
      const failure = activity.cause as ApplicationFailure;
      expect(failure.type).toBe('ChannelAuthError');
      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toMatch(/Reconnect the account/);
      expect(failure.details?.[0]).toMatchObject({
        channel: 'x',
        reason: expect.stringMatching(/reconnect the account/),
      });
      expect(fake.requests.me).toBe(1);
    });
  });
});

describe('publishToChannel as an activity function', () => {
  it('heartbeats upload progress, and turns a 429 into a retryable failure with the reset as next delay', async () => {
    const env = new MockActivityEnvironment({ attempt: 1 });
    const beats: PublishProgress[] = [];
    env.on('heartbeat', (d: PublishProgress) => beats.push(d));
    const acts = activities();
    await env.run(acts.publishToChannel, post());
    expect(beats.filter((b) => b.step === 'upload').at(-1)).toMatchObject({
      done: bytes.length,
      total: bytes.length,
    });

    fake.inject({ endpoint: 'initialize', kind: 'rate-limit', resetInSeconds: 30 });
    const err = (await env.run(acts.publishToChannel, post()).catch((e: unknown) => e)) as ApplicationFailure;
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err.type).toBe('ChannelRateLimitedError');
    expect(err.nonRetryable).toBe(false);
    expect(Number(err.nextRetryDelay)).toBeGreaterThan(28_000);
  });
});
