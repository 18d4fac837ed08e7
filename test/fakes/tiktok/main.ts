/**
 * The fake TikTok as a process of its own, for end-to-end tests and the benchmark:
 *
 *   node test/fakes/tiktok/start.js [--port 0] [--host 127.0.0.1] [--processing-ms 200]
 *                                   [--access-token-ttl 86400] [--unaudited]
 *                                   [--fault init:reset-after-accept[:times]] ...
 *
 * When it listens it prints one line, `FAKE_TIKTOK_URL=http://127.0.0.1:<port>`, on stdout: use
 * that as TIKTOK_API_BASE_URL and TIKTOK_AUTH_BASE_URL, with TIKTOK_CLIENT_KEY=fake-client-key and
 * TIKTOK_CLIENT_SECRET=fake-client-secret (FAKE_TIKTOK_DEFAULTS). `POST /_fake/grant` returns
 * tokens for the account without the browser step; `POST /_fake/faults` injects faults,
 * `GET /_fake/state` shows posts, publishes and request counts, `POST /_fake/reset` clears them.
 * SIGTERM or SIGINT stops it.
 */
import { ENDPOINTS, FAULT_KINDS, startFakeTikTok, type Endpoint, type Fault, type FaultKind } from './server';

interface Args {
  port: number;
  host: string;
  processingMs: number;
  accessTokenTtlSeconds: number;
  audited: boolean;
  faults: Fault[];
}

function parseArgs(argv: string[]): Args {
  const out: Args = {
    port: 0,
    host: '127.0.0.1',
    processingMs: 200,
    accessTokenTtlSeconds: 86_400,
    audited: true,
    faults: [],
  };
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
      case '--access-token-ttl':
        out.accessTokenTtlSeconds = Number(value);
        i++;
        break;
      case '--unaudited':
        out.audited = false;
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
          times: Number(times || 1),
        });
        i++;
        break;
      }
      default:
        throw new Error(`unknown option ${argv[i]}; see test/fakes/tiktok/main.ts for usage`);
    }
  }
  return out;
}

async function main(): Promise<void> {
  const { faults, ...options } = parseArgs(process.argv.slice(2));
  const fake = await startFakeTikTok(options);
  fake.inject(...faults);
  process.stdout.write(`FAKE_TIKTOK_URL=${fake.url}\n`);
  const stop = (): void => {
    void fake.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: Error) => {
  process.stderr.write(`fake TikTok: ${err.message}\n`);
  process.exit(2);
});
