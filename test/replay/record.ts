/**
 * Records workflow histories for the replay-determinism test (test/unit/replay.test.ts):
 * runs a small demo day, an approval that times out, and a failed publish that is replayed,
 * on a real dev server, then saves each history as the Temporal CLI prints it. A post that waits
 * out its 30-day replay window runs on the time-skipping test server instead (the real workers,
 * connected to it), and is saved as the SDK's JSON of the same history.
 *
 *   node -r ./test/fakes/register.js test/replay/record.ts [name ...]
 *
 * It records only the histories that are not there yet (or the names given): after a deliberate,
 * patched() workflow change, add a scenario that takes the new path and keep the old files, which
 * are what proves that workflows started before the change still replay.
 */
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCalendarActivities } from '../../activities/calendar/activities';
import { loadConfig } from '../../config';
import { connectClient, connectWorker } from '../../worker/connection';
import { createWorkers } from '../../worker/worker';
import { dailyPlan } from '../../workflows/daily-plan';
import { approveSignal, post, postWorkflowId, rejectSignal, replayUpdate } from '../../workflows/post';
import { startTestStack } from '../harness/stack';
import { FAKE_X_DEFAULTS, startFakeX } from '../fakes/x/server';
import { startTimeSkipping } from '../unit/workflows/time-skipping';

const SCENARIOS = [
  'daily-plan',
  'post-published',
  'post-approval-skipped',
  'post-replayed',
  'post-skipped-late',
  'post-notified',
  'post-replay-handlers',
  'post-expired',
  'daily-plan-unplanned',
  'post-signed',
  'post-held-released',
  'post-held-rejected',
  'post-one-decode',
  'daily-plan-paged',
  'daily-plan-paged-unplanned',
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
  const failThenReplay = async (tag: string, approval: boolean, refusedFirst = false): Promise<string> => {
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
    // A request the validator refuses (since the replay-handlers patch) leaves no trace in history.
    if (refusedFirst)
      await handle.executeUpdate(replayUpdate, { args: [{ channel: 'tiktok' }] }).catch(() => {});
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

    // After the replay-handlers patch: a refused request, then a replay under the lock.
    if (want.has('post-replay-handlers')) {
      ids['post-replay-handlers'] = await failThenReplay('rechandlers', false, true);
    }

    // After the unplanned-typed-signal patch: a plan that no longer has a running post tells it
    // (daily-plan-unplanned: before plan-in-pages; daily-plan-paged-unplanned: with it).
    for (const name of ['daily-plan-unplanned', 'daily-plan-paged-unplanned'] as const) {
      if (!want.has(name)) continue;
      const stale = {
        ...planned,
        postId: `${planned.postId}-rec${name === 'daily-plan-unplanned' ? '' : 'paged'}unplanned`,
        publishAt: at(120),
        video,
        approval: { ...planned.approval, required: true, deadlineAt: at(60), onDeadline: 'skip' as const },
      };
      const handle = await client.workflow.start(post, {
        taskQueue: 'record',
        workflowId: postWorkflowId(stale.postId),
        args: [{ spec: stale }],
      });
      await until(handle, 'awaiting-approval');
      // The plan finds running posts through visibility, which indexes the stage shortly after.
      await new Promise((r) => setTimeout(r, 2000));
      const plan = await client.workflow.execute(dailyPlan, {
        taskQueue: 'record',
        workflowId: `record/${name}`,
        args: [{ date: '2026-11-27' }],
      });
      if (!plan.unplanned.includes(stale.postId)) throw new Error('the plan did not tell the stale post');
      await handle.result();
      ids[name] = `record/${name}`;
    }

    // After the c2pa-disclosure patch: the transcode gets the campaign's disclosure for the
    // renditions' Content Credentials (the US calendar discloses).
    if (want.has('post-signed')) {
      const all = await createCalendarActivities({
        calendarsDir: config.calendarsDir,
        templatesDir: config.templatesDir,
      }).planDay({ date: '2026-11-27' });
      const disclosed = all.find((p) => p.aiDisclosure !== undefined)!;
      const signed = { ...disclosed, postId: `${disclosed.postId}-recsigned`, publishAt: at(5), video };
      ids['post-signed'] = postWorkflowId(signed.postId);
      await client.workflow.execute(post, {
        taskQueue: 'record',
        workflowId: ids['post-signed'],
        args: [{ spec: { ...signed, approval: { ...signed.approval, required: false } } }],
      });
    }

    // After the content-gate patch: a threshold of 0 holds the clip; a person releases one post
    // over the gate and rejects the other.
    for (const [name, release] of [
      ['post-held-released', true],
      ['post-held-rejected', false],
    ] as const) {
      if (!want.has(name)) continue;
      const spec = {
        ...planned,
        postId: `${planned.postId}-${release ? 'recheld' : 'recheldno'}`,
        channels: ['outbox' as const],
        publishAt: at(20),
        video,
        safety: { drawing: 0, hentai: 0.5, neutral: 1, porn: 0.5, sexy: 0.8 },
      };
      const handle = await client.workflow.start(post, {
        taskQueue: 'record',
        workflowId: postWorkflowId(spec.postId),
        args: [{ spec }],
      });
      await until(handle, 'held');
      if (release) await handle.signal(approveSignal, { by: 'recorder', overrideSafety: true });
      else await handle.signal(rejectSignal, { by: 'recorder', reason: 'not on brand' });
      await handle.result();
      ids[name] = handle.workflowId;
    }

    // After the one-decode-media patch: x + reels + tiktok from one transcodeRenditions activity,
    // reels and tiktok sharing one rendition.
    if (want.has('post-one-decode')) {
      const oneDecode = { ...planned, postId: `${planned.postId}-reconedecode`, publishAt: at(10), video };
      ids['post-one-decode'] = postWorkflowId(oneDecode.postId);
      await client.workflow.execute(post, {
        taskQueue: 'record',
        workflowId: ids['post-one-decode'],
        args: [{ spec: oneDecode }],
      });
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

    const histories: Record<string, string> = {};
    // After the replay-handlers patch: nobody replays a failed post for 30 days; it ends expired.
    if (want.has('post-expired')) {
      const ts = await startTimeSkipping();
      const onTs = loadConfig({
        cwd: join(__dirname, '..', '..'),
        env: {
          ...process.env,
          REELCAST_DELIVERY: 'live',
          REELCAST_TASK_QUEUE: 'record-expired',
          TEMPORAL_ADDRESS: ts.address,
        },
      });
      const set = await createWorkers(onTs, ts.nativeConnection);
      const runningTs = set.run();
      try {
        fake.inject({ endpoint: '*', kind: 'unauthorized', times: 1000 });
        const publishAt = new Date((await ts.currentTimeMs()) + 5000).toISOString();
        const failing = {
          ...planned,
          postId: `${planned.postId}-recexpired`,
          channels: ['x' as const],
          publishing: undefined,
          publishAt,
          video,
          approval: { ...planned.approval, required: false, deadlineAt: publishAt },
        };
        const handle = await ts.client.workflow.start(post, {
          taskQueue: 'record-expired',
          workflowId: postWorkflowId(failing.postId),
          args: [{ spec: failing }],
        });
        const result = await handle.result();
        if (result.stage !== 'expired') throw new Error(`the post ended ${result.stage}, not expired`);
        histories['post-expired'] = historyToJSON(await handle.fetchHistory());
      } finally {
        fake.reset();
        set.shutdown();
        await runningTs;
        await ts.teardown();
      }
    }

    for (const [name, json] of Object.entries(histories)) {
      writeFileSync(join(__dirname, 'histories', `${name}.json`), json);
      process.stdout.write(`recorded ${name}\n`);
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
