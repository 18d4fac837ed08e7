/**
 * Records workflow histories for the replay-determinism test (test/unit/replay.test.ts):
 * runs a small demo day, an approval that times out, and a failed publish that is replayed,
 * on a real dev server, then saves each history as the Temporal CLI prints it.
 *
 *   node -r ./test/fakes/register.js test/replay/record.ts [name ...]
 *
 * It records only the histories that are not there yet (or the names given): after a deliberate,
 * patched() workflow change, add a scenario that takes the new path and keep the old files, which
 * are what proves that workflows started before the change still replay.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCalendarActivities } from '../../activities/calendar/activities';
import { loadConfig } from '../../config';
import { connectClient, connectWorker } from '../../worker/connection';
import { createWorkers } from '../../worker/worker';
import { dailyPlan } from '../../workflows/daily-plan';
import { approveSignal, post, postWorkflowId, replayUpdate } from '../../workflows/post';
import { startTestStack } from '../harness/stack';
import { FAKE_X_DEFAULTS, startFakeX } from '../fakes/x/server';

const SCENARIOS = [
  'daily-plan',
  'post-published',
  'post-approval-skipped',
  'post-replayed',
  'post-skipped-late',
  'post-notified',
  'daily-plan-paged',
] as const;
type Scenario = (typeof SCENARIOS)[number];

function wanted(argv: string[]): Set<Scenario> {
  const bad = argv.filter((a) => !(SCENARIOS as readonly string[]).includes(a));
  if (bad.length) throw new Error(`unknown scenario ${bad.join(', ')}; one of ${SCENARIOS.join(', ')}`);
  const fileOf = (name: string) => join(__dirname, 'histories', `${name}.json`);
  return new Set(argv.length ? (argv as Scenario[]) : SCENARIOS.filter((n) => !existsSync(fileOf(n))));
}

async function main(): Promise<void> {
  const want = wanted(process.argv.slice(2));
  if (want.size === 0) {
    process.stdout.write('every history is recorded already; name the ones to record again\n');
    return;
  }
  const test = await startTestStack(() => {});
  const fake = await startFakeX();
  Object.assign(process.env, test.env, {
    REELCAST_TASK_QUEUE: 'record',
    X_API_BASE_URL: fake.url,
    X_APP_KEY: FAKE_X_DEFAULTS.appKey,
    X_APP_SECRET: FAKE_X_DEFAULTS.appSecret,
    X_ACCESS_TOKEN: FAKE_X_DEFAULTS.accessToken,
    X_ACCESS_SECRET: FAKE_X_DEFAULTS.accessSecret,
  });
  const config = loadConfig({ cwd: join(__dirname, '..', '..') });
  // Outbox delivery for the demo day; a second deployment publishes to the (fake) X for real.
  const live = loadConfig({
    cwd: join(__dirname, '..', '..'),
    env: { ...process.env, REELCAST_DELIVERY: 'live', REELCAST_TASK_QUEUE: 'record-x' },
  });
  const connection = await connectWorker(config);
  const sets = [await createWorkers(config, connection), await createWorkers(live, connection)];
  const runs = sets.map((w) => w.run());
  const workers = { shutdown: () => sets.forEach((w) => w.shutdown()) };
  const running = Promise.all(runs);
  const client = await connectClient(config);
  const ids: Record<string, string> = {};
  const statusOf = async (handle: { describe(): Promise<{ searchAttributes: unknown }> }) =>
    ((await handle.describe()).searchAttributes as Record<string, unknown[]>).ReelcastStatus?.[0];
  const until = async (handle: Parameters<typeof statusOf>[0], stage: string) => {
    while ((await statusOf(handle)) !== stage) await new Promise((r) => setTimeout(r, 500));
  };
  /** A post on X that fails (revoked token), then a person's replay publishes it. */
  const failThenReplay = async (tag: string, approval: boolean): Promise<string> => {
    const [planned] = await createCalendarActivities({
      calendarsDir: config.calendarsDir,
      templatesDir: config.templatesDir,
    }).planDay({ date: '2026-11-27' });
    const at = (s: number) => new Date(Date.now() + s * 1000).toISOString();
    fake.inject({ endpoint: '*', kind: 'unauthorized', times: 1000 });
    const failing = {
      ...planned,
      postId: `${planned.postId}-${tag}`,
      channels: ['x' as const],
      // The calendar's named accounts are not connected here; publish as `default`.
      publishing: undefined,
      publishAt: at(approval ? 15 : 5),
      video: { ...planned.video, frames: 25, width: 256, height: 448, steps: 3 },
      approval: { ...planned.approval, required: approval, deadlineAt: at(10), onDeadline: 'skip' as const },
    };
    const handle = await client.workflow.start(post, {
      taskQueue: 'record-x',
      workflowId: postWorkflowId(failing.postId),
      args: [{ spec: failing }],
    });
    if (approval) {
      await until(handle, 'awaiting-approval');
      await handle.signal(approveSignal, { by: 'recorder' });
    }
    await until(handle, 'awaiting-replay');
    fake.reset();
    await handle.executeUpdate(replayUpdate, { args: [{}] });
    await handle.result();
    return handle.workflowId;
  };
  try {
    const [planned] = await createCalendarActivities({
      calendarsDir: config.calendarsDir,
      templatesDir: config.templatesDir,
    }).planDay({ date: '2026-11-27' });
    const video = { ...planned.video, frames: 25, width: 256, height: 448, steps: 3 };
    const at = (s: number) => new Date(Date.now() + s * 1000).toISOString();

    if (want.has('daily-plan') || want.has('post-published')) {
      const plan = await client.workflow.execute(dailyPlan, {
        taskQueue: 'record',
        workflowId: 'record/daily-plan',
        args: [
          {
            date: '2026-11-27',
            demo: { firstPublishAt: at(10), spacingSeconds: 2, limit: 1, tag: 'rec', video },
          },
        ],
      });
      ids['daily-plan'] = 'record/daily-plan';
      ids['post-published'] = postWorkflowId(plan.started[0]);
      await client.workflow.getHandle(ids['post-published']).result();
    }

    if (want.has('post-approval-skipped')) {
      const skipped = {
        ...planned,
        postId: `${planned.postId}-recskip`,
        publishAt: at(30),
        video,
        approval: { ...planned.approval, required: true, deadlineAt: at(2), onDeadline: 'skip' as const },
      };
      ids['post-approval-skipped'] = postWorkflowId(skipped.postId);
      await client.workflow.execute(post, {
        taskQueue: 'record',
        workflowId: ids['post-approval-skipped'],
        args: [{ spec: skipped }],
      });
    }

    if (want.has('post-skipped-late')) {
      // Planned two hours after its publish time (a catch-up or a backfill): skipped, no video.
      const late = { ...planned, postId: `${planned.postId}-reclate`, publishAt: at(-7200), video };
      ids['post-skipped-late'] = postWorkflowId(late.postId);
      await client.workflow.execute(post, {
        taskQueue: 'record',
        workflowId: ids['post-skipped-late'],
        args: [{ spec: late }],
      });
    }

    if (want.has('post-replayed')) {
      ids['post-replayed'] = await failThenReplay('recfail', false);
    }

    // After the notify-people patch: waiting for approval and failing each notify the calendar's
    // people (the example calendars name nobody, so the activity sends nothing).
    if (want.has('post-notified')) {
      ids['post-notified'] = await failThenReplay('recnotify', true);
    }

    // After the plan-in-pages patch: the plan's specs in storage, the posts started by activities,
    // and the stale-post check (a past day: its posts skip as too late, without a video).
    if (want.has('daily-plan-paged')) {
      ids['daily-plan-paged'] = 'record/daily-plan-paged';
      await client.workflow.execute(dailyPlan, {
        taskQueue: 'record',
        workflowId: ids['daily-plan-paged'],
        args: [{ date: '2026-11-27' }],
      });
    }

    for (const [name, id] of Object.entries(ids)) {
      if (!want.has(name as Scenario)) continue;
      const json = execFileSync(
        test.env.REELCAST_TEMPORAL_BIN,
        ['workflow', 'show', '--address', test.env.TEMPORAL_ADDRESS, '-w', id, '--output', 'json'],
        { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      );
      writeFileSync(join(__dirname, 'histories', `${name}.json`), json);
      process.stdout.write(`recorded ${name}\n`);
    }
  } finally {
    await client.connection.close();
    workers.shutdown();
    await running;
    await connection.close();
    await fake.close();
    await test.stack.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
