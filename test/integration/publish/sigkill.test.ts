import { Worker } from '@temporalio/worker';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../../config';
import { PublishLedger, type PublishInput } from '../../../activities/publish';
import { openStorage, renditionKey } from '../../../activities/storage';
import { connectClient, connectWorker } from '../../../worker/connection';
import { FAKE_X_DEFAULTS, type FakePost } from '../../fakes/x/server';
import { publishOnQueue } from './workflows/publish-once';

const root = join(__dirname, '..', '..', '..');
const register = join(root, 'test', 'fakes', 'register.js');
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

async function fakeState(url: string): Promise<{ posts: FakePost[]; requests: Record<string, number> }> {
  return (await fetch(`${url}/_fake/state`)).json() as Promise<{
    posts: FakePost[];
    requests: Record<string, number>;
  }>;
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

describe('the publish worker is SIGKILLed after X accepted the post, before the activity completed', () => {
  it('the restarted worker reconciles: the post exists exactly once on X and the ledger has its id', async () => {
    const config = loadConfig();
    const storage = openStorage(config);
    const bytes = randomBytes(2 * 1024 * 1024);
    const rendition = renditionKey(createHash('sha256').update(bytes).digest('hex').slice(0, 56), 'x');
    await storage.put(rendition, bytes, { contentType: 'video/mp4' });

    // The fake X API as its own process, the way the end-to-end tests run it.
    const fake = await startProgram(
      [join('test', 'fakes', 'x', 'main.ts'), '--port', '0'],
      process.env,
      /^FAKE_X_URL=/,
    );
    const xUrl = fake.line.slice('FAKE_X_URL='.length);
    await fetch(`${xUrl}/_fake/faults`, {
      method: 'POST',
      body: JSON.stringify({ endpoint: 'create', kind: 'hold-after-accept', holdMs: 20_000 }),
    });

    const publishQueue = `publish-kill-${process.pid}`;
    const workerEnv = {
      ...process.env,
      REELCAST_DELIVERY: 'live',
      X_API_BASE_URL: xUrl,
      X_APP_KEY: FAKE_X_DEFAULTS.appKey,
      X_APP_SECRET: FAKE_X_DEFAULTS.appSecret,
      X_ACCESS_TOKEN: FAKE_X_DEFAULTS.accessToken,
      X_ACCESS_SECRET: FAKE_X_DEFAULTS.accessSecret,
    };
    const worker = join('test', 'integration', 'publish', 'publish-worker.ts');
    const first = await startProgram([worker, publishQueue], workerEnv, /^READY$/);

    const client = await connectClient(config);
    const connection = await connectWorker(config);
    const workflowQueue = `workflows-kill-${process.pid}`;
    const workflows = await Worker.create({
      connection,
      taskQueue: workflowQueue,
      workflowsPath: require.resolve('./workflows/publish-once'),
    });
    const input: PublishInput = {
      postId: 'launch/2026-12-01/morning',
      channel: 'x',
      renditionKey: rendition,
      caption: 'Launch day 🚀 the wait is over',
    };
    try {
      const outcome = await workflows.runUntil(async () => {
        const handle = await client.workflow.start(publishOnQueue, {
          taskQueue: workflowQueue,
          workflowId: `kill-${process.pid}`,
          args: [input, publishQueue],
        });
        // X has the post; its answer is held back. Now the worker dies.
        for (let i = 0; i < 200 && (await fakeState(xUrl)).posts.length === 0; i++) await sleep(50);
        expect((await fakeState(xUrl)).posts).toHaveLength(1);
        first.child.kill('SIGKILL');
        await once(first.child, 'exit');
        await startProgram([worker, publishQueue], workerEnv, /^READY$/);
        return handle.result();
      });

      expect(outcome).toMatchObject({ reconciled: true, alreadyPublished: false });
      const state = await fakeState(xUrl);
      expect(state.posts).toHaveLength(1);
      expect(state.requests.create).toBe(1);
      expect(outcome.remoteId).toBe(state.posts[0].id);
      expect(await new PublishLedger(storage).read(input.postId, 'x')).toMatchObject({
        state: 'published',
        remoteId: state.posts[0].id,
        reconciled: true,
      });
    } finally {
      await connection.close();
      await client.connection.close();
    }
  });
});
