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
import { parseFakeArgs, runFake } from '../kit';
import { ENDPOINTS, FAULT_KINDS, startFakeInstagram } from './server';

runFake('fake Instagram', 'FAKE_INSTAGRAM_URL', async () => {
  const args = parseFakeArgs(process.argv.slice(2), {
    usage: 'test/fakes/instagram/main.ts',
    endpoints: ENDPOINTS,
    kinds: FAULT_KINDS,
    numbers: { 'processing-ms': 0, quota: 100 },
  });
  const fake = await startFakeInstagram({
    host: args.host,
    port: args.port,
    processingMs: args.numbers['processing-ms'],
    quotaTotal: args.numbers.quota,
  });
  fake.inject(...args.faults);
  return fake;
});
