import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { readProgress } from '../../../cli/post-progress';
import { PublishLedger } from '../../../activities/publish';
import { openStorage } from '../../../activities/storage';
import { freePort } from '../../../services/process';
import { startTemporalDevServer, type RunningTemporal } from '../../../services/temporal-dev';
import { postWorkflowId } from '../../../workflows/post';
import {
  connectClient,
  e2eConfig,
  e2eEnv,
  plannedPosts,
  quick,
  spawnWorker,
  startPost,
  waitFor,
  waitForStage,
  freshClip,
} from '../support';

/**
 * A webhook receiver on loopback that keeps every delivery it gets, by Idempotency-Key, and can
 * hold one post's delivery unanswered (so that post is mid-publish when Temporal dies).
 */
interface Receiver {
  url: string;
  deliveries: Map<string, number>;
  held: Array<() => void>;
  holdPost?: string;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const receiver: Receiver = { url: '', deliveries: new Map(), held: [], close: async () => {} };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const key = String(req.headers['idempotency-key'] ?? '');
      const { postId } = JSON.parse(body) as { postId: string };
      receiver.deliveries.set(postId, (receiver.deliveries.get(postId) ?? 0) + 1);
      const answer = () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: `wh-${key}` }));
      };
      // Only the first delivery is held (the webhook gives up after 30 s).
      if (receiver.holdPost === postId && receiver.held.length === 0) receiver.held.push(answer);
      else answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  receiver.close = () =>
    new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return receiver;
}

describe('the Temporal server killed and restarted on the same database mid-day', () => {
  it('the worker rides it out; posts generating, waiting and publishing all publish, each once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reelcast-temporal-restart-'));
    const receiver = await startReceiver();
    const ports = { port: await freePort(), uiPort: await freePort() };
    const serverOptions = {
      binary: process.env.REELCAST_TEMPORAL_BIN!,
      ip: '127.0.0.1',
      ...ports,
      dbFile: join(dir, 'temporal.db'),
      namespace: 'default',
      logFile: join(dir, 'temporal.log'),
    };
    // The dev server picks its HTTP API port itself; on a busy machine another process can take it
    // first, so a start is tried twice.
    const startServer = () =>
      startTemporalDevServer(serverOptions).catch(() => startTemporalDevServer(serverOptions));
    let temporal: RunningTemporal | undefined = await startServer();
    const env = e2eEnv('temporal-restart', {
      TEMPORAL_ADDRESS: temporal.address,
      REELCAST_DELIVERY: 'live',
      WEBHOOK_URL: receiver.url,
      WEBHOOK_SECRET: 'restart-test-secret',
    });
    const config = e2eConfig(env);
    const [planned] = await plannedPosts(config, '2026-11-27');
    const webhook = { channels: ['webhook' as const] };
    // Publishing, waiting, generating when the server dies: the quick two first, then the long
    // generation, started once the first is mid-publish (its delivery held by the receiver).
    const waiting = quick(planned, 60, webhook);
    const publishing = quick(planned, 25, webhook);
    const generating = quick(planned, 90, webhook);
    generating.video = { ...freshClip(generating).video, steps: 60, width: 384, height: 672 };
    const posts = [publishing, waiting, generating];
    receiver.holdPost = publishing.postId;

    let client = await connectClient(config);
    let worker: (ChildProcess & { log: () => string }) | undefined = spawnWorker(env);
    const workerLog = () => `\nworker log:\n${worker?.log().slice(-4000)}`;
    try {
      for (const spec of [waiting, publishing]) await startPost(client, config, { spec });
      let stages: string[] = [];
      const seen = async () => {
        // A post not started yet shows as '-'.
        const progress = await Promise.all(
          posts.map((s) => readProgress(client, postWorkflowId(s.postId)).catch(() => undefined)),
        );
        stages = progress.map((x) => x?.state?.stage ?? '-');
        return progress;
      };
      const failWithLog = (e: Error) => {
        throw new Error(`${e.message} (last seen: ${stages.join(', ')})${workerLog()}`);
      };
      await waitFor(
        'one post publishing (its delivery held), one waiting',
        async () =>
          (await seen()) && stages[0] === 'publishing' && stages[1] === 'waiting' && receiver.held.length > 0
            ? true
            : undefined,
        150_000,
      ).catch(failWithLog);
      await startPost(client, config, { spec: generating });
      await waitFor(
        'the third post generating',
        async () => {
          const pending = (await client.workflow.getHandle(postWorkflowId(generating.postId)).describe()).raw
            .pendingActivities?.[0];
          return pending?.activityType?.name === 'generateClip' && pending.lastStartedTime ? true : undefined;
        },
        20_000,
      ).catch(failWithLog);
      await seen();
      expect(stages).toEqual(['publishing', 'waiting', 'generating']);

      // The server dies (SIGKILL: no clean shutdown of its database).
      await client.connection.close();
      temporal.process.child.kill('SIGKILL');
      await waitFor('the server to be gone', async () => !temporal!.process.running);
      temporal = undefined;
      // The webhook answers while the server is away: the publish finishes with nobody to tell.
      for (const answer of receiver.held.splice(0)) answer();
      receiver.holdPost = undefined;
      await new Promise((r) => setTimeout(r, 5000));
      expect(worker.exitCode).toBeNull();

      temporal = await startServer();
      client = await connectClient(config);
      const outcomes = await Promise.all(
        posts.map((s) =>
          waitForStage(client, s.postId, ['published', 'awaiting-replay', 'skipped'], 180_000),
        ),
      ).catch((e: Error) => {
        throw new Error(e.message + workerLog());
      });
      // The same worker process carried on: it never exited.
      expect(worker.exitCode).toBeNull();

      const ledger = new PublishLedger(openStorage(config));
      for (const [i, spec] of posts.entries()) {
        expect({ post: i, stage: outcomes[i].stage, reason: outcomes[i].reason }).toEqual({
          post: i,
          stage: 'published',
          reason: undefined,
        });
        // Delivered once, recorded once, and the post knows the receiver's id.
        expect(receiver.deliveries.get(spec.postId)).toBe(1);
        const entry = await ledger.read(spec.postId, 'webhook');
        expect(entry?.state).toBe('published');
        expect(entry?.remoteId).toBe(outcomes[i].publishes.webhook?.remoteId);
      }
      expect([...receiver.deliveries.keys()].sort()).toEqual(posts.map((p) => p.postId).sort());
    } finally {
      if (worker) {
        worker.kill('SIGTERM');
        if (worker.exitCode === null) await new Promise((r) => worker!.once('exit', r));
        worker = undefined;
      }
      await client.connection.close().catch(() => {});
      await temporal?.process.stop();
      await receiver.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
