import { Command, CommanderError } from 'commander';
import { didYouMean } from '../activities/calendar/suggest';
import { unknownVariables } from '../config';
import { COMMAND_FILES } from './commands';
import { reportAndExit } from './errors';

/** Thrown for `reelcast <name>` when no command has that name, with or without --help after it. */
class UnknownCommandError extends Error {
  override readonly name = 'UnknownCommandError';
}

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
    for (const warning of unknownVariables()) process.stderr.write(`${warning}\n`);
    const command = argv[2];
    const names = COMMAND_FILES.flatMap((f) => f.names);
    // Commander would print the global help for `reelcast notify --help` and exit 0.
    if (command !== undefined && !command.startsWith('-') && command !== 'help' && !names.includes(command)) {
      throw new UnknownCommandError(
        `unknown command '${command}'${didYouMean(command, names)}. The commands: ${names.join(', ')} (\`reelcast --help\` says what each does).`,
      );
    }
    await (await buildProgram(command)).parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    reportAndExit(err);
  }
}

if (require.main === module) void main();
