import { createHash } from 'node:crypto';
import { openStorage } from '../../activities/storage';
import { startFakeX, type FakeX } from '../fakes/x/server';
import {
  connectClient,
  e2eConfig,
  e2eEnv,
  liveX,
  plannedPosts,
  quick,
  startPost,
  startWorker,
  waitForStage,
  type RunningWorker,
  reelcast as runCli,
} from './support';

/** Posts through the real twitter-api-v2 client to the fake X API; failures replayed by a person. */
describe('publishing to X, failures and replay', () => {
  let fake: FakeX;
  let env: Record<string, string>;
  let worker: RunningWorker;

  // Asynchronous: the worker runs in this process and must keep working while the command waits.
  const reelcast = (...args: string[]) => runCli(env, args);

  beforeAll(async () => {
    fake = await startFakeX();
    env = e2eEnv('x', liveX(fake.url));
    worker = await startWorker(e2eConfig(env));
  });
  afterAll(async () => {
    await worker?.stop();
    await fake?.close();
  });

  async function xPost() {
    const config = e2eConfig(env);
    const [spec] = await plannedPosts(config, '2026-11-27');
    return { config, spec: quick(spec, 5, { channels: ['x'] }) };
  }

  it('publishes the rendition and caption to X exactly once', async () => {
    const { config, spec } = await xPost();
    const client = await connectClient(config);
    await startPost(client, config, { spec });
    const state = await waitForStage(client, spec.postId, ['published', 'awaiting-replay', 'skipped']);
    expect({ stage: state.stage, reason: state.reason }).toEqual({ stage: 'published', reason: undefined });

    const mine = fake.posts.filter((p) => p.id === state.publishes.x?.remoteId);
    expect(mine).toHaveLength(1);
    expect(mine[0].text.startsWith(spec.captions.x!.split('https://')[0].trim())).toBe(true);
    const video = await openStorage(config).getBuffer(state.renditions.x!.renditionKey);
    expect(mine[0].media_sha256).toEqual([createHash('sha256').update(video).digest('hex')]);
    await client.connection.close();
  });

  it('a revoked token leaves the post awaiting replay with the reason; replay publishes it once', async () => {
    const { config, spec } = await xPost();
    const client = await connectClient(config);
    fake.inject({ endpoint: '*', kind: 'unauthorized', times: 1000 });
    await startPost(client, config, { spec });
    const failed = await waitForStage(client, spec.postId, ['awaiting-replay', 'published']);
    expect(failed.stage).toBe('awaiting-replay');
    expect(failed.reason).toMatch(/^x: .*reconnect/i);
    expect(failed.renditions.x?.renditionKey).toBeDefined();

    const listed = await reelcast('failures', '--json');
    expect({ status: listed.status, stderr: listed.stderr }).toEqual({ status: 0, stderr: '' });
    const rows = JSON.parse(listed.stdout) as Array<{ postId: string; channel: string; reason: string }>;
    expect(rows).toContainEqual(
      expect.objectContaining({
        postId: spec.postId,
        channel: 'x',
        reason: expect.stringMatching(/reconnect/i),
      }),
    );

    fake.reset();
    const before = fake.posts.length;
    const replay = await reelcast('replay', spec.postId);
    expect(replay.stderr).toMatch(/^x: published \d+/m);
    expect(replay.status).toBe(0);
    expect(fake.posts.length).toBe(before + 1);
    const published = await waitForStage(client, spec.postId, ['published']);
    expect(published.publishes.x?.status).toBe('published');

    const refused = await reelcast('replay', spec.postId, '--channel', 'x');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/already published/i);
    expect(refused.stderr).toMatch(/--force/);
    expect(fake.posts.length).toBe(before + 1);
    await client.connection.close();
  });
});
