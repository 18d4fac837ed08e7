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
import { parseArgs } from 'node:util';
import { parseFaultOption } from '../faults';
import { ENDPOINTS, FAULT_KINDS, startFakeTikTok } from './server';

function options(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'processing-ms': { type: 'string', default: '200' },
      'access-token-ttl': { type: 'string', default: '86400' },
      unaudited: { type: 'boolean', default: false },
      fault: { type: 'string', multiple: true, default: [] },
    },
  });
  return {
    port: Number(values.port),
    host: values.host,
    processingMs: Number(values['processing-ms']),
    accessTokenTtlSeconds: Number(values['access-token-ttl']),
    audited: !values.unaudited,
    faults: values.fault.map((f) => parseFaultOption(f, ENDPOINTS, FAULT_KINDS)),
  };
}

async function main(): Promise<void> {
  const { faults, ...settings } = options(process.argv.slice(2));
  const fake = await startFakeTikTok(settings);
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
