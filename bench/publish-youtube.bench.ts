/**
 * YouTube upload benchmark, against the fake YouTube server in a process of its own, reading the
 * same file from the same storage with the same chunk size:
 *
 *   - time: YouTubeChannel.publish (session, chunks streamed from storage, each 308 read, the
 *     processing look) against a plain resumable upload written directly on fetch (session, then
 *     one PUT per chunk); median of rounds, order rotated each round; ratio ours/plain
 *     (target ≤ 1.05)
 *   - memory: peak RSS of a fresh process while it uploads the file (target < 150 MB at
 *     BENCH_MB=500), for each way, each in its own child process
 *
 * Run: `make bench NAME=publish-youtube` (or scripts/bench.sh publish-youtube).
 * Environment: BENCH_MB (file size, default 64), BENCH_ROUNDS (default 5), BENCH_CHUNK_MIB
 * (default 8, YouTubeChannel's default). Prints numbers; never fails on time.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { TokenSource } from '../activities/publish/accounts';
// Only the modules the upload uses, so a child's RSS is the upload's, not the whole CLI's.
import { YouTubeChannel } from '../activities/publish/youtube/channel';
import { FsStorage } from '../activities/storage/fs-storage';
import { median, peakRss, timed, writeRandomFile } from './measure';

const MiB = 1024 * 1024;
const KEY = 'renditions/bench/shorts.mp4';
type Way = 'YouTubeChannel' | 'plain fetch';
const WAYS: Way[] = ['YouTubeChannel', 'plain fetch'];

function staticTokens(accessToken: string): TokenSource {
  return {
    platform: 'youtube',
    account: 'bench',
    accessToken: async () => accessToken,
    refreshAfterRejection: async () => {
      throw new Error('the bench token was refused');
    },
  };
}

/** One upload of the stored file, the `n`th (for a distinct caption). */
type Upload = (
  url: string,
  token: string,
  storage: FsStorage,
  chunkBytes: number,
  n: number,
) => Promise<void>;

const ours: Upload = async (url, token, storage, chunkBytes, n) => {
  const channel = new YouTubeChannel({ storage, tokens: staticTokens(token), apiBaseUrl: url, chunkBytes });
  await channel.publish(
    {
      postId: `bench/2026-01-01/${n}`,
      channel: 'shorts',
      caption: `Bench upload ${n}`,
      renditionKey: KEY,
      idempotencyKey: `bench-${n}`,
    },
    { progress: () => {}, beforeCreate: async () => {}, saveHandle: async () => {} },
  );
};

/** The baseline: Google's resumable protocol, nothing else (no resume, no retries). */
const plain: Upload = async (url, token, storage, chunkBytes, n) => {
  const total = (await storage.head(KEY))!.size;
  const auth = { authorization: `Bearer ${token}` };
  const start = await fetch(`${url}/upload/youtube/v3/videos?uploadType=resumable&part=snippet,status`, {
    method: 'POST',
    headers: {
      ...auth,
      'content-type': 'application/json; charset=UTF-8',
      'x-upload-content-length': String(total),
      'x-upload-content-type': 'video/mp4',
    },
    body: JSON.stringify({
      snippet: { title: `Bench upload ${n}`, description: `Bench upload ${n}` },
      status: { privacyStatus: 'private' },
    }),
  });
  const session = start.headers.get('location')!;
  let offset = 0;
  // Pieces of exactly the chunk size straight from the file: no re-chunking at all.
  for await (const chunk of createReadStream(join(storage.root, KEY), {
    highWaterMark: chunkBytes,
  }) as AsyncIterable<Buffer>) {
    const res = await fetch(session, {
      method: 'PUT',
      headers: {
        ...auth,
        'content-type': 'video/mp4',
        'content-range': `bytes ${offset}-${offset + chunk.length - 1}/${total}`,
      },
      body: chunk,
      redirect: 'manual',
    });
    await res.arrayBuffer();
    if (res.status !== 308 && res.status !== 200 && res.status !== 201)
      throw new Error(`plain upload: HTTP ${res.status}`);
    offset += chunk.length;
  }
};

const upload = (way: Way) => (way === 'YouTubeChannel' ? ours : plain);

async function startFake(): Promise<{ url: string; proc: ChildProcess }> {
  // bench.sh compiles test/ along with bench/: run the fake's compiled entry point.
  const proc = spawn(process.execPath, [join(__dirname, '..', 'test', 'fakes', 'youtube', 'main.js')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for await (const line of createInterface({ input: proc.stdout! })) {
    const m = /^FAKE_YOUTUBE_URL=(.+)$/.exec(line);
    if (m) return { url: m[1], proc };
  }
  throw new Error('the fake YouTube server exited before it listened');
}

/** Child mode: one upload, sampling RSS every 5 ms; prints {before, peak} in MB as JSON. */
async function measureRss(
  way: Way,
  url: string,
  token: string,
  dir: string,
  chunkBytes: number,
): Promise<void> {
  const rss = await peakRss(() => upload(way)(url, token, new FsStorage(dir), chunkBytes, 0));
  process.stdout.write(JSON.stringify(rss));
}

async function main(): Promise<void> {
  const sizeMb = Number(process.env.BENCH_MB ?? 64);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  const chunkBytes = Number(process.env.BENCH_CHUNK_MIB ?? 8) * MiB;
  const dir = mkdtempSync(join(tmpdir(), 'reelcast-bench-youtube-'));
  const fake = await startFake();
  try {
    const storage = new FsStorage(dir);
    const file = join(dir, 'source.bin');
    await writeRandomFile(file, sizeMb);
    await storage.putFile(KEY, file);
    rmSync(file);
    const token = (
      (await (await fetch(`${fake.url}/_fake/tokens`, { method: 'POST' })).json()) as {
        accessToken: string;
      }
    ).accessToken;

    const times: Record<Way, number[]> = { YouTubeChannel: [], 'plain fetch': [] };
    let n = 0;
    for (const way of WAYS) await upload(way)(fake.url, token, storage, chunkBytes, n++);
    for (let i = 0; i < rounds; i++) {
      for (const way of i % 2 ? [...WAYS].reverse() : WAYS) {
        times[way].push(await timed(() => upload(way)(fake.url, token, storage, chunkBytes, n++)));
      }
      await fetch(`${fake.url}/_fake/reset`, { method: 'POST' });
    }

    const rss = {} as Record<Way, { before: number; peak: number }>;
    for (const way of WAYS) {
      const out = execFileSync(
        process.execPath,
        [__filename, '--rss', way, fake.url, token, dir, String(chunkBytes)],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
      );
      rss[way] = JSON.parse(out);
    }

    const base = median(times['plain fetch']);
    const mbps = (ms: number): string => ((sizeMb / ms) * 1000).toFixed(0);
    console.log(
      `YouTube upload benchmark: fake YouTube on loopback (own process), fs storage, ${sizeMb} MB file, chunks of ${chunkBytes / MiB} MiB, median of ${rounds}`,
    );
    for (const way of WAYS) {
      const m = median(times[way]);
      const ratio = way === 'plain fetch' ? '' : `  ratio ${(m / base).toFixed(3)} (target ≤ 1.05)`;
      console.log(
        `  ${way.padEnd(15)} ${m.toFixed(0).padStart(6)} ms ${mbps(m).padStart(5)} MB/s  runs ${times[way].map((t) => t.toFixed(0)).join(', ')}${ratio}`,
      );
    }
    console.log(`peak RSS of a fresh process uploading ${sizeMb} MB (target < 150 MB at BENCH_MB=500):`);
    for (const way of WAYS) {
      console.log(
        `  ${way.padEnd(15)} peak ${rss[way].peak.toFixed(1)} MB (at start ${rss[way].before.toFixed(1)} MB)`,
      );
    }
  } finally {
    fake.proc.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

const [flag, way, url, token, dir, chunk] = process.argv.slice(2);
(flag === '--rss' ? measureRss(way as Way, url, token, dir, Number(chunk)) : main()).catch((err: Error) => {
  console.error(`publish-youtube bench: ${err.stack ?? err.message}`);
  process.exit(1);
});
