import { startFakeX, type FakeX } from '../fakes/x/server';
import { readProgress } from '../../cli/post-progress';
import { postWorkflowId } from '../../workflows/post';
import {
  connectClient,
  e2eConfig,
  e2eEnv,
  liveX,
  plannedPosts,
  quick,
  spawnWorker,
  startPost,
  startWorker,
  waitFor,
  waitForStage,
  freshClip,
} from './support';

describe('a worker killed mid-generation', () => {
  let fake: FakeX;
  beforeAll(async () => (fake = await startFakeX()));
  afterAll(async () => fake?.close());

  it('is replaced by a new one; the post completes and is published exactly once', async () => {
    const env = e2eEnv('crash', liveX(fake.url));
    const config = e2eConfig(env);
    const [planned] = await plannedPosts(config, '2026-11-27');
    // Enough steps that generation is still running when the worker dies.
    // A clip no other test makes (media is content-addressed: a stored master needs no generation).
    const spec = freshClip(quick(planned, 20, { channels: ['x'] }));
    spec.video = { ...spec.video, steps: 60, width: 384, height: 672 };
    const client = await connectClient(config);

    const first = spawnWorker(env);
    await startPost(client, config, { spec });
    await waitFor(
      'generation to be under way',
      async () => {
        const p = await readProgress(client, postWorkflowId(spec.postId));
        return p.state?.stage === 'generating' && p.heartbeat ? p : undefined;
      },
      // A new worker process loads its model before it takes work; on a busy 2-core machine,
      // with other test files running beside this one, the first heartbeat can take minutes.
      180_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nworker log:\n${first.log()}`);
    });
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));

    const second = spawnWorker(env);
    try {
      const state = await waitForStage(
        client,
        spec.postId,
        ['published', 'awaiting-replay', 'skipped'],
        240_000,
      );
      expect({ stage: state.stage, reason: state.reason }).toEqual({ stage: 'published', reason: undefined });
      const ours = fake.posts.filter((p) => p.text.startsWith(spec.captions.x!.slice(0, 30)));
      expect(ours).toHaveLength(1);
      expect(ours[0].id).toBe(state.publishes.x?.remoteId);
      // The generation really was cut off: its second attempt is the one that finished.
      const history = await client.workflow.getHandle(postWorkflowId(spec.postId)).fetchHistory();
      const attempts = (history.events ?? []).map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 0);
      expect(Math.max(...attempts)).toBeGreaterThanOrEqual(2);
    } finally {
      second.kill('SIGTERM');
      await new Promise((r) => second.once('exit', r));
      await client.connection.close();
    }
  }, 480_000);
});

describe('the publish worker down at the publish instant', () => {
  it('back within the lateness window: published late, once; back after it: skipped with a reason', async () => {
    // Two deployments (task queues): each has generation and media workers, neither a publish worker yet.
    const envLate = e2eEnv('late-ok');
    const envTooLate = e2eEnv('late-miss');
    const configLate = e2eConfig(envLate);
    const configTooLate = e2eConfig(envTooLate);
    const [planned] = await plannedPosts(configLate, '2026-11-27');
    // Room for a slow machine: the clip must be made before the publish instant plus the window.
    const lateness = { latenessMinutes: 0.75 };
    const specLate = quick(planned, 40, { channels: ['outbox'], ...lateness });
    const specTooLate = quick(planned, 40, { channels: ['outbox'], ...lateness });
    const makers = [
      await startWorker(configLate, ['gpu', 'media']),
      await startWorker(configTooLate, ['gpu', 'media']),
    ];
    const client = await connectClient(configLate);
    try {
      await startPost(client, configLate, { spec: specLate });
      await startPost(client, configTooLate, { spec: specTooLate });

      // After the publish instant, inside the 45 s window, a publish worker comes back.
      await new Promise((r) => setTimeout(r, Date.parse(specLate.publishAt) + 5_000 - Date.now()));
      await waitFor('the post to wait for a publish worker', async () =>
        (await readProgress(client, postWorkflowId(specLate.postId))).state?.stage === 'publishing'
          ? true
          : undefined,
      );
      expect(Date.now()).toBeLessThan(Date.parse(specLate.publishAt) + 40_000);
      const publisher = await startWorker(configLate, ['publish']);
      try {
        const late = await waitForStage(client, specLate.postId, ['published', 'skipped', 'awaiting-replay']);
        expect(late.stage).toBe('published');
        expect(late.publishes.outbox?.attempts).toBe(1);
      } finally {
        await publisher.stop();
      }

      // The other deployment's publish worker never came back within its window.
      const missed = await waitForStage(
        client,
        specTooLate.postId,
        ['published', 'skipped', 'awaiting-replay'],
        120_000,
      );
      expect(missed.stage).toBe('skipped');
      expect(missed.reason).toMatch(/no publish worker was available until after the lateness window/);
    } finally {
      await Promise.all(makers.map((m) => m.stop()));
      await client.connection.close();
    }
  }, 300_000);
});
