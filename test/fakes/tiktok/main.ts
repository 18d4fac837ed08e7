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
import { parseFakeArgs, runFake } from '../kit';
import { ENDPOINTS, FAULT_KINDS, startFakeTikTok } from './server';

runFake('fake TikTok', 'FAKE_TIKTOK_URL', async () => {
  const args = parseFakeArgs(process.argv.slice(2), {
    usage: 'test/fakes/tiktok/main.ts',
    endpoints: ENDPOINTS,
    kinds: FAULT_KINDS,
    numbers: { 'processing-ms': 200, 'access-token-ttl': 86_400 },
    switches: ['unaudited'],
  });
  const fake = await startFakeTikTok({
    host: args.host,
    port: args.port,
    processingMs: args.numbers['processing-ms'],
    accessTokenTtlSeconds: args.numbers['access-token-ttl'],
    audited: !args.switches.unaudited,
  });
  fake.inject(...args.faults);
  return fake;
});
