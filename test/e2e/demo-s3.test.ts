import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { e2eEnv, reelcast as runCli } from './support';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * `REELCAST_STORAGE=s3` with no S3 endpoint: the embedded S3 server, started by `dev up` and
 * found by every later command, its credentials included. The Temporal server is the test stack's.
 */
describe('reelcast dev up + demo on the embedded S3 server', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'reelcast-demo-s3-'));
  let env: Record<string, string>;

  const reelcast = (...args: string[]) => runCli(env, args, 400_000);

  beforeAll(async () => {
    env = e2eEnv('demo-s3', {
      REELCAST_STORAGE: 's3',
      REELCAST_DATA_DIR: dataDir,
      REELCAST_S3_PORT: String(await freePort()),
    });
    // The test stack's own S3 server is an external one; this test wants the embedded one.
    for (const name of ['S3_ENDPOINT', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'S3_BUCKET'])
      delete env[name];
  });
  afterAll(async () => {
    await reelcast('dev', 'down');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('publishes the demo post to the outbox in the bucket and prints links a person can open', async () => {
    const up = await reelcast('dev', 'up');
    expect({ status: up.status, stderr: up.stderr }).toMatchObject({ status: 0 });
    expect(up.stderr).toMatch(/Storage +http:\/\/127\.0\.0\.1:\d+ bucket reelcast/);

    const status = JSON.parse((await reelcast('dev', 'status', '--json')).stdout) as Array<{
      service: string;
      state: string;
    }>;
    expect(status).toContainEqual(
      expect.objectContaining({ service: 'S3 server (versitygw)', state: 'running' }),
    );

    const demo = await reelcast('demo', '--limit', '1', '--json');
    expect({ status: demo.status, stderr: demo.stderr }).toMatchObject({ status: 0 });
    expect(demo.stderr).not.toMatch(/Could not load credentials|NOT published/);
    const summary = JSON.parse(demo.stdout.trim().split('\n').pop()!) as {
      published: Array<{ rendition: string; poster?: string; outbox?: string }>;
      failed: unknown[];
    };
    expect(summary.failed).toEqual([]);
    expect(summary.published.length).toBeGreaterThan(0);
    for (const p of summary.published) {
      // A presigned link: anyone with it can download the video for an hour, no credentials needed.
      expect(p.rendition).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/reelcast\/renditions\/.*X-Amz-Signature=/);
      const res = await fetch(p.rendition);
      expect(res.status).toBe(200);
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
      expect(demo.stderr).toContain(p.rendition);
    }

    // Later commands find the embedded server and its credentials too.
    const failures = await reelcast('failures', '--json');
    expect({ status: failures.status, stdout: failures.stdout.trim() }).toEqual({ status: 0, stdout: '[]' });
    const logs = await reelcast('dev', 'logs', 's3');
    expect(logs.status).toBe(0);

    const down = await reelcast('dev', 'down');
    expect(down.stderr).toContain('stopped: S3 server (versitygw)');
  }, 600_000);
});
