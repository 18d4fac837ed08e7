import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

let installed = false;

/**
 * Installs the Temporal runtime once per process: worker logs at REELCAST_LOG_LEVEL (default
 * WARN, so a person sees problems, not state changes), and SIGINT/SIGTERM start a graceful
 * shutdown of every worker.
 */
export function installRuntime(
  level = (process.env.REELCAST_LOG_LEVEL ?? 'WARN').toUpperCase() as LogLevel,
): void {
  if (installed) return;
  const logger = new DefaultLogger(level, (entry) => {
    // Role workers poll activities only; the SDK's note about that is expected, not a problem.
    if (entry.message.startsWith('No workflows registered')) return;
    process.stderr.write(
      `${new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString()} [${entry.level}] ${entry.message}${entry.meta ? ` ${JSON.stringify(entry.meta)}` : ''}\n`,
    );
  });
  Runtime.install({ logger, shutdownSignals: ['SIGINT', 'SIGTERM'] });
  installed = true;
}
