/**
 * The fake X API as a process of its own, for end-to-end tests that SIGKILL workers:
 *
 *   node test/fakes/x/start.js [--port 0] [--host 127.0.0.1] [--processing-ms 0]
 *                             [--fault create:reset-after-accept[:times]] ...
 *
 * When it listens it prints one line, `FAKE_X_URL=http://127.0.0.1:<port>`, on stdout: use that
 * as X_API_BASE_URL, with X_APP_KEY/X_APP_SECRET/X_ACCESS_TOKEN/X_ACCESS_SECRET set to the values
 * in FAKE_X_DEFAULTS (fake-app-key, fake-app-secret, fake-access-token, fake-access-secret).
 * While it runs: `POST /_fake/faults` injects faults, `GET /_fake/state` shows posts, media and
 * request counts, `POST /_fake/reset` clears them. SIGTERM or SIGINT stops it.
 */
import { ENDPOINTS, FAULT_KINDS, startFakeX, type Endpoint, type Fault, type FaultKind } from './server';

function parseArgs(argv: string[]): { port: number; host: string; processingMs: number; faults: Fault[] } {
  const out = { port: 0, host: '127.0.0.1', processingMs: 0, faults: [] as Fault[] };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    switch (argv[i]) {
      case '--port':
        out.port = Number(value);
        i++;
        break;
      case '--host':
        out.host = value;
        i++;
        break;
      case '--processing-ms':
        out.processingMs = Number(value);
        i++;
        break;
      case '--fault': {
        const [endpoint, kind, times] = (value ?? '').split(':');
        if (
          !(endpoint === '*' || ENDPOINTS.includes(endpoint as Endpoint)) ||
          !FAULT_KINDS.includes(kind as FaultKind)
        ) {
          throw new Error(
            `--fault ${value}: expected <endpoint>:<kind>[:times], endpoint one of ${ENDPOINTS.join(', ')} or *, kind one of ${FAULT_KINDS.join(', ')}`,
          );
        }
        out.faults.push({
          endpoint: endpoint as Endpoint | '*',
          kind: kind as FaultKind,
          times: times ? Number(times) : 1,
        });
        i++;
        break;
      }
      default:
        throw new Error(`unknown option ${argv[i]}; see test/fakes/x/main.ts for usage`);
    }
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const fake = await startFakeX({ host: args.host, port: args.port, processingMs: args.processingMs });
  fake.inject(...args.faults);
  process.stdout.write(`FAKE_X_URL=${fake.url}\n`);
  const stop = (): void => {
    void fake.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: Error) => {
  process.stderr.write(`fake X: ${err.message}\n`);
  process.exit(2);
});
