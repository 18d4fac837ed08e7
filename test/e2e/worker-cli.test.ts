import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const cli = join(root, 'bin', 'reelcast.js');
// Task queues of its own: other test files' workers must not count as this test's workers.
const env = { ...process.env, REELCAST_TASK_QUEUE: `cli-${process.pid}` };

function reelcast(args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], {
    cwd: root,
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** What an operator does: start a worker, check it with `doctor`, stop it with SIGTERM. */
describe('reelcast worker / doctor', () => {
  beforeAll(() => {
    if (!existsSync(join(root, 'dist', 'cli', 'main.js')))
      throw new Error('run `npm run build` first (make test does)');
  });

  it('doctor names the queues that have no worker', () => {
    const out = reelcast(['doctor', '--queues', 'gpu']);
    expect(out.status).toBe(1);
    expect(out.stderr).toMatch(
      /no worker is serving cli-\d+, cli-\d+-gpu\. Start one with `reelcast worker`/,
    );
  });

  it('serves every queue until SIGTERM, then stops cleanly', async () => {
    const worker = spawn(process.execPath, [cli, 'worker', '--queues', 'gpu,media,publish'], {
      cwd: root,
      env,
    });
    let log = '';
    worker.stderr!.on('data', (d) => (log += d));
    const exit = exited(worker);
    try {
      for (let i = 0; i < 100 && !/serving/.test(log); i++) await new Promise((r) => setTimeout(r, 200));
      expect(log).toMatch(/serving cli-\d+, cli-\d+-gpu, cli-\d+-media, cli-\d+-publish/);

      const doctor = reelcast(['doctor']);
      expect({ status: doctor.status, stdout: doctor.stdout, stderr: doctor.stderr }).toMatchObject({
        status: 0,
      });
      for (const queue of ['', '-gpu', '-media', '-publish']) {
        expect(doctor.stdout).toMatch(
          new RegExp(`ok +queue +cli-${process.pid}${queue}: worker pid ${worker.pid}`),
        );
      }
      // The media worker says how it signs and what its content gate runs, under its queue.
      expect(doctor.stdout).toMatch(
        new RegExp(
          `-media: worker pid ${worker.pid}.*\\n.*Content Credentials: signed with the development CA.*\\n.*content gate: nsfwjs \\d+\\.\\d+\\.\\d+ MobileNetV2 \\(wasm\\)`,
        ),
      );
    } finally {
      worker.kill('SIGTERM');
    }
    expect(await exit).toBe(0);
    expect(log).toMatch(/worker stopped/);
  });
});
