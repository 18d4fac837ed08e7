/**
 * How the CLI shows an error to a person: the message (which says what, where and what to do),
 * never a stack trace unless REELCAST_DEBUG=1.
 */
export function reportAndExit(err: unknown, exitCode = 1): never {
  const e = err instanceof Error ? err : new Error(String(err));
  process.stderr.write(`reelcast: ${e.message}\n`);
  if (process.env.REELCAST_DEBUG === '1' && e.stack) process.stderr.write(`${e.stack}\n`);
  process.exit(exitCode);
}
