import type { Client } from '@temporalio/client';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createCalendarActivities } from '../../activities/calendar/activities';
import { FAKE_X_DEFAULTS, startFakeX, type FakeX } from '../fakes/x/server';
import type { PostSpec } from '../../activities/calendar/types';
import { loadConfig, type QueueRole, type ReelcastConfig } from '../../config';
import { connectClient, connectWorker } from '../../worker/connection';
import { createWorkers } from '../../worker/worker';
import { post, postStateQuery, postWorkflowId, type PostInput, type PostState } from '../../workflows/post';

export const ROOT = join(__dirname, '..', '..');

/**
 * End-to-end tests run the real workflows, activities and services. Each test file uses task
 * queues of its own (REELCAST_TASK_QUEUE), so files running at once never take each other's tasks.
 */
export function e2eEnv(name: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...(process.env as Record<string, string>),
    REELCAST_TASK_QUEUE: `e2e-${name}-${process.pid}`,
    REELCAST_SHUTDOWN_GRACE_SECONDS: '2',
    ...extra,
  };
}

/** Settings that publish for real, to the fake X API at `url`. */
export function liveX(url: string): Record<string, string> {
  return {
    REELCAST_DELIVERY: 'live',
    X_API_BASE_URL: url,
    X_APP_KEY: FAKE_X_DEFAULTS.appKey,
    X_APP_SECRET: FAKE_X_DEFAULTS.appSecret,
    X_ACCESS_TOKEN: FAKE_X_DEFAULTS.accessToken,
    X_ACCESS_SECRET: FAKE_X_DEFAULTS.accessSecret,
  };
}

export function e2eConfig(env: Record<string, string>): ReelcastConfig {
  return loadConfig({ env, cwd: ROOT });
}

export interface RunningWorker {
  stop(): Promise<void>;
}

/** A worker in this process, as `reelcast worker` runs it. */
export async function startWorker(
  config: ReelcastConfig,
  roles: QueueRole[] = ['gpu', 'media', 'publish'],
): Promise<RunningWorker> {
  const connection = await connectWorker(config);
  const set = await createWorkers(config, connection, roles);
  const running = set.run();
  return {
    async stop() {
      set.shutdown();
      await running;
      await connection.close();
    },
  };
}

/** `reelcast worker` as a process of its own (for tests that SIGKILL it). */
export function spawnWorker(
  env: Record<string, string>,
  roles: QueueRole[] = ['gpu', 'media', 'publish'],
): ChildProcess & { log: () => string } {
  const cli = join(ROOT, 'bin', 'reelcast.js');
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js')))
    throw new Error('run `npm run build` first (make test does)');
  const child = spawn(process.execPath, [cli, 'worker', '--queues', roles.join(',')], { cwd: ROOT, env });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  return Object.assign(child, { log: () => log });
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `reelcast <args>`: the compiled CLI in a process of its own, as a person runs it. Asynchronous,
 * so a worker running in the test's process keeps working while the command waits.
 */
export function reelcast(
  env: Record<string, string>,
  args: string[],
  timeoutMs = 120_000,
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin', 'reelcast.js'), ...args],
      { cwd: ROOT, env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) =>
        resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== null && (value as unknown) !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Real posts from the example calendars, made small so the demo model makes them in seconds. */
export async function plannedPosts(config: ReelcastConfig, date: string): Promise<PostSpec[]> {
  const calendar = createCalendarActivities({
    calendarsDir: config.calendarsDir,
    templatesDir: config.templatesDir,
    blockedTermsFile: config.compliance.blockedTermsFile,
  });
  return calendar.planDay({ date });
}

let seq = 0;

/** A planned post, re-keyed for this test, publishing `inSeconds` from now, with a tiny video. */
export function quick(spec: PostSpec, inSeconds: number, overrides: Partial<PostSpec> = {}): PostSpec {
  const publishAt = new Date(Date.now() + inSeconds * 1000).toISOString();
  return {
    ...spec,
    // Unique across test files and runs: the ledger and workflow ids are business keys.
    postId: `${spec.postId}-t${Date.now().toString(36)}${process.pid}x${++seq}`,
    publishAt,
    video: { ...spec.video, frames: 25, width: 256, height: 448, steps: 3 },
    approval: { ...spec.approval, required: false, deadlineAt: publishAt },
    // The calendar's named accounts are for tests that connect them; others post as `default`.
    publishing: undefined,
    ...overrides,
  };
}

/**
 * The same post with a seed no other test uses: its master and renditions are made here, not
 * found in storage (media is content-addressed, and the test stack's storage is shared).
 */
export function freshClip(spec: PostSpec): PostSpec {
  return { ...spec, video: { ...spec.video, seed: (Date.now() % 1_000_000_000) + ++seq } };
}

export async function startPost(client: Client, config: ReelcastConfig, input: PostInput) {
  return client.workflow.start(post, {
    taskQueue: config.temporal.taskQueue,
    workflowId: postWorkflowId(input.spec.postId),
    args: [input],
  });
}

export async function postState(client: Client, postId: string): Promise<PostState> {
  return client.workflow.getHandle(postWorkflowId(postId)).query(postStateQuery);
}

export async function waitForStage(
  client: Client,
  postId: string,
  stages: string[],
  timeoutMs = 180_000,
): Promise<PostState> {
  return waitFor(
    `${postId} to reach ${stages.join(' or ')}`,
    async () => {
      const state = await postState(client, postId);
      return stages.includes(state.stage) ? state : undefined;
    },
    timeoutMs,
  );
}

/** Ends the posts a test started that may still wait (for a replay, an approval): nothing lingers. */
export async function terminatePosts(client: Client, postIds: string[]): Promise<void> {
  await Promise.all(
    postIds.map((id) =>
      client.workflow
        .getHandle(postWorkflowId(id))
        .terminate('test over')
        .catch(() => {}),
    ),
  );
}

export { connectClient };

/**
 * For a describe block: the fake X API, and a worker in this process that publishes to it for
 * real, on task queues of their own. Read `fake` and `env` inside the tests (set in beforeAll).
 */
export function withLiveXWorker(name: string): { fake: FakeX; env: Record<string, string> } {
  const stack = {} as { fake: FakeX; env: Record<string, string> };
  let worker: RunningWorker | undefined;
  beforeAll(async () => {
    stack.fake = await startFakeX();
    stack.env = e2eEnv(name, liveX(stack.fake.url));
    worker = await startWorker(e2eConfig(stack.env));
  });
  afterAll(async () => {
    await worker?.stop();
    await stack.fake?.close();
  });
  return stack;
}
