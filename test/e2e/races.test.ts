import { PublishLedger } from '../../activities/publish';
import { openStorage, PREFIXES } from '../../activities/storage';
import {
  connectClient,
  e2eConfig,
  plannedPosts,
  quick,
  startPost,
  waitForStage,
  withLiveXWorker,
  reelcast as runCli,
} from './support';

/**
 * Two people acting on one post at once, through the compiled CLI against the real dev server and
 * a real worker: one outcome, recorded once.
 */
describe('concurrent actions on one post', () => {
  const stack = withLiveXWorker('races');
  const reelcast = (...args: string[]) => runCli(stack.env, args);

  it('two `reelcast replay` of one post at once publish it once; the other is told a replay runs', async () => {
    const config = e2eConfig(stack.env);
    const [planned] = await plannedPosts(config, '2026-11-27');
    const spec = quick(planned, 5, { channels: ['x', 'outbox'] });
    const client = await connectClient(config);
    stack.fake.inject({ endpoint: '*', kind: 'unauthorized', times: 1000 });
    await startPost(client, config, { spec });
    const failed = await waitForStage(client, spec.postId, ['awaiting-replay', 'published']);
    expect(failed.stage).toBe('awaiting-replay');
    expect(failed.publishes.outbox?.status).toBe('published');

    stack.fake.reset();
    // X keeps the upload processing for 4 s: the first replay is still running when the second comes.
    stack.fake.inject({ endpoint: 'finalize', kind: 'slow-processing', processingMs: 4000, times: 1 });
    const before = stack.fake.posts.length;
    const both = await Promise.all([
      reelcast('replay', spec.postId, '--channel', 'x'),
      reelcast('replay', spec.postId, '--channel', 'x'),
    ]);

    const published = both.filter((r) => r.status === 0);
    const refused = both.filter((r) => r.status !== 0);
    expect({ published: published.length, outputs: both.map((r) => r.stderr) }).toMatchObject({
      published: 1,
    });
    expect(published[0].stderr).toMatch(/^x: published \d+/m);
    expect(refused).toHaveLength(1);
    expect(refused[0].stderr).toMatch(
      /replay of .* refused: a replay of this post is running already; wait for it and check `reelcast status`/,
    );
    expect(stack.fake.posts.length).toBe(before + 1);
    expect((await waitForStage(client, spec.postId, ['published'])).stage).toBe('published');

    // Recorded once: one ledger entry per channel, each published, and one outbox post.
    const storage = openStorage(config);
    const { entries } = await new PublishLedger(storage).list({ postId: spec.postId });
    expect(entries.map((e) => [e.channel, e.state]).sort()).toEqual([
      ['outbox', 'published'],
      ['x', 'published'],
    ]);
    expect(entries.find((e) => e.channel === 'x')?.remoteId).toBe(
      stack.fake.posts[stack.fake.posts.length - 1].id,
    );
    const outbox: string[] = [];
    for await (const obj of storage.list(`${PREFIXES.outbox}${spec.postId}/`)) outbox.push(obj.key);
    expect(outbox.filter((k) => k.endsWith('/post.json'))).toEqual([
      `${PREFIXES.outbox}${spec.postId}/outbox/post.json`,
    ]);
    await client.connection.close();
  });

  it('approve and reject at once: one decision, recorded once; the other person is told', async () => {
    const config = e2eConfig(stack.env);
    const [planned] = await plannedPosts(config, '2026-11-27');
    const spec = quick(planned, 20, { channels: ['outbox'] });
    spec.approval = {
      required: true,
      deadlineMinutesBefore: 0,
      deadlineAt: new Date(Date.now() + 120_000).toISOString(),
      onDeadline: 'skip',
    };
    const client = await connectClient(config);
    await startPost(client, config, { spec });
    await waitForStage(client, spec.postId, ['awaiting-approval']);

    const [approve, reject] = await Promise.all([
      runCli({ ...stack.env, USER: 'ana' }, ['approve', spec.postId]),
      runCli({ ...stack.env, USER: 'ben' }, ['reject', spec.postId, '--reason', 'wrong product shot']),
    ]);
    const done = await waitForStage(client, spec.postId, ['published', 'skipped', 'awaiting-replay']);
    if (done.approval?.decision === 'approved') {
      expect(done).toMatchObject({ stage: 'published', approval: { decision: 'approved', by: 'ana' } });
      expect(approve).toMatchObject({ status: 0, stderr: `approved ${spec.postId}\n` });
      expect(reject.status).toBe(1);
      expect(reject.stderr).toBe(`${spec.postId} was already approved by ana; yours changed nothing\n`);
    } else {
      expect(done).toMatchObject({
        stage: 'skipped',
        reason: 'rejected by ben: wrong product shot',
        approval: { decision: 'rejected', by: 'ben', reason: 'wrong product shot' },
      });
      expect(reject).toMatchObject({ status: 0, stderr: `rejected ${spec.postId}\n` });
      expect(approve.status).toBe(1);
      expect(approve.stderr).toBe(
        `${spec.postId} was already rejected by ben (wrong product shot); yours changed nothing\n`,
      );
    }
    // Published at most once, and only when approved.
    const { entries } = await new PublishLedger(openStorage(config)).list({ postId: spec.postId });
    expect(entries.map((e) => e.state)).toEqual(done.stage === 'published' ? ['published'] : []);
    await client.connection.close();
  });
});
