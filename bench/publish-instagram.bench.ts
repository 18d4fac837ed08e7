/**
 * Instagram Reels publish benchmark, against the fake Instagram Platform on loopback:
 *
 *   - time: InstagramChannel.publish (container, streamed resumable upload from storage, status,
 *     publishing-limit checks, media_publish) against a plain client doing the same calls with
 *     fetch and the file streamed from disk; median of rounds, order rotated each round; ratio
 *     ours/plain (target ≤ 1.05)
 *   - memory: peak RSS of a fresh process publishing the same file (target < 150 MB with
 *     BENCH_MB=500), each way in its own child process; the fake runs in this process
 *
 * Run:
 *
 *   make bench NAME=publish-instagram          (BENCH_MB=500 for the memory target)
 *
 * Environment: BENCH_MB (file size, default 64), BENCH_ROUNDS (default 5). Storage is local files
 * (FsStorage), so the numbers are the channel's own cost. Prints numbers; never fails on time.
 */
import { execFile } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { TokenSource } from '../activities/publish/accounts';
import { InstagramChannel } from '../activities/publish/instagram';
import { FsStorage } from '../activities/storage';
import { FAKE_INSTAGRAM_DEFAULTS, startFakeInstagram } from '../test/fakes/instagram/server';
import { median, timed, writeRandomFile } from './measure';

const MiB = 1024 * 1024;
const KEY = 'renditions/bench/reels-bench.mp4';
const TOKEN = FAKE_INSTAGRAM_DEFAULTS.accessToken;
const USER = FAKE_INSTAGRAM_DEFAULTS.userId;
type Way = 'InstagramChannel' | 'plain fetch';
const WAYS: Way[] = ['InstagramChannel', 'plain fetch'];

const tokens: TokenSource = {
  platform: 'instagram',
  account: 'bench',
  accessToken: async () => TOKEN,
  refreshAfterRejection: async () => {
    throw new Error('the fake rejected the bench token');
  },
};

let round = 0;

async function publish(way: Way, url: string, storageDir: string, file: string): Promise<void> {
  const caption = `bench reel ${process.pid}-${round++}`;
  if (way === 'InstagramChannel') {
    const channel = new InstagramChannel({
      storage: new FsStorage(storageDir),
      tokens,
      graphBaseUrl: url,
      uploadBaseUrl: url,
      pollIntervalMs: 20,
    });
    await channel.publish(
      { postId: 'bench/2026-01-01/a', channel: 'reels', caption, renditionKey: KEY, idempotencyKey: caption },
      { progress: () => {}, beforeCreate: async () => {}, saveHandle: async () => {} },
    );
    return;
  }
  await plainPublish(url, file, caption);
}

/** What a hand-written client does: the same calls, fetch, the file streamed from disk. */
async function plainPublish(url: string, file: string, caption: string): Promise<void> {
  const graph = `${url}/${FAKE_INSTAGRAM_DEFAULTS.version}`;
  const auth = { authorization: `Bearer ${TOKEN}` };
  const call = async (path: string, init: RequestInit = {}): Promise<Record<string, unknown>> => {
    const res = await fetch(`${graph}/${path}`, { ...init, headers: { ...auth, ...init.headers } });
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, unknown>;
  };
  const size = statSync(file).size;
  const created = await call(`${USER}/media`, {
    method: 'POST',
    body: new URLSearchParams({
      media_type: 'REELS',
      caption,
      upload_type: 'resumable',
      is_ai_generated: 'true',
    }),
  });
  const up = await fetch(
    created.uri as string,
    {
      method: 'POST',
      headers: { authorization: `OAuth ${TOKEN}`, offset: '0', file_size: String(size) },
      body: createReadStream(file) as unknown as RequestInit['body'],
      duplex: 'half',
    } as RequestInit,
  );
  if (!up.ok) throw new Error(`upload: HTTP ${up.status}`);
  await up.arrayBuffer();
  while ((await call(`${created.id}?fields=status_code`)).status_code !== 'FINISHED') await sleep(20);
  await call(`${USER}/media_publish`, {
    method: 'POST',
    body: new URLSearchParams({ creation_id: String(created.id) }),
  });
}

/** Child mode: one publish, sampling RSS every 5 ms; prints {before, peak} in MB as JSON. */
async function measureRss(way: Way, url: string, storageDir: string, file: string): Promise<void> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  await publish(way, url, storageDir, file);
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  process.stdout.write(JSON.stringify({ before: before / MiB, peak: peak / MiB }));
}

async function main(): Promise<void> {
  const sizeMb = Number(process.env.BENCH_MB ?? 64);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  const dir = mkdtempSync(join(tmpdir(), 'reelcast-bench-'));
  const fake = await startFakeInstagram({ quotaTotal: 1_000_000 });
  try {
    const storageDir = join(dir, 'storage');
    const file = join(dir, 'reel.bin');
    await writeRandomFile(file, sizeMb);
    await new FsStorage(storageDir).putFile(KEY, file, { contentType: 'video/mp4' });

    const times: Record<Way, number[]> = { InstagramChannel: [], 'plain fetch': [] };
    for (const way of WAYS) await publish(way, fake.url, storageDir, file);
    for (let i = 0; i < rounds; i++) {
      for (const way of i % 2 ? [...WAYS].reverse() : WAYS) {
        times[way].push(await timed(() => publish(way, fake.url, storageDir, file)));
      }
    }

    const rss = {} as Record<Way, { before: number; peak: number }>;
    for (const way of WAYS) {
      // Asynchronously: the fake answering the child runs in this process.
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [__filename, '--rss', way, fake.url, storageDir, file],
        {
          encoding: 'utf8',
        },
      );
      rss[way] = JSON.parse(stdout);
    }
    const wrong = fake.reels.filter((r) => r.size !== sizeMb * MiB);
    if (wrong.length) throw new Error(`${wrong.length} reels arrived with the wrong size`);

    const plain = median(times['plain fetch']);
    const mbps = (ms: number): string => ((sizeMb / ms) * 1000).toFixed(0);
    console.log(
      `Instagram Reels publish benchmark: fake Instagram on loopback, ${sizeMb} MB file, median of ${rounds}`,
    );
    for (const way of WAYS) {
      const m = median(times[way]);
      const ratio = way === 'plain fetch' ? '' : `  ratio ${(m / plain).toFixed(3)} (target ≤ 1.05)`;
      console.log(
        `  ${way.padEnd(16)} ${m.toFixed(0).padStart(6)} ms ${mbps(m).padStart(5)} MB/s  runs ${times[way].map((t) => t.toFixed(0)).join(', ')}${ratio}`,
      );
    }
    console.log(`peak RSS of a fresh process publishing ${sizeMb} MB (target < 150 MB at 500 MB):`);
    for (const way of WAYS) {
      console.log(
        `  ${way.padEnd(16)} peak ${rss[way].peak.toFixed(1)} MB (at start ${rss[way].before.toFixed(1)} MB)`,
      );
    }
  } finally {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const [flag, way, url, storageDir, file] = process.argv.slice(2);
(flag === '--rss' ? measureRss(way as Way, url, storageDir, file) : main()).catch((err: Error) => {
  console.error(`publish-instagram bench: ${err.stack ?? err.message}`);
  process.exit(1);
});
