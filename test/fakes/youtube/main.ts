/**
 * The fake YouTube API as a process of its own, for end-to-end tests that SIGKILL workers:
 *
 *   node test/fakes/youtube/start.js [--port 0] [--host 127.0.0.1] [--token-ttl-seconds 3600]
 *                                    [--processing-ms 0] [--fault chunk:cut-midway[:times]] ...
 *
 * When it listens it prints one line, `FAKE_YOUTUBE_URL=http://127.0.0.1:<port>`, on stdout: use
 * it as YOUTUBE_API_BASE_URL and YOUTUBE_OAUTH_BASE_URL, with YOUTUBE_CLIENT_ID and
 * YOUTUBE_CLIENT_SECRET set to the values in FAKE_YOUTUBE_DEFAULTS
 * (fake-client-id.apps.googleusercontent.com, fake-client-secret). While it runs:
 * `POST /_fake/tokens` issues a connected account's tokens, `POST /_fake/faults` injects faults,
 * `GET /_fake/state` shows videos, sessions and request counts, `POST /_fake/reset` clears them.
 * SIGTERM or SIGINT stops it.
 */
import { parseFakeArgs, runFake } from '../kit';
import { ENDPOINTS, FAULT_KINDS, startFakeYouTube } from './server';

runFake('fake YouTube', 'FAKE_YOUTUBE_URL', async () => {
  const args = parseFakeArgs(process.argv.slice(2), {
    usage: 'test/fakes/youtube/main.ts',
    endpoints: ENDPOINTS,
    kinds: FAULT_KINDS,
    numbers: { 'token-ttl-seconds': 3600, 'processing-ms': 0 },
  });
  const fake = await startFakeYouTube({
    host: args.host,
    port: args.port,
    accessTokenTtlSeconds: args.numbers['token-ttl-seconds'],
    processingMs: args.numbers['processing-ms'],
  });
  fake.inject(...args.faults);
  return fake;
});
