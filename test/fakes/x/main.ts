/**
 * The fake X API as a process of its own, for end-to-end tests that SIGKILL workers:
 *
 *   node test/fakes/x/start.js [--port 0] [--host 127.0.0.1] [--processing-ms 0]
 *                              [--fault create:reset-after-accept[:times]] ...
 *
 * When it listens it prints one line, `FAKE_X_URL=http://127.0.0.1:<port>`, on stdout: use that
 * as X_API_BASE_URL, with X_APP_KEY/X_APP_SECRET/X_ACCESS_TOKEN/X_ACCESS_SECRET set to the values
 * in FAKE_X_DEFAULTS (fake-app-key, fake-app-secret, fake-access-token, fake-access-secret).
 * While it runs: `POST /_fake/faults` injects faults, `GET /_fake/state` shows posts, media and
 * request counts, `POST /_fake/reset` clears them. SIGTERM or SIGINT stops it.
 */
import { parseFakeArgs, runFake } from '../kit';
import { ENDPOINTS, FAULT_KINDS, startFakeX } from './server';

runFake('fake X', 'FAKE_X_URL', async () => {
  const args = parseFakeArgs(process.argv.slice(2), {
    usage: 'test/fakes/x/main.ts',
    endpoints: ENDPOINTS,
    kinds: FAULT_KINDS,
    numbers: { 'processing-ms': 0 },
  });
  const fake = await startFakeX({
    host: args.host,
    port: args.port,
    processingMs: args.numbers['processing-ms'],
  });
  fake.inject(...args.faults);
  return fake;
});
