import { DefaultLogger, makeTelemetryFilterString, Runtime, type LogLevel } from '@temporalio/worker';

let installed = false;

/** Core's messages while the Temporal server cannot be reached: several a second, all alike. */
const UNREACHABLE = /^(gRPC call \w+ retried \d+ times|Network error while sending worker heartbeat)/;
const UNREACHABLE_EVERY_MS = 60_000;

/**
 * Installs the Temporal runtime once per process: worker logs at REELCAST_LOG_LEVEL (default
 * WARN, so a person sees problems, not state changes), and SIGINT/SIGTERM start a graceful
 * shutdown of every worker. The SDK core's own messages come through the same logger, so while
 * the server is away the worker says so once a minute instead of printing every retried poll; it
 * keeps polling and carries on by itself when the server is back.
 */
export function installRuntime(
  level = (process.env.REELCAST_LOG_LEVEL ?? 'WARN').toUpperCase() as LogLevel,
): void {
  if (installed) return;
  let lastUnreachable = 0;
  const logger = new DefaultLogger(level, (entry) => {
    // Role workers poll activities only; the SDK's note about that is expected, not a problem.
    if (entry.message.startsWith('No workflows registered')) return;
    let { message, meta } = entry;
    if (UNREACHABLE.test(message)) {
      if (Date.now() - lastUnreachable < UNREACHABLE_EVERY_MS) return;
      lastUnreachable = Date.now();
      const error = String((meta as { error?: unknown } | undefined)?.error ?? '');
      const why = /message: "([^"]+)"/.exec(error)?.[1] ?? 'no answer';
      message = `the Temporal server cannot be reached (${why}); this worker keeps trying and carries on when it is back`;
      meta = undefined;
    }
    process.stderr.write(
      `${new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString()} [${entry.level}] ${message}${meta ? ` ${JSON.stringify(meta)}` : ''}\n`,
    );
  });
  Runtime.install({
    logger,
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: level }), forward: {} } },
    shutdownSignals: ['SIGINT', 'SIGTERM'],
  });
  installed = true;
}
