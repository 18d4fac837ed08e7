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
import { parseFaultFlag } from '../kit';
import { ENDPOINTS, FAULT_KINDS, startFakeYouTube, type Fault } from './server';

interface Args {
  port: number;
  host: string;
  accessTokenTtlSeconds: number;
  processingMs: number;
  faults: Fault[];
}

function parseArgs(argv: string[]): Args {
  const out: Args = { port: 0, host: '127.0.0.1', accessTokenTtlSeconds: 3600, processingMs: 0, faults: [] };
  const numbers = {
    '--port': 'port',
    '--token-ttl-seconds': 'accessTokenTtlSeconds',
    '--processing-ms': 'processingMs',
  } as const;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[++i];
    if (flag in numbers) {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} ${value}: expected a whole number`);
      out[numbers[flag as keyof typeof numbers]] = n;
    } else if (flag === '--host') {
      out.host = value;
    } else if (flag === '--fault') {
      out.faults.push(parseFaultFlag(value, ENDPOINTS, FAULT_KINDS));
    } else {
      throw new Error(`unknown option ${flag}; see test/fakes/youtube/main.ts for usage`);
    }
  }
  return out;
}

async function main(): Promise<void> {
  const { faults, ...options } = parseArgs(process.argv.slice(2));
  const fake = await startFakeYouTube(options);
  fake.inject(...faults);
  process.stdout.write(`FAKE_YOUTUBE_URL=${fake.url}\n`);
  const stop = (): void => {
    void fake.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: Error) => {
  process.stderr.write(`fake YouTube: ${err.message}\n`);
  process.exit(2);
});
