import { Command, CommanderError } from 'commander';
import { COMMANDS } from './commands';
import { reportAndExit } from './errors';

export function buildProgram(): Command {
  const program = new Command('reelcast')
    .description('Calendars in, vertical videos out, published on time. Orchestrated by Temporal.')
    .showHelpAfterError('(run `reelcast --help` for the commands)');
  for (const register of COMMANDS) register(program);
  return program;
}

export async function main(argv = process.argv): Promise<void> {
  // `reelcast ... | head` closes the pipe early; that is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    reportAndExit(err);
  }
}

if (require.main === module) void main();
