import { createServer, type Server } from 'node:net';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess, freePort, ServiceError } from '../../services/process';
import { startS3DevServer } from '../../services/s3-dev';
import { startTemporalDevServer } from '../../services/temporal-dev';
import { resolveTemporalCli, resolveVersitygw } from '../../services/tools';

/** A service that cannot start, or dies, fails fast with a message naming it and what to do. */
describe('dev services fail fast and say why', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reelcast-services-'));

  async function occupy(): Promise<{ server: Server; port: number }> {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return { server, port };
  }

  it('refuses to start the Temporal dev server on a port that is taken', async () => {
    const { server, port } = await occupy();
    try {
      await expect(
        startTemporalDevServer({
          binary: await resolveTemporalCli(),
          ip: '127.0.0.1',
          port,
          uiPort: await freePort(),
          dbFile: join(dir, 'taken.db'),
          namespace: 'default',
          logFile: join(dir, 'taken.log'),
        }),
      ).rejects.toThrow(
        /^Temporal dev server: cannot start: 127\.0\.0\.1:\d+ is already in use\. .*TEMPORAL_ADDRESS.*REELCAST_TEMPORAL_PORT/,
      );
      // It says so before it starts anything: no server was spawned, so none was left running.
      expect(existsSync(join(dir, 'taken.log'))).toBe(false);
    } finally {
      server.close();
    }
  });

  it('names the setting when the configured Temporal binary does not exist', async () => {
    await expect(resolveTemporalCli({ configured: '/opt/nowhere/temporal' })).rejects.toThrow(
      /REELCAST_TEMPORAL_BIN.*\/opt\/nowhere\/temporal.*not an executable/,
    );
  });

  it('says which program could not be run', async () => {
    await expect(
      ManagedProcess.start({
        name: 'Example service',
        command: '/opt/nowhere/server',
        args: [],
        logFile: join(dir, 'missing.log'),
        healthy: async () => false,
      }),
    ).rejects.toThrow(/^Example service: could not run \/opt\/nowhere\/server/);
  });

  it('reports a service that exits while starting, with its last log lines', async () => {
    await expect(
      ManagedProcess.start({
        name: 'Example service',
        command: 'sh',
        args: ['-c', 'echo "fatal: config broken" >&2; exit 3'],
        logFile: join(dir, 'early-exit.log'),
        healthy: async () => false,
      }),
    ).rejects.toThrow(/exited while starting \(exit code 3\)[\s\S]*fatal: config broken/);
  });

  it('reports the S3 server killed mid-run, naming it and how it died', async () => {
    const s3 = await startS3DevServer({
      binary: await resolveVersitygw(),
      ip: '127.0.0.1',
      port: await freePort(),
      rootDir: join(dir, 's3'),
      accessKeyId: 'killtest',
      secretAccessKey: 'killtest-secret',
      region: 'us-east-1',
      logFile: join(dir, 's3.log'),
    });
    const reported = new Promise<ServiceError>((resolve) => s3.process.onUnexpectedExit(resolve));
    process.kill(s3.process.pid!, 'SIGKILL');
    const error = await reported;
    expect(error).toBeInstanceOf(ServiceError);
    expect(error.message).toMatch(/^S3 server \(versitygw\): stopped unexpectedly \(killed by SIGKILL\)/);
  });

  it('does not report a service that was asked to stop', async () => {
    const proc = await ManagedProcess.start({
      name: 'Sleeper',
      command: 'sleep',
      args: ['30'],
      logFile: join(dir, 'sleeper.log'),
      healthy: async () => true,
    });
    let reported = false;
    proc.onUnexpectedExit(() => (reported = true));
    await proc.stop();
    await new Promise((r) => setTimeout(r, 50));
    expect(proc.running).toBe(false);
    expect(reported).toBe(false);
  });
});
