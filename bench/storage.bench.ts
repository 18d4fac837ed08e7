/**
 * Storage upload benchmark, against the same S3 server with the same part size and concurrency:
 *
 *   - time: Reelcast's S3Storage.putFile (how renditions are stored) and S3Storage.put(stream),
 *     each against raw @aws-sdk/lib-storage `Upload` of the same file; median of rounds,
 *     order rotated each round so drift hits all; ratio ours/raw (target ≤ 1.05)
 *   - memory: peak RSS of a fresh process while it uploads 200 MB (target < 100 MB), for each
 *     of the three ways, each in its own child process so one cannot inflate another
 *
 * Run (starts its own versitygw on a free loopback port, in a temp dir it removes after):
 *
 *   make bench NAME=storage
 *
 * Environment: BENCH_MB (timed file size, default 128), BENCH_ROUNDS (default 5), BENCH_RSS_MB
 * (default 200). Prints numbers; never fails on time.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Storage } from '../activities/storage';
import { freePort } from '../services/process';
import { startS3DevServer } from '../services/s3-dev';
import { resolveVersitygw } from '../services/tools';
import { median, peakRss, timed, writeRandomFile } from './measure';

const MiB = 1024 * 1024;
const PART = 8 * MiB; // S3Storage's default part size
const QUEUE = 2; // S3Storage's default parts in flight
const CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench-secret-key' };
const BUCKET = 'bench';
type Way = 'putFile' | 'put(stream)' | 'raw lib-storage';

function clients(endpoint: string): { storage: S3Storage; raw: S3Client } {
  const storage = new S3Storage({
    endpoint,
    region: 'us-east-1',
    bucket: BUCKET,
    forcePathStyle: true,
    checksum: 'when_required',
    ...CREDENTIALS,
  });
  const raw = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    credentials: CREDENTIALS,
  });
  return { storage, raw };
}

function upload(way: Way, c: ReturnType<typeof clients>, key: string, file: string): Promise<unknown> {
  if (way === 'putFile') return c.storage.putFile(key, file);
  if (way === 'put(stream)') return c.storage.put(key, createReadStream(file));
  return new Upload({
    client: c.raw,
    params: { Bucket: BUCKET, Key: key, Body: createReadStream(file) },
    partSize: PART,
    queueSize: QUEUE,
  }).done();
}

/** Child mode: one upload, sampling RSS every 5 ms; prints {before, peak} in MB as JSON. */
async function measureRss(way: Way, endpoint: string, file: string): Promise<void> {
  const c = clients(endpoint);
  const rss = await peakRss(() => upload(way, c, `rss/${way.replace(/\W/g, '')}`, file));
  process.stdout.write(JSON.stringify(rss));
  c.storage.client.destroy();
  c.raw.destroy();
}

async function main(): Promise<void> {
  const sizeMb = Number(process.env.BENCH_MB ?? 128);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  const rssMb = Number(process.env.BENCH_RSS_MB ?? 200);
  const dir = mkdtempSync(join(tmpdir(), 'reelcast-bench-'));
  const s3 = await startS3DevServer({
    binary: await resolveVersitygw({ log: (l) => console.error(l) }),
    ip: '127.0.0.1',
    port: await freePort(),
    rootDir: join(dir, 's3'),
    ...CREDENTIALS,
    region: 'us-east-1',
    logFile: join(dir, 's3.log'),
  });
  try {
    const c = clients(s3.endpoint);
    await c.storage.ensureBucket();

    const file = join(dir, 'timed.bin');
    await writeRandomFile(file, sizeMb);
    const times: Record<Way, number[]> = { putFile: [], 'put(stream)': [], 'raw lib-storage': [] };
    const ways = Object.keys(times) as Way[];
    for (const way of ways) await upload(way, c, `warm/${way.replace(/\W/g, '')}`, file);
    for (let i = 0; i < rounds; i++) {
      // Rotate the order each round: no way always runs first, right after a disk-heavy write.
      for (const way of [...ways.slice(i % ways.length), ...ways.slice(0, i % ways.length)]) {
        times[way].push(await timed(() => upload(way, c, `timed/${i}/${way.replace(/\W/g, '')}`, file)));
      }
    }
    rmSync(file);

    const big = join(dir, 'rss.bin');
    await writeRandomFile(big, rssMb);
    const rss = {} as Record<Way, { before: number; peak: number }>;
    for (const way of ways) {
      const out = execFileSync(process.execPath, [__filename, '--rss', way, s3.endpoint, big], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      rss[way] = JSON.parse(out);
    }

    const raw = median(times['raw lib-storage']);
    const mbps = (ms: number): string => ((sizeMb / ms) * 1000).toFixed(0);
    console.log(
      `storage upload benchmark: versitygw on loopback, ${sizeMb} MB file, part ${PART / MiB} MiB × ${QUEUE} in flight, median of ${rounds}`,
    );
    for (const way of ways) {
      const m = median(times[way]);
      const ratio = way === 'raw lib-storage' ? '' : `  ratio ${(m / raw).toFixed(3)} (target ≤ 1.05)`;
      console.log(
        `  ${way.padEnd(16)} ${m.toFixed(0).padStart(6)} ms ${mbps(m).padStart(4)} MB/s  runs ${times[way].map((t) => t.toFixed(0)).join(', ')}${ratio}`,
      );
    }
    console.log(`peak RSS of a fresh process uploading ${rssMb} MB (target < 100 MB):`);
    for (const way of ways) {
      console.log(
        `  ${way.padEnd(16)} peak ${rss[way].peak.toFixed(1)} MB (at start ${rss[way].before.toFixed(1)} MB)`,
      );
    }
    c.storage.client.destroy();
    c.raw.destroy();
  } finally {
    await s3.process.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const [flag, way, endpoint, file] = process.argv.slice(2);
(flag === '--rss' ? measureRss(way as Way, endpoint, file) : main()).catch((err: Error) => {
  console.error(`storage bench: ${err.stack ?? err.message}`);
  process.exit(1);
});
