/**
 * The fake Instagram Platform as a process of its own, for end-to-end tests that SIGKILL workers:
 *
 *   node test/fakes/instagram/start.js [--port 0] [--host 127.0.0.1] [--processing-ms 0]
 *                                      [--quota 100] [--fault publish:reset-after-accept[:times]] ...
 *
 * When it listens it prints one line, `FAKE_INSTAGRAM_URL=http://127.0.0.1:<port>`, on stdout: use
 * that as INSTAGRAM_GRAPH_BASE_URL and INSTAGRAM_UPLOAD_BASE_URL (one server plays every host),
 * INSTAGRAM_API_VERSION=v25.0, INSTAGRAM_APP_ID/INSTAGRAM_APP_SECRET as in FAKE_INSTAGRAM_DEFAULTS,
 * and FAKE_INSTAGRAM_DEFAULTS.accessToken as the connected account's token (valid 60 days from
 * start). While it runs: `POST /_fake/faults` injects faults, `GET /_fake/state` shows reels,
 * containers and request counts, `POST /_fake/clock {"advanceMs": n}` moves its clock,
 * `POST /_fake/reset` clears everything. SIGTERM or SIGINT stops it.
 */
import {
  ENDPOINTS,
  FAULT_KINDS,
  startFakeInstagram,
  type Endpoint,
  type Fault,
  type FaultKind,
} from './server';

interface Args {
  port: number;
  host: string;
  processingMs: number;
  quotaTotal: number;
  faults: Fault[];
}

function parseArgs(argv: string[]): Args {
  const out: Args = { port: 0, host: '127.0.0.1', processingMs: 0, quotaTotal: 100, faults: [] };
  const numbers = { '--port': 'port', '--processing-ms': 'processingMs', '--quota': 'quotaTotal' } as const;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[++i] ?? '';
    if (flag in numbers) out[numbers[flag as keyof typeof numbers]] = Number(value);
    else if (flag === '--host') out.host = value;
    else if (flag === '--fault') {
      const [endpoint, kind, times] = value.split(':');
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
    } else throw new Error(`unknown option ${flag}; see test/fakes/instagram/main.ts for usage`);
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const fake = await startFakeInstagram({
    host: args.host,
    port: args.port,
    processingMs: args.processingMs,
    quotaTotal: args.quotaTotal,
  });
  fake.inject(...args.faults);
  process.stdout.write(`FAKE_INSTAGRAM_URL=${fake.url}\n`);
  const stop = (): void => {
    void fake.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: Error) => {
  process.stderr.write(`fake Instagram: ${err.message}\n`);
  process.exit(2);
});
