import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
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
  terminatePosts,
  waitForStage,
  type RunningWorker,
  reelcast as runCli,
} from './support';

/**
 * The everyday commands a marketing team runs, each on its happy path, as the compiled CLI in a
 * process of its own against the real dev server, with a worker in this process. Storage is a
 * folder of this test's own: pausing a campaign here must not hold other test files' posts.
 */
describe('reelcast run, status, approve, reject, campaign, close, config, tools', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'reelcast-cli-'));
  let fake: FakeX;
  let env: Record<string, string>;
  let worker: RunningWorker;
  let client: Client;
  const started: string[] = [];

  const reelcast = (...args: string[]) => runCli(env, args);

  beforeAll(async () => {
    fake = await startFakeX();
    env = e2eEnv('cli', { ...liveX(fake.url), REELCAST_STORAGE: 'fs', REELCAST_DATA_DIR: dataDir });
    worker = await startWorker(e2eConfig(env));
    client = await connectClient(e2eConfig(env));
  });
  afterAll(async () => {
    if (client) await terminatePosts(client, started);
    await client?.connection.close();
    await worker?.stop();
    await fake?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('run plans a day; status lists its posts; reject skips one; campaign pause/resume tells the others', async () => {
    // Black Friday 2027: three posts that wait for approval until hours before they publish.
    const run = await reelcast('run', '--date', '2027-11-26', '--calendar', 'us-ecommerce');
    expect(run.stderr).toContain('2027-11-26: 3 post(s) started');
    const ids = ['morning', 'lunch', 'evening'].map((slot) => `black-friday-earbuds/2027-11-26/${slot}`);
    started.push(...ids);
    for (const id of ids) await waitForStage(client, id, ['awaiting-approval']);

    const status = await reelcast('status', '--date', '2027-11-26', '--json');
    expect(status.status).toBe(0);
    const rows = JSON.parse(status.stdout) as Array<{ postId: string; stage: string }>;
    expect(rows.map((r) => [r.postId, r.stage]).sort()).toEqual(
      ids.map((id) => [id, 'awaiting-approval']).sort(),
    );
    expect((await reelcast('status', '--date', '2027-11-26')).stdout).toContain(ids[0]);

    expect((await reelcast('reject', ids[0], '--reason', 'off brand')).stderr).toContain(
      `rejected ${ids[0]}`,
    );
    const rejected = await waitForStage(client, ids[0], ['skipped']);
    expect(rejected.reason).toMatch(/^rejected by .*: off brand$|^rejected: off brand$/);

    const pause = await reelcast('campaign', 'pause', 'black-friday-earbuds');
    // At least this day's two open posts (other test files may have more of the campaign open).
    expect(
      Number(/paused black-friday-earbuds: (\d+) pending post\(s\) told/.exec(pause.stderr)?.[1]),
    ).toBeGreaterThanOrEqual(2);
    expect(pause.stderr).toContain('paused campaigns now: black-friday-earbuds');
    const resume = await reelcast('campaign', 'resume', 'black-friday-earbuds');
    expect(resume.stderr).toMatch(/resumed black-friday-earbuds: \d+ pending post\(s\) told/);
    expect(resume.stderr).toContain('paused campaigns now: none');
  });

  it('approve lets a post that waits for approval make its video and publish', async () => {
    const config = e2eConfig(env);
    const [spec] = await plannedPosts(config, '2026-11-27');
    const post = quick(spec, 15, { channels: ['x'] });
    post.approval = { ...post.approval, required: true, deadlineAt: post.publishAt, onDeadline: 'skip' };
    started.push(post.postId);
    await startPost(client, config, { spec: post });
    await waitForStage(client, post.postId, ['awaiting-approval']);
    expect((await reelcast('approve', post.postId)).stderr).toContain(`approved ${post.postId}`);
    const done = await waitForStage(client, post.postId, ['published', 'skipped', 'awaiting-replay']);
    expect({ stage: done.stage, decision: done.approval?.decision }).toEqual({
      stage: 'published',
      decision: 'approved',
    });
    expect(fake.posts.some((p) => p.id === done.publishes.x?.remoteId)).toBe(true);
  });

  it('close gives up on a post awaiting replay, with the reason', async () => {
    const config = e2eConfig(env);
    const [spec] = await plannedPosts(config, '2026-11-27');
    const post = quick(spec, 5, { channels: ['x'] });
    started.push(post.postId);
    fake.inject({ endpoint: '*', kind: 'unauthorized', times: 1000 });
    try {
      await startPost(client, config, { spec: post });
      await waitForStage(client, post.postId, ['awaiting-replay']);
    } finally {
      fake.reset();
    }
    expect((await reelcast('close', post.postId, '--reason', 'campaign cancelled')).stderr).toContain(
      `closed ${post.postId}`,
    );
    const closed = await waitForStage(client, post.postId, ['skipped']);
    expect(closed.reason).toContain('campaign cancelled');
    expect((await reelcast('failures', '--json')).stdout).not.toContain(post.postId);
  });

  it('config shows where each value came from; tools install finds the pinned tools', async () => {
    const config = await reelcast('config', '--json');
    expect(config.status).toBe(0);
    const rows = JSON.parse(config.stdout) as unknown;
    expect(JSON.stringify(rows)).toContain('REELCAST_DELIVERY');
    expect(config.stdout).not.toContain(liveX(fake.url).X_ACCESS_SECRET);
    const reference = await reelcast('config', '--reference');
    expect(reference.stdout).toContain('| `schedule.leadMinutes` | `REELCAST_SCHEDULE_LEAD_MINUTES` |');

    const tools = await reelcast('tools', 'install');
    expect(tools.status).toBe(0);
    expect(tools.stderr).toMatch(/^ffmpeg +\d/m);
    expect(tools.stderr).toMatch(/^temporal +\/.*temporal$/m);
  });
});
