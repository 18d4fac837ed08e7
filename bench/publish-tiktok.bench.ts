/**
 * TikTok publish benchmark, against the fake TikTok (its own process, on loopback):
 *
 *   - time: TikTokChannel.publish of a stored file (creator_info, init, chunk PUTs streamed from
 *     storage, status until PUBLISH_COMPLETE) against a plain client doing the same calls with
 *     fetch, each chunk read into a Buffer and PUT with Content-Range, same chunk size; median of
 *     rounds, order alternated; ratio ours/plain (target ≤ 1.05)
 *   - memory: peak RSS of a fresh process while each way publishes BENCH_RSS_MB (target < 150 MB
 *     for 500 MB with the channel)
 *
 * Run:
 *
 *   make bench NAME=publish-tiktok        (scripts/bench.sh publish-tiktok)
 *
 * Environment: BENCH_MB (timed file size, default 64), BENCH_ROUNDS (default 5), BENCH_RSS_MB
 * (default BENCH_MB; 500 for the target), BENCH_CHUNK_MB (default 10). Prints numbers; never
 * fails on time.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TokenSource } from '../activities/publish/accounts';
import { TikTokChannel } from '../activities/publish/tiktok';
import { chunkRange, planChunks } from '../activities/publish/tiktok/chunks';
import { FsStorage } from '../activities/storage';
import { median, peakRss, timed, writeRandomFile } from './measure';

const MiB = 1024 * 1024;
const CHUNK = Number(process.env.BENCH_CHUNK_MB ?? 10) * MiB;
const KEY = 'renditions/bench/tiktok.mp4';
type Way = 'TikTokChannel' | 'plain fetch';
const WAYS: Way[] = ['TikTokChannel', 'plain fetch'];

/** Starts the fake TikTok from the compiled tree (scripts/bench.sh compiles test/ too). */
async function startFake(): Promise<{ url: string; proc: ChildProcess }> {
  const main = join(__dirname, '..', 'test', 'fakes', 'tiktok', 'main.js');
  const proc = spawn(process.execPath, [main, '--processing-ms', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for await (const line of createInterface({ input: proc.stdout! })) {
    const m = /^FAKE_TIKTOK_URL=(.+)$/.exec(line);
    if (m) return { url: m[1], proc };
  }
  throw new Error('the fake TikTok exited before it listened');
}

async function grant(fakeUrl: string): Promise<TokenSource> {
  const { accessToken } = (await (await fetch(`${fakeUrl}/_fake/grant`, { method: 'POST' })).json()) as {
    accessToken: string;
  };
  return {
    platform: 'tiktok',
    account: 'bench',
    accessToken: async () => accessToken,
    refreshAfterRejection: async () => accessToken,
  };
}

async function viaChannel(
  fakeUrl: string,
  tokens: TokenSource,
  dataDir: string,
  round: string,
): Promise<void> {
  const channel = new TikTokChannel({
    storage: new FsStorage(dataDir),
    tokens,
    apiBaseUrl: fakeUrl,
    chunkBytes: CHUNK,
    pollIntervalMs: 5,
  });
  await channel.publish(
    {
      postId: `bench/${round}`,
      channel: 'tiktok',
      caption: `bench ${round}`,
      renditionKey: KEY,
      idempotencyKey: round,
    },
    { progress: () => {}, beforeCreate: async () => {}, saveHandle: async () => {} },
  );
}

/** The same API calls, written the obvious way with fetch: the baseline. */
async function viaFetch(fakeUrl: string, tokens: TokenSource, file: string, round: string): Promise<void> {
  const headers = {
    authorization: `Bearer ${await tokens.accessToken()}`,
    'content-type': 'application/json; charset=UTF-8',
  };
  const call = async (path: string, body: unknown) => {
    const res = await fetch(`${fakeUrl}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    const json = (await res.json()) as { data: Record<string, unknown>; error: { code: string } };
    if (json.error.code !== 'ok') throw new Error(`${path}: ${json.error.code}`);
    return json.data;
  };
  await call('/v2/post/publish/creator_info/query/', {});
  const fd = await open(file);
  try {
    const size = (await fd.stat()).size;
    const plan = planChunks(size, CHUNK);
    const init = await call('/v2/post/publish/video/init/', {
      post_info: { title: `bench ${round}`, privacy_level: 'SELF_ONLY', is_aigc: true },
      source_info: {
        source: 'FILE_UPLOAD',
        video_size: size,
        chunk_size: plan.chunkSize,
        total_chunk_count: plan.totalChunkCount,
      },
    });
    for (let i = 0; i < plan.totalChunkCount; i++) {
      const { first, last } = chunkRange(plan, i);
      const chunk = Buffer.alloc(last - first + 1);
      await fd.read(chunk, 0, chunk.length, first);
      const res = await fetch(String(init.upload_url), {
        method: 'PUT',
        headers: { 'content-type': 'video/mp4', 'content-range': `bytes ${first}-${last}/${size}` },
        body: chunk,
      });
      await res.arrayBuffer();
      if (res.status !== 201 && res.status !== 206) throw new Error(`chunk ${i}: HTTP ${res.status}`);
    }
    while (
      (await call('/v2/post/publish/status/fetch/', { publish_id: init.publish_id })).status !==
      'PUBLISH_COMPLETE'
    ) {
      await sleep(5);
    }
  } finally {
    await fd.close();
  }
}

function publish(
  way: Way,
  fakeUrl: string,
  tokens: TokenSource,
  dataDir: string,
  round: string,
): Promise<void> {
  return way === 'TikTokChannel'
    ? viaChannel(fakeUrl, tokens, dataDir, round)
    : viaFetch(fakeUrl, tokens, join(dataDir, KEY), round);
}

/** Child mode: one publish, sampling RSS every 5 ms; prints {before, peak} in MB as JSON. */
async function measureRss(way: Way, fakeUrl: string, dataDir: string): Promise<void> {
  const tokens = await grant(fakeUrl);
  const rss = await peakRss(() => publish(way, fakeUrl, tokens, dataDir, `rss-${way}`));
  process.stdout.write(JSON.stringify(rss));
}

async function main(): Promise<void> {
  const sizeMb = Number(process.env.BENCH_MB ?? 64);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  const rssMb = Number(process.env.BENCH_RSS_MB ?? sizeMb);
  const dir = mkdtempSync(join(tmpdir(), 'reelcast-bench-'));
  const fake = await startFake();
  try {
    const timedDir = join(dir, 'timed');
    const storage = new FsStorage(timedDir);
    const source = join(dir, 'timed.bin');
    await writeRandomFile(source, sizeMb);
    await storage.putFile(KEY, source);
    rmSync(source);
    const tokens = await grant(fake.url);
    const times: Record<Way, number[]> = { TikTokChannel: [], 'plain fetch': [] };
    for (const way of WAYS) await publish(way, fake.url, tokens, timedDir, `warm-${way}`);
    for (let i = 0; i < rounds; i++) {
      for (const way of i % 2 ? [...WAYS].reverse() : WAYS) {
        times[way].push(await timed(() => publish(way, fake.url, tokens, timedDir, `${i}-${way}`)));
      }
    }
    rmSync(timedDir, { recursive: true });

    const rssDir = join(dir, 'rss');
    const big = join(dir, 'rss.bin');
    await writeRandomFile(big, rssMb);
    await new FsStorage(rssDir).putFile(KEY, big);
    rmSync(big);
    const rss = {} as Record<Way, { before: number; peak: number }>;
    for (const way of WAYS) {
      const out = execFileSync(process.execPath, [__filename, '--rss', way, fake.url, rssDir], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      rss[way] = JSON.parse(out);
    }

    const plain = median(times['plain fetch']);
    const mbps = (ms: number): string => ((sizeMb / ms) * 1000).toFixed(0);
    console.log(
      `TikTok publish benchmark: fake TikTok on loopback, ${sizeMb} MB file, chunks of ${CHUNK / MiB} MiB, median of ${rounds}`,
    );
    for (const way of WAYS) {
      const m = median(times[way]);
      const ratio = way === 'plain fetch' ? '' : `  ratio ${(m / plain).toFixed(3)} (target ≤ 1.05)`;
      console.log(
        `  ${way.padEnd(14)} ${m.toFixed(0).padStart(6)} ms ${mbps(m).padStart(5)} MB/s  runs ${times[way].map((t) => t.toFixed(0)).join(', ')}${ratio}`,
      );
    }
    console.log(`peak RSS of a fresh process publishing ${rssMb} MB (target < 150 MB for 500 MB):`);
    for (const way of WAYS) {
      console.log(
        `  ${way.padEnd(14)} peak ${rss[way].peak.toFixed(1)} MB (at start ${rss[way].before.toFixed(1)} MB)`,
      );
    }
  } finally {
    fake.proc.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

const [flag, way, fakeUrl, dataDir] = process.argv.slice(2);
(flag === '--rss' ? measureRss(way as Way, fakeUrl, dataDir) : main()).catch((err: Error) => {
  console.error(`publish-tiktok bench: ${err.stack ?? err.message}`);
  process.exit(1);
});
