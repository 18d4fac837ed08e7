/**
 * Temporal's cost in the pipeline, on the real dev server:
 *  1. overhead per post: the post workflow's wall time minus its activities' critical path
 *     (generate, then the slowest transcode, then the slowest publish), over N posts;
 *  2. a dailyPlan of 500 posts: time until every child has started, against the same 500
 *     workflow starts made directly by a client (the baseline, in the same run).
 *
 *   make bench NAME=temporal ARGS='[posts=8] [children=500]'   (or scripts/bench.sh temporal 8 500)
 */
import type { Client } from '@temporalio/client';
import { cpSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DateTime } from 'luxon';
import { createCalendarActivities } from '../activities/calendar/activities';
import { loadConfig, type ReelcastConfig } from '../config';
import { connectClient, connectWorker } from '../worker/connection';
import { createWorkers } from '../worker/worker';
import { dailyPlan } from '../workflows/daily-plan';
import { post, postWorkflowId } from '../workflows/post';
import { startTestStack } from '../test/harness/stack';

/** The repository: the nearest folder above this file with a package.json (source or compiled). */
const ROOT = ((dir: string): string => {
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
})(join(__dirname, '..'));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;

async function overheadPerPost(client: Client, config: ReelcastConfig, n: number): Promise<void> {
  const calendar = createCalendarActivities({
    calendarsDir: config.calendarsDir,
    templatesDir: config.templatesDir,
  });
  const [planned] = await calendar.planDay({ date: '2026-11-27' });
  const connection = await connectWorker(config);
  const workers = await createWorkers(config, connection);
  const running = workers.run();
  const overheads: number[] = [];
  const totals: number[] = [];
  for (let i = 0; i < n; i++) {
    const spec = {
      ...planned,
      postId: `${planned.postId}-bench${Date.now()}x${i}`,
      channels: ['outbox' as const],
      publishAt: new Date().toISOString(),
      latenessMinutes: 60,
      video: { ...planned.video, frames: 25, width: 256, height: 448, steps: 3 },
      approval: { ...planned.approval, required: false },
    };
    const handle = await client.workflow.start(post, {
      taskQueue: config.temporal.taskQueue,
      workflowId: postWorkflowId(spec.postId),
      args: [{ spec }],
    });
    await handle.result();
    const events = (await handle.fetchHistory()).events ?? [];
    const started = new Map<number, { type: string; at: number }>();
    const scheduledType = new Map<number, string>();
    const durations: Record<string, number[]> = {};
    for (const e of events) {
      const id = Number(e.eventId);
      if (e.activityTaskScheduledEventAttributes)
        scheduledType.set(id, e.activityTaskScheduledEventAttributes.activityType?.name ?? '');
      if (e.activityTaskStartedEventAttributes) {
        const sched = Number(e.activityTaskStartedEventAttributes.scheduledEventId);
        started.set(sched, { type: scheduledType.get(sched) ?? '', at: ms(e.eventTime) });
      }
      if (e.activityTaskCompletedEventAttributes) {
        const s = started.get(Number(e.activityTaskCompletedEventAttributes.scheduledEventId))!;
        (durations[s.type] ??= []).push(ms(e.eventTime) - s.at);
      }
    }
    const total = ms(events[events.length - 1].eventTime) - ms(events[0].eventTime);
    const critical = Object.values(durations).reduce((sum, ds) => sum + Math.max(...ds), 0);
    totals.push(total);
    overheads.push(total - critical);
  }
  workers.shutdown();
  await running;
  await connection.close();
  console.log(
    `post overhead: median ${median(overheads).toFixed(0)} ms of a median ${median(totals).toFixed(0)} ms post (ratio ${(median(overheads) / median(totals)).toFixed(3)}; target median < 250 ms), n=${n}`,
  );
}

async function dailyPlanStarts(client: Client, env: NodeJS.ProcessEnv, children: number): Promise<void> {
  // A calendar with `children` posts on one day: 100 campaigns x N slots, in a folder of its own.
  const dir = mkdtempSync(join(tmpdir(), 'reelcast-bench-'));
  cpSync(join(ROOT, 'templates'), join(dir, 'templates'), { recursive: true });
  const date = DateTime.utc().plus({ days: 60 }).toISODate()!;
  // Each post at a minute of its own: two campaigns at the same slot time would compete (priority).
  const slotsPer = Math.ceil(children / 100);
  const hhmm = (k: number) =>
    `${String(Math.floor(k / 60)).padStart(2, '0')}:${String(k % 60).padStart(2, '0')}`;
  const campaigns = Array.from({ length: 100 }, (_, c) => {
    const slots = Array.from(
      { length: slotsPer },
      (_, i) => `{ id: s${i}, time: '${hhmm(c * slotsPer + i)}' }`,
    ).join(', ');
    return `  - id: c${c}\n    name: Campaign ${c}\n    when: [{ dates: ['${date}'] }]\n    channels: [x]\n    slots: [${slots}]\n    template: evergreen\n    style: cinematic\n    variables: { product: a pair of white wireless earbuds, action: a runner taps one earbud, scene: a riverside path at sunrise, productName: Pulse Buds, shopUrl: 'https://shop.example.com', tags: [PulseBuds] }\n`;
  }).join('');
  writeFileSync(
    join(dir, 'bench.yaml'),
    `id: bench\nname: Bench\nzone: UTC\nlocale: en-US\ncampaigns:\n${campaigns}`,
  );
  const config = loadConfig({
    cwd: ROOT,
    env: {
      ...env,
      REELCAST_CALENDARS_DIR: dir,
      REELCAST_TEMPLATES_DIR: join(dir, 'templates'),
      REELCAST_TASK_QUEUE: 'bench-plan',
    },
  });
  // Only the workflow queue is served: the children start and wait for a GPU worker that never comes.
  const connection = await connectWorker(config);
  const workers = await createWorkers(config, connection, []);
  const running = workers.run();

  const t0 = Date.now();
  const result = await client.workflow.execute(dailyPlan, {
    taskQueue: 'bench-plan',
    workflowId: `bench-plan-${Date.now()}`,
    args: [{ date }],
  });
  const planMs = Date.now() - t0;

  // Baseline: the same number of post workflows started one by one by a client, 16 at a time.
  const specs = await createCalendarActivities({
    calendarsDir: dir,
    templatesDir: join(dir, 'templates'),
  }).planDay({ date });
  const t1 = Date.now();
  for (let i = 0; i < specs.length; i += 16) {
    await Promise.all(
      specs.slice(i, i + 16).map((spec) =>
        client.workflow.start(post, {
          taskQueue: 'bench-plan',
          workflowId: `baseline/${spec.postId}`,
          args: [{ spec }],
        }),
      ),
    );
  }
  const baselineMs = Date.now() - t1;
  workers.shutdown();
  await running;
  await connection.close();
  console.log(
    `dailyPlan of ${result.started.length} posts: all posts started in ${(planMs / 1000).toFixed(1)} s (target < 60 s); baseline ${specs.length} client starts ${(baselineMs / 1000).toFixed(1)} s; ratio ${(planMs / baselineMs).toFixed(2)}`,
  );
}

async function main(): Promise<void> {
  const posts = Number(process.argv[2] ?? 8);
  const children = Number(process.argv[3] ?? 500);
  const test = await startTestStack(() => {});
  const env = { ...process.env, ...test.env, REELCAST_STORAGE: 'fs', REELCAST_TASK_QUEUE: 'bench' };
  const config = loadConfig({ cwd: ROOT, env });
  const client = await connectClient(config);
  try {
    await overheadPerPost(client, config, posts);
    await dailyPlanStarts(client, env, children);
  } finally {
    await client.connection.close();
    await test.stack.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
