import { Command, CommanderError } from 'commander';
import { COMMAND_FILES } from './commands';
import { reportAndExit } from './errors';

/**
 * The `reelcast` program. Given the command about to run, only that command's file is loaded
 * (a quarter of a second less for `validate`); without one, or for a name no file registers
 * (help, a typo to suggest a fix for), every command is.
 */
export async function buildProgram(command?: string): Promise<Command> {
  const program = new Command('reelcast')
    .description('Calendars in, vertical videos out, published on time. Orchestrated by Temporal.')
    .showHelpAfterError('(run `reelcast --help` for the commands)');
  const only = COMMAND_FILES.filter((f) => command !== undefined && f.names.includes(command));
  for (const file of only.length > 0 ? only : COMMAND_FILES) (await file.load())(program);
  return program;
}

export async function main(argv = process.argv): Promise<void> {
  // `reelcast ... | head` closes the pipe early; that is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  try {
    await (await buildProgram(argv[2])).parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    reportAndExit(err);
  }
}

if (require.main === module) void main();
