/**
 * A full day at speed, on the real dev server, the real S3 server and a real `reelcast worker`
 * process, with calendars generated on the fly (one post per slot, tiny demo-model clips):
 *
 *  1. the day: `posts` posts planned by dailyPlan (publish times compressed, as `reelcast demo`
 *     does), generated, transcoded and published to the outbox; then checked: every post
 *     published exactly once (outbox deliveries, ledger entries, each post's own state), the time
 *     from the plan's start to the last publish, and the worker's peak RSS;
 *  2. dailyPlan's fan-out: the same number of posts started by dailyPlan against the same starts
 *     made by a client, 16 at a time (the baseline, in the same run); plan only: the posts wait
 *     for a generation worker that never comes;
 *  3. a `big` day, plan and fan-out only: the plan completes and no event of its history comes near
 *     Temporal's payload warning (512 KB).
 *
 *   scripts/bench.sh day [posts=500] [big=5000] [day,fan,big]   (0, or a part left out, skips it)
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DateTime } from 'luxon';
import { createCalendarActivities } from '../activities/calendar/activities';
import { openStorage, type ObjectStorage } from '../activities/storage';
import { loadConfig } from '../config';
import { connectClient, connectWorker } from '../worker/connection';
import { createWorkers } from '../worker/worker';
import { dailyPlan, type DailyPlanResult } from '../workflows/daily-plan';
import { post, postStateQuery, postWorkflowId, type PostState } from '../workflows/post';
import { startTestStack } from '../test/harness/stack';

/** The repository: the nearest folder above this file with a package.json (source or compiled). */
const ROOT = ((dir: string): string => {
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
})(join(__dirname, '..'));
const TINY = { frames: 9, width: 128, height: 224, steps: 2 };
const PAYLOAD_WARNING = 512 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const load = () => loadavg()[0].toFixed(1);

/**
 * A folder of calendars planning `posts` posts on `date` (UTC), one channel each, at most 1,000
 * per calendar (a minute of its own per post: posts of one calendar at the same minute on the
 * same channel would compete), campaigns of 10 slots. Campaign ids start with `prefix`, so two
 * days in one run never share a post id.
 */
export function writeDayCalendars(
  posts: number,
  opts: { date: string; prefix: string; channel: string },
): { calendarsDir: string; templatesDir: string } {
  const dir = mkdtempSync(join(tmpdir(), `reelcast-day-${opts.prefix}-`));
  const templatesDir = join(dir, 'templates');
  const calendarsDir = join(dir, 'calendars');
  cpSync(join(ROOT, 'templates'), templatesDir, { recursive: true });
  mkdirSync(calendarsDir);
  const hhmm = (k: number) =>
    `${String(Math.floor(k / 60)).padStart(2, '0')}:${String(k % 60).padStart(2, '0')}`;
  for (let cal = 0, left = posts; left > 0; cal++, left -= 1000) {
    const inCalendar = Math.min(1000, left);
    const campaigns: string[] = [];
    for (let c = 0; c * 10 < inCalendar; c++) {
      const slots = Array.from({ length: Math.min(10, inCalendar - c * 10) }, (_, i) => {
        const k = c * 10 + i;
        return `{ id: s${i}, time: '${hhmm(k)}' }`;
      });
      campaigns.push(
        [
          `  - id: ${opts.prefix}${cal}-c${c}`,
          `    name: Campaign ${cal}-${c}`,
          `    when: [{ dates: ['${opts.date}'] }]`,
          `    channels: [${opts.channel}]`,
          `    slots: [${slots.join(', ')}]`,
          '    template: evergreen',
          '    style: cinematic',
          '    latenessMinutes: 600',
          `    video: { frames: ${TINY.frames}, width: ${TINY.width}, height: ${TINY.height}, steps: ${TINY.steps} }`,
          `    variables: { product: a pair of white wireless earbuds, action: a runner taps one earbud, scene: a riverside path at sunrise, productName: Pulse Buds ${c}, shopUrl: 'https://shop.example.com', tags: [PulseBuds] }`,
        ].join('\n'),
      );
    }
    writeFileSync(
      join(calendarsDir, `${opts.prefix}${cal}.yaml`),
      `id: ${opts.prefix}${cal}\nname: Day ${cal}\nzone: UTC\nlocale: en-US\ncampaigns:\n${campaigns.join('\n')}\n`,
    );
  }
  return { calendarsDir, templatesDir };
}

/**
 * What a workflow's history says: its events, its largest event (its payloads), its workflow
 * tasks and where its wall time went (workflow tasks waiting for a worker, running on it, and the
 * rest: activities, child starts).
 */
async function historyOf(client: Client, workflowId: string) {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const sizes = events.map((e) => temporal.api.history.v1.HistoryEvent.encode(e).finish().length);
  const at = (e: (typeof events)[number]) =>
    Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
  const byId = new Map(events.map((e) => [Number(e.eventId), e]));
  let waitingMs = 0;
  let runningMs = 0;
  const activityMs: Record<string, number> = {};
  for (const e of events) {
    const done = e.activityTaskCompletedEventAttributes;
    if (done) {
      const scheduled = byId.get(Number(done.scheduledEventId))!;
      const name = scheduled.activityTaskScheduledEventAttributes!.activityType!.name!;
      activityMs[name] = (activityMs[name] ?? 0) + at(e) - at(scheduled);
    }
    const started = e.workflowTaskStartedEventAttributes;
    const completed = e.workflowTaskCompletedEventAttributes;
    if (started) waitingMs += at(e) - at(byId.get(Number(started.scheduledEventId))!);
    if (completed) runningMs += at(e) - at(byId.get(Number(completed.startedEventId))!);
  }
  return {
    events: events.length,
    bytes: sizes.reduce((a, b) => a + b, 0),
    largest: Math.max(...sizes),
    workflowTasks: events.filter((e) => e.workflowTaskCompletedEventAttributes).length,
    totalMs: events.length ? at(events[events.length - 1]) - at(events[0]) : 0,
    waitingMs,
    runningMs,
    activityMs,
  };
}
type History = Awaited<ReturnType<typeof historyOf>>;
const describeHistory = (h: History) =>
  `${h.events} events, ${(h.bytes / 1024).toFixed(0)} KB in all, largest event ${(h.largest / 1024).toFixed(1)} KB (warning at ${PAYLOAD_WARNING / 1024} KB); ${h.workflowTasks} workflow tasks: of its ${secs(h.totalMs)}, ${secs(h.waitingMs)} waiting for the worker, ${secs(h.runningMs)} on it; activities (scheduled to completed, summed) ${Object.entries(
    h.activityMs,
  )
    .map(([name, ms]) => `${name} ${secs(ms)}`)
    .join(', ')}`;

/** Starts `reelcast worker` (the compiled CLI) as a process of its own and waits until it serves. */
async function spawnWorker(env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [join(__dirname, '..', 'cli', 'main.js'), 'worker'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  process.once('exit', () => child.kill('SIGKILL'));
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const deadline = Date.now() + 120_000;
  while (!log.includes(' serving ')) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`the worker did not start:\n${log}`);
    await sleep(200);
  }
  return {
    /** Peak resident memory of the worker process so far (Linux VmHWM), in MB. */
    peakRssMb: () =>
      Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
    log: () => log,
  };
}

async function readJson<T>(storage: ObjectStorage, key: string): Promise<T | undefined> {
  if (!(await storage.head(key))) return undefined;
  return JSON.parse((await storage.getBuffer(key)).toString('utf8')) as T;
}

/** `fn` over `items`, `n` at a time. */
async function pool<T, R>(items: T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

async function fullDay(client: Client, env: NodeJS.ProcessEnv, posts: number, date: string): Promise<void> {
  // Channel x, delivered to the outbox (the embedded default delivery): its preset takes clips
  // from 0.5 s (the outbox channel's own, reels, needs 3 s, which the tiny clips are not).
  const dirs = writeDayCalendars(posts, { date, prefix: 'day', channel: 'x' });
  const dayEnv = {
    ...env,
    REELCAST_CALENDARS_DIR: dirs.calendarsDir,
    REELCAST_TEMPLATES_DIR: dirs.templatesDir,
    REELCAST_TASK_QUEUE: 'bench-day',
  };
  const config = loadConfig({ cwd: ROOT, env: dayEnv });
  const storage = openStorage(config);
  const worker = await spawnWorker(dayEnv);
  console.log(`day of ${posts} posts: worker ${worker.log().trim().split('\n').pop()}; load ${load()}`);
  const t0 = Date.now();
  const workflowId = `bench-day-${t0}`;
  const plan = await client.workflow.execute(dailyPlan, {
    taskQueue: 'bench-day',
    workflowId,
    args: [
      {
        date,
        // Every post due within the first minute: the day runs as fast as the pipeline goes.
        demo: {
          firstPublishAt: new Date(t0 + 30_000).toISOString(),
          spacingSeconds: 0.1,
          tag: 'b',
          video: TINY,
        },
      },
    ],
  });
  console.log(`  planned and started ${plan.started.length} posts in ${secs(Date.now() - t0)}`);
  // Posts still on their way (one that failed waits for a person's replay: counted, not waited for).
  const running = `WorkflowType = 'post' AND TaskQueue = 'bench-day' AND ExecutionStatus = 'Running' AND ReelcastStatus != 'awaiting-replay'`;
  const maxMs = Number(process.env.BENCH_DAY_MINUTES ?? 60) * 60_000;
  for (let last = 0; ;) {
    const open = (await client.workflow.count(running)).count;
    if (open === 0) break;
    if (Date.now() - t0 > maxMs) {
      console.log(`  stopped waiting after ${secs(maxMs)} (BENCH_DAY_MINUTES) with ${open} posts open`);
      break;
    }
    if (Date.now() - last > 60_000) {
      last = Date.now();
      console.log(`  ${secs(Date.now() - t0)}: ${open} posts still open; load ${load()}`);
    }
    await sleep(5000);
  }
  const peakRss = worker.peakRssMb();

  // Exactly once: each post published on its channel, one outbox delivery and one ledger entry per
  // post, none reconciled or replaced, each post's publish made in one attempt.
  const checks = await pool(plan.started, 16, async (postId) => {
    const handle = client.workflow.getHandle<typeof post>(postWorkflowId(postId));
    const closed = (await handle.describe()).status.name === 'COMPLETED';
    const state: PostState = closed ? await handle.result() : await handle.query(postStateQuery);
    const delivery = await readJson<{ publishedAt: string }>(storage, `outbox/${postId}/x/post.json`);
    const ledger = await readJson<{
      state: string;
      reconciled?: boolean;
      history?: unknown[];
      publishedAt?: string;
    }>(storage, `ledger/${postId}/x.json`);
    return {
      published: state.stage === 'published' && state.publishes.x?.status === 'published',
      once:
        state.publishes.x?.attempts === 1 &&
        ledger?.state === 'published' &&
        !ledger.reconciled &&
        !ledger.history?.length &&
        delivery !== undefined,
      stage: state.stage,
      at: Date.parse(delivery?.publishedAt ?? ''),
    };
  });
  await worker.stop();
  let deliveries = 0;
  for await (const o of storage.list('outbox/')) if (o.key.endsWith('/post.json')) deliveries++;
  const published = checks.filter((c) => c.published).length;
  const times = checks.map((c) => c.at).filter(Number.isFinite);
  const lastAt = Math.max(...times);
  const firstAt = Math.min(...times);
  const stages = checks.reduce<Record<string, number>>(
    (m, c) => ({ ...m, [c.stage]: (m[c.stage] ?? 0) + 1 }),
    {},
  );
  console.log(
    [
      `  published ${published} of ${posts} (stages ${JSON.stringify(stages)}); exactly once (1 attempt, ledger published, not reconciled, 1 outbox delivery): ${checks.filter((c) => c.once).length}; outbox deliveries ${deliveries}`,
      `  last publish ${secs(lastAt - t0)} after the plan started (first ${secs(firstAt - t0)}; ${((lastAt - firstAt) / 1000 / Math.max(1, times.length - 1)).toFixed(2)} s a post between them); worker peak RSS ${peakRss.toFixed(0)} MB; load ${load()}`,
      `  plan: ${describeHistory(await historyOf(client, workflowId))}`,
    ].join('\n'),
  );
}

/**
 * dailyPlan of a day of `posts` posts on a workflow-only worker (the posts start and wait for a
 * generation worker that never comes), then, with `baseline`, the same starts by a client.
 */
async function planOnly(
  client: Client,
  env: NodeJS.ProcessEnv,
  posts: number,
  date: string,
  prefix: string,
  baseline: boolean,
): Promise<void> {
  const dirs = writeDayCalendars(posts, { date, prefix, channel: 'x' });
  const queue = `bench-${prefix}`;
  const config = loadConfig({
    cwd: ROOT,
    env: {
      ...env,
      REELCAST_CALENDARS_DIR: dirs.calendarsDir,
      REELCAST_TEMPLATES_DIR: dirs.templatesDir,
      REELCAST_TASK_QUEUE: queue,
    },
  });
  const connection = await connectWorker(config);
  const workers = await createWorkers(config, connection, []);
  const running = workers.run();
  try {
    const workflowId = `bench-${prefix}-${Date.now()}`;
    const t0 = Date.now();
    let result: DailyPlanResult | undefined;
    let failure: unknown;
    try {
      result = await client.workflow.execute(dailyPlan, { taskQueue: queue, workflowId, args: [{ date }] });
    } catch (err) {
      failure = err;
    }
    const planMs = Date.now() - t0;
    const history = await historyOf(client, workflowId);
    console.log(
      `plan of ${posts} posts: ${result ? `${result.started.length} started, ${result.existing.length} existing in ${secs(planMs)}` : `FAILED after ${secs(planMs)}: ${String((failure as Error).message)} ${String(((failure as Error).cause as Error | undefined)?.message ?? '')}`}; load ${load()}`,
    );
    console.log(`  plan history: ${describeHistory(history)}`);
    if (!baseline || !result) return;
    const specs = await createCalendarActivities(dirs).planDay({ date });
    const t1 = Date.now();
    await pool(specs, 16, (spec) =>
      client.workflow.start(post, {
        taskQueue: queue,
        workflowId: `baseline/${spec.postId}`,
        args: [{ spec }],
      }),
    );
    const baselineMs = Date.now() - t1;
    console.log(
      `  fan-out: dailyPlan ${secs(planMs)} (plan included) against ${specs.length} client starts 16 at a time ${secs(baselineMs)}: ratio ${(planMs / baselineMs).toFixed(2)} (target <= 1.5); load ${load()}`,
    );
  } finally {
    workers.shutdown();
    await running;
    await connection.close();
  }
}

async function main(): Promise<void> {
  const posts = Number(process.argv[2] ?? 500);
  const big = Number(process.argv[3] ?? 5000);
  const parts = new Set((process.argv[4] ?? 'day,fan,big').split(','));
  console.log(`machine: ${cpus().length} cores, load average ${load()} at the start`);
  const test = await startTestStack(() => {});
  // Interrupted: the servers and the worker go too.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => void test.stack.stop().finally(() => process.exit(130)));
  const env = { ...process.env, ...test.env };
  const config = loadConfig({ cwd: ROOT, env });
  const client = await connectClient(config);
  const date = DateTime.utc().plus({ days: 60 }).toISODate()!;
  try {
    if (posts > 0 && parts.has('day')) await fullDay(client, env, posts, date);
    if (posts > 0 && parts.has('fan')) await planOnly(client, env, posts, date, 'fan', true);
    if (big > 0 && parts.has('big')) await planOnly(client, env, big, date, 'big', false);
  } finally {
    await client.connection.close();
    await test.stack.stop();
  }
  console.log(`load average ${load()} at the end`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
