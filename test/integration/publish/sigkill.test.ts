/**
 * Publish at most once across a SIGKILLed worker, on every live platform. Each fake platform runs
 * as its own process (test/fakes/<platform>/main.ts); a publish worker of its own
 * (publish-worker.ts: Reelcast's publish activities, REELCAST_DELIVERY=live, configured from the
 * environment like `reelcast worker`) serves the publish queue with the account's tokens in the
 * token store and the rendition in the test stack's storage. The worker is SIGKILLed (a) while
 * the platform holds an upload request midway and (b) after the platform accepted the post but
 * before it answered; a new worker takes over the retried attempt. The post exists exactly once,
 * the ledger has it published with its remote id, and (a) continues the saved upload where the
 * platform allows it.
 */
import { Worker } from '@temporalio/worker';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { loadConfig, type ReelcastConfig } from '../../../config';
import { PublishLedger, type PublishInput, type PublishOutcome } from '../../../activities/publish';
import type { ChannelName } from '../../../activities/publish/channel';
import { channelSpec } from '../../../activities/publish/channel-table';
import { TokenStore } from '../../../activities/publish/tokens/store';
import { openStorage, renditionKey, type ObjectStorage } from '../../../activities/storage';
import { connectClient, connectWorker } from '../../../worker/connection';
import { FAKE_INSTAGRAM_DEFAULTS } from '../../fakes/instagram/server';
import { FAKE_TIKTOK_DEFAULTS, type IssuedTokens } from '../../fakes/tiktok/server';
import { FAKE_X_DEFAULTS } from '../../fakes/x/server';
import { FAKE_YOUTUBE_DEFAULTS } from '../../fakes/youtube/server';
import { publishOnQueue } from './workflows/publish-once';

const root = join(__dirname, '..', '..', '..');
const register = join(root, 'test', 'fakes', 'register.js');
const MiB = 1024 * 1024;
const HOLD_MS = 60_000;

/** What a test reads of a fake's `GET /_fake/state`. */
interface FakeState {
  requests: Record<string, number>;
  log: Array<{ endpoint: string; status: number; range?: string }>;
  holding: string[];
  [more: string]: unknown;
}

/** One platform: its fake, how the worker and the account are set up, what its faults and state look like. */
interface Platform {
  channel: ChannelName;
  /** The fake's directory under test/fakes and the URL line it prints. */
  fake: string;
  urlLine: string;
  fakeArgs: string[];
  /** A size that takes several upload requests with the adapter's chunk size. */
  bytes: number;
  env(url: string): Record<string, string>;
  /** Puts the account's tokens into the token store (the fakes issue or know them). */
  connect(url: string, store: TokenStore): Promise<void>;
  /** The posts on the fake: remote id and the sha256 of the video bytes. */
  posts(state: FakeState): Array<{ id: string; sha256: string }>;
  /** (a) The fault that holds an upload request midway, and what shows the retry continued it. */
  midUpload: { fault: Record<string, unknown>; continued(state: FakeState): void };
  /**
   * (b) The fault that holds the answer after the platform accepted, what shows the retry sent
   * nothing again, and whether it found the post by looking (reconcile) or by the saved handle.
   */
  afterAccept: { fault: Record<string, unknown>; notRepeated(state: FakeState): void; reconciled: boolean };
}

const PLATFORMS: Record<string, Platform> = {
  x: {
    channel: 'x',
    fake: 'x',
    urlLine: 'FAKE_X_URL',
    fakeArgs: [],
    // Two 4 MiB segments.
    bytes: 6 * MiB + 321,
    env: (url) => ({
      X_API_BASE_URL: url,
      X_APP_KEY: FAKE_X_DEFAULTS.appKey,
      X_APP_SECRET: FAKE_X_DEFAULTS.appSecret,
      X_ACCESS_TOKEN: FAKE_X_DEFAULTS.accessToken,
      X_ACCESS_SECRET: FAKE_X_DEFAULTS.accessSecret,
    }),
    connect: async () => {}, // the environment's default account
    posts: (s) =>
      (s.posts as Array<{ id: string; media_sha256: string[] }>).map((p) => ({
        id: p.id,
        sha256: p.media_sha256[0],
      })),
    midUpload: {
      fault: { endpoint: 'append', kind: 'stall-midway', after: 1 },
      continued: (s) => {
        // X cannot say which segments of a media upload it has: the retry uploads anew, and the
        // post carries the second upload.
        const media = s.media as Array<{ id: string; state: string }>;
        expect(s.requests.initialize).toBe(2);
        expect((s.posts as Array<{ media_ids: string[] }>)[0].media_ids).toEqual([media[1].id]);
        expect(media[0].state).toBe('uploading');
      },
    },
    afterAccept: {
      fault: { endpoint: 'create', kind: 'hold-after-accept' },
      notRepeated: (s) => expect(s.requests.create).toBe(1),
      reconciled: true,
    },
  },
  tiktok: {
    channel: 'tiktok',
    fake: 'tiktok',
    urlLine: 'FAKE_TIKTOK_URL',
    fakeArgs: ['--processing-ms', '0'],
    // Two chunks: 10 MiB and 10 MiB + the rest (TikTok's chunks are 5 MB at least).
    bytes: 20 * MiB + 4321,
    env: (url) => ({
      TIKTOK_API_BASE_URL: url,
      TIKTOK_AUTH_BASE_URL: url,
      TIKTOK_CLIENT_KEY: FAKE_TIKTOK_DEFAULTS.clientKey,
      TIKTOK_CLIENT_SECRET: FAKE_TIKTOK_DEFAULTS.clientSecret,
    }),
    connect: async (url, store) => {
      const t = (await (await fetch(`${url}/_fake/grant`, { method: 'POST' })).json()) as IssuedTokens;
      await store.save({
        platform: 'tiktok',
        account: 'default',
        accessToken: t.accessToken,
        refreshToken: t.refreshToken,
        expiresAt: new Date(Date.now() + t.expiresIn * 1000).toISOString(),
        refreshExpiresAt: new Date(Date.now() + t.refreshExpiresIn * 1000).toISOString(),
        scopes: t.scopes,
        remoteAccountId: t.openId,
        connectedAt: new Date().toISOString(),
      });
    },
    posts: (s) =>
      (s.posts as Array<{ postId: string; sha256: string }>).map((p) => ({ id: p.postId, sha256: p.sha256 })),
    midUpload: {
      fault: { endpoint: 'upload', kind: 'stall-midway', after: 1 },
      continued: (s) => {
        // One publish_id: the first chunk was sent once, the stalled second one again, same upload.
        expect(s.requests.init).toBe(1);
        expect(s.publishes as unknown[]).toHaveLength(1);
        expect(uploadStatuses(s, 'upload')).toEqual([206, 0, 201]);
      },
    },
    afterAccept: {
      fault: { endpoint: 'upload', kind: 'hold-after-accept', after: 1 },
      notRepeated: (s) => {
        expect(s.requests.init).toBe(1);
        expect(uploadStatuses(s, 'upload')).toEqual([206, 0]);
      },
      // The post is private (SELF_ONLY), which video.list does not show: the saved publish_id finds it.
      reconciled: false,
    },
  },
  youtube: {
    channel: 'shorts',
    fake: 'youtube',
    urlLine: 'FAKE_YOUTUBE_URL',
    fakeArgs: [],
    // Four 1 MiB chunks and a tail.
    bytes: 4 * MiB + 4321,
    env: (url) => ({
      YOUTUBE_API_BASE_URL: url,
      YOUTUBE_OAUTH_BASE_URL: url,
      YOUTUBE_CLIENT_ID: FAKE_YOUTUBE_DEFAULTS.clientId,
      YOUTUBE_CLIENT_SECRET: FAKE_YOUTUBE_DEFAULTS.clientSecret,
      YOUTUBE_UPLOAD_CHUNK_MIB: '1',
    }),
    connect: async (url, store) => {
      const t = (await (await fetch(`${url}/_fake/tokens`, { method: 'POST' })).json()) as {
        accessToken: string;
        refreshToken: string;
        expiresInSeconds: number;
      };
      await store.save({
        platform: 'youtube',
        account: 'default',
        accessToken: t.accessToken,
        refreshToken: t.refreshToken,
        expiresAt: new Date(Date.now() + t.expiresInSeconds * 1000).toISOString(),
        scopes: ['https://www.googleapis.com/auth/youtube.upload'],
        remoteAccountId: FAKE_YOUTUBE_DEFAULTS.channelId,
        connectedAt: new Date().toISOString(),
      });
    },
    posts: (s) =>
      (s.videos as Array<{ id: string; bytes: { sha256: string } }>).map((v) => ({
        id: v.id,
        sha256: v.bytes.sha256,
      })),
    midUpload: {
      fault: { endpoint: 'chunk', kind: 'stall-midway', after: 1 },
      continued: (s) => {
        // One session; after asking it where it stands, the upload goes on from the 256 KiB
        // boundary YouTube kept inside the stalled chunk (1.5 MiB), not from the start.
        expect(s.requests.start).toBe(1);
        expect(s.sessions as unknown[]).toHaveLength(1);
        expect(s.requests.query).toBeGreaterThanOrEqual(1);
        const total = 4 * MiB + 4321;
        expect(s.log.filter((l) => l.endpoint === 'chunk').map((l) => [l.range, l.status])).toEqual([
          [`bytes 0-${MiB - 1}/${total}`, 308],
          [`bytes ${MiB}-${2 * MiB - 1}/${total}`, 0],
          [`bytes ${1.5 * MiB}-${2.5 * MiB - 1}/${total}`, 308],
          [`bytes ${2.5 * MiB}-${3.5 * MiB - 1}/${total}`, 308],
          [`bytes ${3.5 * MiB}-${total - 1}/${total}`, 201],
        ]);
      },
    },
    afterAccept: {
      fault: { endpoint: 'chunk', kind: 'hold-after-accept' },
      notRepeated: (s) => {
        expect(s.requests.start).toBe(1);
        expect(uploadStatuses(s, 'chunk')).toEqual([308, 308, 308, 308, 0]);
      },
      reconciled: true,
    },
  },
  instagram: {
    channel: 'reels',
    fake: 'instagram',
    urlLine: 'FAKE_INSTAGRAM_URL',
    fakeArgs: [],
    bytes: 4 * MiB + 4321,
    env: (url) => ({
      INSTAGRAM_GRAPH_BASE_URL: url,
      INSTAGRAM_UPLOAD_BASE_URL: url,
      INSTAGRAM_OAUTH_BASE_URL: url,
      INSTAGRAM_API_VERSION: FAKE_INSTAGRAM_DEFAULTS.version,
      INSTAGRAM_APP_ID: FAKE_INSTAGRAM_DEFAULTS.appId,
      INSTAGRAM_APP_SECRET: FAKE_INSTAGRAM_DEFAULTS.appSecret,
    }),
    connect: async (_url, store) => {
      // The fake knows this long-lived token from its start (as if connected then).
      await store.save({
        platform: 'instagram',
        account: 'default',
        accessToken: FAKE_INSTAGRAM_DEFAULTS.accessToken,
        expiresAt: new Date(Date.now() + 59 * 24 * 3600_000).toISOString(),
        scopes: ['instagram_business_basic', 'instagram_business_content_publish'],
        remoteAccountId: FAKE_INSTAGRAM_DEFAULTS.userId,
        connectedAt: new Date().toISOString(),
      });
    },
    posts: (s) =>
      (s.reels as Array<{ id: string; sha256: string }>).map((r) => ({ id: r.id, sha256: r.sha256 })),
    midUpload: {
      fault: { endpoint: 'upload', kind: 'stall-midway' },
      continued: (s) => {
        // One container; the second upload request starts where Instagram says the bytes stopped.
        expect(s.requests.create).toBe(1);
        const containers = s.containers as Array<{ offsets: number[] }>;
        expect(containers).toHaveLength(1);
        expect(containers[0].offsets).toEqual([0, Math.floor((4 * MiB + 4321) / 2)]);
      },
    },
    afterAccept: {
      fault: { endpoint: 'publish', kind: 'hold-after-accept' },
      notRepeated: (s) => {
        expect(s.requests.create).toBe(1);
        expect(s.requests.publish).toBe(1);
      },
      reconciled: true,
    },
  },
};

/** The HTTP status of each request to an upload endpoint, in order (0: no answer, connection gone). */
function uploadStatuses(s: FakeState, endpoint: string): number[] {
  return s.log.filter((l) => l.endpoint === endpoint).map((l) => l.status);
}

const children: ChildProcess[] = [];

/** Starts a TypeScript program as its own process and waits for the line that says it is up. */
async function startProgram(
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, ['-r', register, ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const lines = createInterface({ input: child.stdout! });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`${args.join(' ')} exited with ${code} before it was ready`);
  });
  const line = Promise.race([
    (async () => {
      for await (const l of lines) if (ready.test(l)) return l;
      throw new Error(`${args.join(' ')} closed stdout before it was ready`);
    })(),
    exited,
  ]);
  return { child, line: await line };
}

async function fakeState(url: string): Promise<FakeState> {
  return (await fetch(`${url}/_fake/state`)).json() as Promise<FakeState>;
}

async function control(url: string, path: string, body?: unknown): Promise<void> {
  const res = await fetch(`${url}/_fake/${path}`, { method: 'POST', body: JSON.stringify(body ?? {}) });
  if (!res.ok) throw new Error(`${url}/_fake/${path}: ${res.status} ${await res.text()}`);
}

const run = `${process.pid}-${Date.now().toString(36)}`;
const publishQueue = `publish-kill-${run}`;
const workerProgram = join('test', 'integration', 'publish', 'publish-worker.ts');
const fakeUrls: Record<string, string> = {};
let workerEnv: NodeJS.ProcessEnv;
let worker: ChildProcess;
let config: ReelcastConfig;
let storage: ObjectStorage;
let client: Client;
let connection: NativeConnection;
let workflows: Worker;
let workflowsRunning: Promise<void>;
const workflowQueue = `workflows-kill-${run}`;

async function startWorker(): Promise<ChildProcess> {
  return (await startProgram([workerProgram, publishQueue], workerEnv, /^READY$/)).child;
}

beforeAll(async () => {
  config = loadConfig();
  storage = openStorage(config);
  const started = await Promise.all(
    Object.values(PLATFORMS).map(async (p) => {
      const { line } = await startProgram(
        [join('test', 'fakes', p.fake, 'main.ts'), ...p.fakeArgs],
        process.env,
        new RegExp(`^${p.urlLine}=`),
      );
      return [p.fake, line.slice(p.urlLine.length + 1)] as const;
    }),
  );
  Object.assign(fakeUrls, Object.fromEntries(started));
  workerEnv = { ...process.env, REELCAST_DELIVERY: 'live' };
  for (const p of Object.values(PLATFORMS)) Object.assign(workerEnv, p.env(fakeUrls[p.fake]));
  [worker, client, connection] = await Promise.all([
    startWorker(),
    connectClient(config),
    connectWorker(config),
  ]);
  workflows = await Worker.create({
    connection,
    taskQueue: workflowQueue,
    workflowsPath: require.resolve('./workflows/publish-once'),
  });
  workflowsRunning = workflows.run();
}, 120_000);

afterAll(async () => {
  workflows?.shutdown();
  await workflowsRunning;
  await connection?.close();
  await client?.connection.close();
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/**
 * Publishes a fresh rendition to `platform` with `fault` injected, SIGKILLs the worker once the
 * fake holds a request, starts a new one, and returns the outcome and the fake's state after it.
 */
async function publishThroughKill(
  name: string,
  when: string,
  fault: Record<string, unknown>,
): Promise<{ outcome: PublishOutcome; state: FakeState; input: PublishInput; sha256: string }> {
  const p = PLATFORMS[name];
  const url = fakeUrls[p.fake];
  await control(url, 'reset');
  expect((await fakeState(url)).holding).toEqual([]);
  await p.connect(url, TokenStore.open(config, storage));
  const bytes = randomBytes(p.bytes);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const rendition = renditionKey(sha256.slice(0, 56), channelSpec(p.channel).preset);
  await storage.put(rendition, bytes, { contentType: 'video/mp4' });
  const input: PublishInput = {
    postId: `sigkill-${name}/2026-12-01/${when}-${run}`,
    channel: p.channel,
    renditionKey: rendition,
    caption: `Launch day ${name} ${when} ${run}: the wait is over`,
  };
  await control(url, 'faults', { ...fault, holdMs: HOLD_MS });

  const handle = await client.workflow.start(publishOnQueue, {
    taskQueue: workflowQueue,
    workflowId: `kill-${name}-${when}-${run}`,
    args: [input, publishQueue],
  });
  for (let i = 0; i < 600 && (await fakeState(url)).holding.length === 0; i++) await sleep(50);
  expect((await fakeState(url)).holding).toHaveLength(1);
  worker.kill('SIGKILL');
  await once(worker, 'exit');
  worker = await startWorker();
  const outcome = await handle.result();
  return { outcome, state: await fakeState(url), input, sha256 };
}

describe.each(Object.keys(PLATFORMS))('a %s publish worker is SIGKILLed', (name) => {
  const p = PLATFORMS[name];

  it('mid-upload: the new worker continues the saved upload; the post exists once, with its id in the ledger', async () => {
    const { outcome, state, input, sha256 } = await publishThroughKill(name, 'mid-upload', p.midUpload.fault);
    expect(p.posts(state)).toEqual([{ id: outcome.remoteId, sha256 }]);
    expect(outcome).toMatchObject({ reconciled: false, alreadyPublished: false });
    p.midUpload.continued(state);
    expect(await new PublishLedger(storage).read(input.postId, input.channel)).toMatchObject({
      state: 'published',
      remoteId: outcome.remoteId,
    });
  }, 90_000);

  it('after the platform accepted: the new worker finds the post instead of posting again; it exists once', async () => {
    const { outcome, state, input, sha256 } = await publishThroughKill(name, 'accepted', p.afterAccept.fault);
    const { reconciled } = p.afterAccept;
    expect(p.posts(state)).toEqual([{ id: outcome.remoteId, sha256 }]);
    expect(outcome).toMatchObject({ reconciled, alreadyPublished: false });
    p.afterAccept.notRepeated(state);
    expect(await new PublishLedger(storage).read(input.postId, input.channel)).toMatchObject({
      state: 'published',
      remoteId: outcome.remoteId,
      ...(reconciled ? { reconciled: true } : {}),
    });
  }, 90_000);
});
