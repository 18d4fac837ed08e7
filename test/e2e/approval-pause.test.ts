import { createPostActivities } from '../../activities/posts';
import { openStorage } from '../../activities/storage';
import { approveSignal, postWorkflowId, rejectSignal } from '../../workflows/post';
import {
  connectClient,
  e2eConfig,
  e2eEnv,
  plannedPosts,
  quick,
  startPost,
  startWorker,
  waitForStage,
  type RunningWorker,
  waitFor,
} from './support';

/** A person in the loop: approval with a deadline, rejection, and pausing a whole campaign. */
describe('approval and campaign pause', () => {
  const env = e2eEnv('approval');
  const config = e2eConfig(env);
  let worker: RunningWorker;

  beforeAll(async () => {
    worker = await startWorker(config);
  });
  afterAll(async () => worker?.stop());

  async function post(
    inSeconds: number,
    approval?: { deadlineInSeconds: number; onDeadline: 'skip' | 'approve' },
  ) {
    const [planned] = await plannedPosts(config, '2026-11-27');
    const spec = quick(planned, inSeconds, { channels: ['outbox'] });
    if (approval) {
      spec.approval = {
        required: true,
        deadlineMinutesBefore: 0,
        deadlineAt: new Date(Date.now() + approval.deadlineInSeconds * 1000).toISOString(),
        onDeadline: approval.onDeadline,
      };
    }
    return spec;
  }

  it('skips a post nobody approved by the deadline, and says so', async () => {
    const client = await connectClient(config);
    const spec = await post(30, { deadlineInSeconds: 3, onDeadline: 'skip' });
    await startPost(client, config, { spec });
    expect((await waitForStage(client, spec.postId, ['awaiting-approval'])).stage).toBe('awaiting-approval');
    const state = await waitForStage(client, spec.postId, ['skipped', 'generating', 'published']);
    expect(state.stage).toBe('skipped');
    expect(state.reason).toMatch(/nobody approved it before/);
    expect(state.master).toBeUndefined();
    await client.connection.close();
  });

  it('publishes an approved post; a rejected one is skipped with the reason', async () => {
    const client = await connectClient(config);
    const approved = await post(10, { deadlineInSeconds: 120, onDeadline: 'skip' });
    const rejected = await post(10, { deadlineInSeconds: 120, onDeadline: 'approve' });
    await startPost(client, config, { spec: approved });
    await startPost(client, config, { spec: rejected });
    await waitForStage(client, approved.postId, ['awaiting-approval']);
    await client.workflow.getHandle(postWorkflowId(approved.postId)).signal(approveSignal, { by: 'mei' });
    await client.workflow
      .getHandle(postWorkflowId(rejected.postId))
      .signal(rejectSignal, { by: 'mei', reason: 'wrong product shot' });

    const done = await waitForStage(client, approved.postId, ['published', 'skipped', 'awaiting-replay']);
    expect(done.stage).toBe('published');
    expect(done.approval).toEqual({ decision: 'approved', by: 'mei' });
    const no = await waitForStage(client, rejected.postId, ['skipped', 'published']);
    expect(no.stage).toBe('skipped');
    expect(no.reason).toBe('rejected by mei: wrong product shot');
    await client.connection.close();
  });

  it('a paused campaign holds its pending posts until resumed', async () => {
    const client = await connectClient(config);
    const spec = await post(8);
    const posts = createPostActivities({ storage: openStorage(config), client: async () => client });
    await startPost(client, config, { spec });
    await waitForStage(client, spec.postId, ['generating', 'transcoding', 'waiting']);
    // What `reelcast campaign pause <id>` does.
    await posts.setCampaignPaused({ campaign: spec.campaign, paused: true });
    // The post's search attributes reach visibility a moment after its stage does.
    const running = await waitFor("the post in the campaign's running posts", async () => {
      const found = (await posts.runningPosts({ campaign: spec.campaign })).filter(
        (p) => p.postId === spec.postId,
      );
      return found.length > 0 ? found : undefined;
    });
    expect(running).toHaveLength(1);
    await posts.signalPosts({ workflowIds: running.map((p) => p.workflowId), signal: 'pause', args: [] });

    const paused = await waitForStage(client, spec.postId, ['paused', 'published']);
    expect(paused.stage).toBe('paused');
    expect(await posts.pausedCampaigns()).toContain(spec.campaign);

    await posts.setCampaignPaused({ campaign: spec.campaign, paused: false });
    await posts.signalPosts({ workflowIds: running.map((p) => p.workflowId), signal: 'resume', args: [] });
    expect((await waitForStage(client, spec.postId, ['published', 'skipped'])).stage).toBe('published');
    await client.connection.close();
  });
});
