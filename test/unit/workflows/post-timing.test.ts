/**
 * The post and dailyPlan workflows' timing and message handling, on Temporal's time-skipping test
 * server: approval deadlines, lateness, a pause past the window, the 30-day replay window and
 * concurrent replays, each in seconds instead of the hours and days they take for real.
 *
 * These are unit tests of the workflows: the activities are small stand-ins registered in the test
 * worker (a clip key, a rendition key, a publish that succeeds, fails or waits for the test). The
 * real activities are proven against real services in test/integration and test/e2e.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import { WorkflowUpdateStage } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { join } from 'node:path';
import { createCalendarActivities } from '../../../activities/calendar/activities';
import type { PostSpec } from '../../../activities/calendar/types';
import { dailyPlan } from '../../../workflows/daily-plan';
import {
  approveSignal,
  closeSignal,
  post,
  postStateQuery,
  postWorkflowId,
  rejectSignal,
  replayUpdate,
  resumeSignal,
  type PostInput,
  type PostState,
} from '../../../workflows/post';
import { taskQueues } from '../../../workflows/queues';
import { startTimeSkipping } from './time-skipping';

const ROOT = join(__dirname, '..', '..', '..');
const QUEUE = 'timing';
const MINUTE = 60_000;

/** What the stand-in activities do and saw; reset before each test. */
let script: {
  generated: number;
  published: Array<{ channel: string; force: boolean }>;
  /** Throws for a publish while true (a revoked token: not retryable). */
  publishFails: boolean;
  /** A publish waits for this, when set (a replay still running). */
  publishGate?: Promise<void>;
  publishStarted?: () => void;
  signalPostsCalls: number;
  running: Array<{ workflowId: string; postId: string }>;
};

const activities = {
  async generateClip() {
    script.generated += 1;
    return { key: 'masters/timing.mkv', cached: false, provider: 'stand-in' };
  },
  async transcodeRendition(input: { preset: string }) {
    return {
      renditionKey: `renditions/${input.preset}.mp4`,
      posterKey: `posters/${input.preset}.jpg`,
      previewKey: `previews/${input.preset}.mp4`,
    };
  },
  async transcodeRenditions(input: { presets: string[] }) {
    return input.presets.map((preset) => ({
      preset,
      renditionKey: `renditions/${preset}.mp4`,
      posterKey: `posters/${preset}.jpg`,
      previewKey: `previews/${preset}.mp4`,
    }));
  },
  /** The content gate passes every clip here; held posts are proven in test/e2e/content-gate.test.ts. */
  async checkContent(input: { masterKey: string }) {
    const none = { drawing: 0, hentai: 0, neutral: 1, porn: 0, sexy: 0 };
    return {
      passed: true,
      resultKey: `safety/${input.masterKey}.json`,
      classifier: 'stand-in',
      thresholds: { drawing: 1, hentai: 0.5, neutral: 1, porn: 0.5, sexy: 0.8 },
      peak: none,
      frames: 5,
      createdAt: '2026-11-27T00:00:00.000Z',
      reused: false,
    };
  },
  async publishToChannel(input: { channel: string; postId: string; force?: boolean }) {
    script.publishStarted?.();
    if (script.publishGate) await script.publishGate;
    if (script.publishFails)
      throw ApplicationFailure.nonRetryable(
        `${input.channel}: the account's token was revoked; reconnect it`,
        'ChannelAuthError',
      );
    script.published.push({ channel: input.channel, force: Boolean(input.force) });
    return {
      postId: input.postId,
      channel: input.channel,
      remoteId: `r${script.published.length}`,
      reconciled: false,
      alreadyPublished: false,
    };
  },
  async notifyPeople() {
    return { sent: [] };
  },
  async planDay() {
    return [];
  },
  /** An empty day: the posts this test tells are "running" ones the calendar no longer plans. */
  async planDayInPages(input: { date: string }) {
    return { posts: 0, pages: [], plannedKey: `plans/${input.date}/stand-in/planned.json` };
  },
  async startPostsOfPage() {
    return { started: [], existing: [] };
  },
  async pausedCampaigns() {
    return [];
  },
  async runningPosts() {
    return script.running;
  },
  async signalPosts() {
    script.signalPostsCalls += 1;
    return [];
  },
};

describe('post workflow timing (time-skipping test server)', () => {
  let env: TestWorkflowEnvironment;
  let workers: Worker[];
  let running: Promise<void>;
  let planned: PostSpec;
  let seq = 0;

  beforeAll(async () => {
    env = await startTimeSkipping();
    const bundle: WorkflowBundleWithSourceMap = await bundleWorkflowCode({
      workflowsPath: require.resolve('../../../workflows'),
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
    });
    const queues = taskQueues(QUEUE);
    workers = await Promise.all(
      [queues.workflows, queues.gpu, queues.media, queues.gate, queues.publish].map((taskQueue) =>
        Worker.create({
          connection: env.nativeConnection,
          taskQueue,
          activities,
          ...(taskQueue === queues.workflows ? { workflowBundle: bundle } : {}),
        }),
      ),
    );
    running = Promise.all(workers.map((w) => w.run())).then(() => undefined);
    [planned] = await createCalendarActivities({
      calendarsDir: join(ROOT, 'calendars'),
      templatesDir: join(ROOT, 'templates'),
    }).planDay({ date: '2026-11-27' });
  });

  afterAll(async () => {
    workers?.forEach((w) => w.shutdown());
    await running;
    await env?.teardown();
  });

  beforeEach(() => {
    script = { generated: 0, published: [], publishFails: false, signalPostsCalls: 0, running: [] };
  });

  /** A post on x, publishing `publishInMinutes` after the test server's now. */
  async function spec(
    publishInMinutes: number,
    overrides: { latenessMinutes?: number; approval?: Partial<PostSpec['approval']> } = {},
  ): Promise<PostSpec> {
    const now = await env.currentTimeMs();
    const publishAt = new Date(now + publishInMinutes * MINUTE).toISOString();
    return {
      ...planned,
      postId: `${planned.postId}-timing${++seq}`,
      channels: ['x'],
      publishing: undefined,
      publishAt,
      latenessMinutes: overrides.latenessMinutes ?? 30,
      approval: {
        ...planned.approval,
        required: false,
        deadlineAt: publishAt,
        onDeadline: 'skip',
        ...overrides.approval,
      },
    };
  }

  async function start(input: PostInput): Promise<WorkflowHandle<typeof post>> {
    return env.client.workflow.start(post, {
      taskQueue: QUEUE,
      workflowId: postWorkflowId(input.spec.postId),
      args: [input],
    });
  }

  /** The post's stage once it reaches one of `stages` (no timer fires meanwhile: no skipping). */
  async function reach(handle: WorkflowHandle, stages: string[]): Promise<PostState> {
    for (let i = 0; i < 200; i++) {
      const state = await handle.query(postStateQuery);
      if (stages.includes(state.stage)) return state;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${handle.workflowId} never reached ${stages.join(' or ')}`);
  }

  /** A post on x whose publish failed (a revoked token): it awaits a replay. */
  async function failedPost(): Promise<WorkflowHandle<typeof post>> {
    script.publishFails = true;
    const handle = await start({ spec: await spec(5) });
    await env.sleep('6 minutes');
    await reach(handle, ['awaiting-replay']);
    script.publishFails = false;
    return handle;
  }

  /** A replay the workflow accepted, whose publish is running until `release()`. */
  async function replayHeld(handle: WorkflowHandle<typeof post>) {
    let release!: () => void;
    script.publishGate = new Promise((r) => (release = r));
    const started = new Promise<void>((r) => (script.publishStarted = r));
    const update = await handle.startUpdate(replayUpdate, {
      args: [{}],
      waitForStage: WorkflowUpdateStage.ACCEPTED,
    });
    await started;
    return { update, release };
  }

  async function at(minutes: number): Promise<string> {
    return new Date((await env.currentTimeMs()) + minutes * MINUTE).toISOString();
  }

  it('publishes a post nobody approved when the campaign approves on the deadline', async () => {
    const s = await spec(120, {
      approval: { required: true, deadlineAt: await at(60), onDeadline: 'approve' },
    });
    const result = await (await start({ spec: s })).result();
    expect(result.stage).toBe('published');
    expect(result.approval).toEqual({ decision: 'auto-approved' });
    expect(script.published).toEqual([{ channel: 'x', force: false }]);
  });

  it('skips a post nobody approved when the campaign skips on the deadline, and makes no video', async () => {
    const s = await spec(120, { approval: { required: true, deadlineAt: await at(60), onDeadline: 'skip' } });
    const result = await (await start({ spec: s })).result();
    expect(result.stage).toBe('skipped');
    expect(result.approval).toEqual({ decision: 'deadline-skip' });
    expect(result.reason).toMatch(/nobody approved it before/);
    expect(script.generated).toBe(0);
  });

  it('approve and reject arriving together: the first one decides, once', async () => {
    const s = await spec(120, { approval: { required: true, deadlineAt: await at(60) } });
    const handle = await start({ spec: s });
    await reach(handle, ['awaiting-approval']);
    await handle.signal(rejectSignal, { by: 'ana', reason: 'wrong product shot' });
    await handle.signal(approveSignal, { by: 'ben' });
    const result = await handle.result();
    expect(result.stage).toBe('skipped');
    expect(result.approval).toEqual({ decision: 'rejected', by: 'ana', reason: 'wrong product shot' });
    expect(result.reason).toBe('rejected by ana: wrong product shot');
    expect(script.generated).toBe(0);
    expect(script.published).toEqual([]);
  });

  it('skips a post planned past its lateness window before making a video', async () => {
    const result = await (await start({ spec: await spec(-120, { latenessMinutes: 30 }) })).result();
    expect(result.stage).toBe('skipped');
    expect(result.reason).toMatch(/no video was made/);
    expect(script.generated).toBe(0);
  });

  it('publishes a post that is late but within its lateness window', async () => {
    const result = await (await start({ spec: await spec(-10, { latenessMinutes: 30 }) })).result();
    expect(result.stage).toBe('published');
    expect(script.published).toHaveLength(1);
  });

  it('skips a post whose video is ready past the lateness window (approved an hour late)', async () => {
    const s = await spec(10, {
      latenessMinutes: 30,
      approval: { required: true, deadlineAt: await at(70), onDeadline: 'approve' },
    });
    const result = await (await start({ spec: s })).result();
    expect(result.stage).toBe('skipped');
    expect(result.reason).toMatch(/^ready 60 min after .*; the campaign allows 30 min late$/);
    expect(script.generated).toBe(1);
    expect(script.published).toEqual([]);
  });

  it('skips a post whose campaign stays paused past the lateness window', async () => {
    const handle = await start({ spec: await spec(60, { latenessMinutes: 30 }), paused: true });
    await env.sleep('61 minutes');
    expect((await reach(handle, ['paused'])).stage).toBe('paused');
    await env.sleep('45 minutes');
    await handle.signal(resumeSignal);
    const result = await handle.result();
    expect(result.stage).toBe('skipped');
    expect(result.reason).toBe('the campaign was paused past the lateness window (30 min)');
    expect(script.published).toEqual([]);
  });

  it('publishes a paused post resumed within the lateness window', async () => {
    const handle = await start({ spec: await spec(60, { latenessMinutes: 30 }), paused: true });
    await env.sleep('61 minutes');
    await reach(handle, ['paused']);
    await env.sleep('10 minutes');
    await handle.signal(resumeSignal);
    expect((await handle.result()).stage).toBe('published');
  });

  it('a failed post nobody replays ends expired after 30 days, not awaiting replay', async () => {
    script.publishFails = true;
    const handle = await start({ spec: await spec(5) });
    const before = await env.currentTimeMs();
    const result = await handle.result();
    expect(result.stage).toBe('expired');
    expect(result.reason).toBe("x: the account's token was revoked; reconnect it (ChannelAuthError)");
    expect((await env.currentTimeMs()) - before).toBeGreaterThanOrEqual(30 * 24 * 60 * MINUTE);
    const attrs = (await handle.describe()).searchAttributes as Record<string, unknown[]>;
    expect(attrs.ReelcastStatus).toEqual(['expired']);
  });

  it('a replay on day 29 still publishes the post', async () => {
    const handle = await failedPost();
    await env.sleep('29 days');
    const outcome = await handle.executeUpdate(replayUpdate, { args: [{}] });
    expect(outcome.x?.status).toBe('published');
    expect((await handle.result()).stage).toBe('published');
    expect(script.published).toEqual([{ channel: 'x', force: false }]);
  });

  it('refuses a second replay while one runs, and bad requests, before they enter history', async () => {
    const handle = await failedPost();

    const refusal = (request: { channel?: 'tiktok'; force?: boolean }) =>
      handle.executeUpdate(replayUpdate, { args: [request] }).then(
        () => 'accepted',
        (err: Error) => (err.cause as Error | undefined)?.message ?? err.message,
      );
    expect(await refusal({ channel: 'tiktok' })).toBe(
      'this post is not for channel tiktok; its channels are x',
    );

    const { update: first, release } = await replayHeld(handle);
    expect(await refusal({})).toBe(
      'a replay of this post is running already; wait for it and check `reelcast status`',
    );
    release();
    expect((await first.result()).x?.status).toBe('published');
    expect((await handle.result()).stage).toBe('published');
    expect(script.published).toEqual([{ channel: 'x', force: false }]);

    // Only the replay that ran is in the history: the refused ones never entered it.
    const history = await handle.fetchHistory();
    const accepted = history.events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    expect(accepted).toHaveLength(1);
  });

  it('closing a post while its replay runs waits for the replay, which publishes it', async () => {
    const handle = await failedPost();
    const { update: replay, release } = await replayHeld(handle);
    await handle.signal(closeSignal, { reason: 'campaign pulled' });
    release();
    expect((await replay.result()).x?.status).toBe('published');
    const result = await handle.result();
    expect(result.stage).toBe('published');
    expect(script.published).toHaveLength(1);
  });

  it('dailyPlan tells a post the calendar no longer plans to stop, and passes over posts that are gone', async () => {
    const open = await spec(120, { approval: { required: true, deadlineAt: await at(60) } });
    const ended = await spec(-120); // skipped at once: planned too late
    const openHandle = await start({ spec: open });
    await (await start({ spec: ended })).result();
    await reach(openHandle, ['awaiting-approval']);
    script.running = [open, ended, { ...open, postId: `${open.postId}-never` }].map((s) => ({
      workflowId: postWorkflowId(s.postId),
      postId: s.postId,
    }));
    const plan = await env.client.workflow.execute(dailyPlan, {
      taskQueue: QUEUE,
      workflowId: `plan/timing/${seq}`,
      args: [{ date: '2026-11-27' }],
    });
    expect(plan.unplanned).toEqual(script.running.map((p) => p.postId));
    expect(script.signalPostsCalls).toBe(0);
    const stopped = await openHandle.result();
    expect(stopped.stage).toBe('cancelled');
    expect(stopped.reason).toBe('the calendar no longer plans this post (re-planned 2026-11-27)');
  });
});
