import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { renditionKey, S3Storage } from '../../../activities/storage';
import { freePort } from '../../../services/process';
import { startS3DevServer, type RunningS3 } from '../../../services/s3-dev';
import { resolveVersitygw } from '../../../services/tools';

const MiB = 1024 * 1024;
const credentials = { accessKeyId: 'faultsaccess', secretAccessKey: 'faults-secret-key-0123456789' };
const bucket = 'faults';

/**
 * A loopback TCP proxy that lets the client send at most `bytesPerSecond`, so an upload of a few
 * tens of MiB takes seconds and the server can be killed while it is surely under way.
 */
async function slowProxy(target: number, bytesPerSecond: number): Promise<{ url: string; close(): void }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    upstream.pipe(client);
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      client.pause();
      setTimeout(() => client.resume(), (chunk.length / bytesPerSecond) * 1000);
    });
    client.on('end', () => upstream.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

/** A file of `size` random bytes and its SHA-256, written in 1 MiB pieces. */
function bigFile(path: string, size: number): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'w');
  for (let done = 0; done < size; done += MiB) {
    const piece = randomBytes(Math.min(MiB, size - done));
    hash.update(piece);
    writeSync(fd, piece);
  }
  closeSync(fd);
  return hash.digest('hex');
}

async function sha256(storage: S3Storage, key: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of await storage.get(key)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe('the S3 server killed during a multipart upload and restarted', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reelcast-s3-restart-'));
  let s3: RunningS3 | undefined;
  let options: Parameters<typeof startS3DevServer>[0];
  let direct: S3Client;

  beforeAll(async () => {
    options = {
      binary: await resolveVersitygw(),
      ip: '127.0.0.1',
      port: await freePort(),
      rootDir: join(dir, 'data'),
      region: 'us-east-1',
      logFile: join(dir, 's3.log'),
      ...credentials,
    };
    s3 = await startS3DevServer(options);
    direct = new S3Client({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials,
    });
    const storage = new S3Storage({ ...storageOptions(s3.endpoint) });
    await storage.ensureBucket();
    storage.client.destroy();
  });
  afterAll(async () => {
    direct?.destroy();
    await s3?.process.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function storageOptions(endpoint: string) {
    return {
      endpoint,
      region: 'us-east-1',
      bucket,
      forcePathStyle: true,
      checksum: 'when_required' as const,
      ...credentials,
      partSize: 5 * MiB,
    };
  }

  async function openUploads(): Promise<string[]> {
    const out = await direct.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    return (out.Uploads ?? []).map((u) => u.Key!);
  }

  /** Kills the server once an upload of `key` has a part stored, keeps it down, starts it again. */
  async function killMidUpload(key: string, upload: Promise<unknown>): Promise<unknown> {
    const outcome = upload.then(
      () => undefined,
      (err: unknown) => err,
    );
    const deadline = Date.now() + 60_000;
    while (!(await openUploads().catch((): string[] => [])).includes(key)) {
      if (Date.now() > deadline) throw new Error(`the upload of ${key} never started`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // A part or two in: the server dies (SIGKILL, no clean shutdown).
    await new Promise((r) => setTimeout(r, 1500));
    s3!.process.child.kill('SIGKILL');
    const failure = await outcome;
    s3 = await startS3DevServer(options);
    return failure;
  }

  it.each<[string, 'file' | 'stream']>([
    ['a finished file (putFile, as a rendition is stored)', 'file'],
    ['a stream (put, as the outbox copies a rendition)', 'stream'],
  ])(
    '%s: the first attempt fails clearly, its retry stores the whole object and leaves no parts behind',
    async (_what, how) => {
      const proxy = await slowProxy(options.port, 8 * MiB);
      const storage = new S3Storage(storageOptions(proxy.url));
      const path = join(dir, `master-${how}.bin`);
      const size = 40 * MiB + 321;
      const digest = bigFile(path, size);
      const key = renditionKey(digest.slice(0, 32), 'reels');
      const upload = () =>
        how === 'file'
          ? storage.putFile(key, path, { contentType: 'video/mp4' })
          : storage.put(key, Readable.from(chunks(path)), { contentType: 'video/mp4' });
      try {
        const failure = await killMidUpload(key, upload());
        expect(failure).toBeInstanceOf(Error);
        expect((failure as Error).message).toMatch(
          /S3 server at http:\/\/127\.0\.0\.1:\d+ .*(unreachable|did not answer)/,
        );
        expect((failure as Error).message).toContain(key);
        // The server was gone when the upload failed, so it could not be aborted then: its
        // parts are still there. No half object, though: the key is absent.
        expect(await openUploads()).toContain(key);
        expect(await storage.head(key)).toBeUndefined();

        // The retry (Temporal retries the activity) stores it whole and sweeps the dead upload.
        const stored = await upload();
        expect(stored.size).toBe(size);
        expect(await sha256(storage, key)).toBe(digest);
        expect(await openUploads()).toEqual([]);
      } finally {
        proxy.close();
        storage.client.destroy();
        rmSync(path, { force: true });
      }
    },
    120_000,
  );
});

async function* chunks(path: string): AsyncGenerator<Buffer> {
  const { createReadStream } = await import('node:fs');
  for await (const chunk of createReadStream(path, { highWaterMark: MiB })) yield chunk as Buffer;
}
