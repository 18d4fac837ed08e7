import { dirname, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import {
  horizonFrom,
  loadWorkspace,
  planWorkspace,
  type CalendarProblem,
  type WorkspaceOptions,
} from '../../activities/calendar';
import { modelDir } from '../../activities/generate/manifest';
import { ModelFileMissingError } from '../../activities/generate/errors';
import { checkModelDir } from '../../activities/generate/manifest';
import { DEFAULT_ACCOUNT } from '../../activities/publish/accounts';
import { loadConfig, type ReelcastConfig } from '../../config';

export interface ValidateOptions {
  from?: string;
  to?: string;
  /** Where the calendars and templates are; default: the config. */
  calendarsDir?: string;
  templatesDir?: string;
  blockedTermsFile?: string;
  /** "Today" for the default horizon; the clock by default. */
  today?: string;
  /** Whether an account is connected (the token store): given, unknown accounts are errors. */
  isAccountConnected?: WorkspaceOptions['isAccountConnected'];
  /** Checks a campaign's `video.model` (modelChecker): given, a broken one is an error. */
  checkModel?: WorkspaceOptions['checkModel'];
}

export interface Output {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** `file:line:col: message` for errors, `file:line:col: warning: message` for warnings. */
export function formatProblem(p: CalendarProblem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.severity === 'warning' ? 'warning: ' : ''}${p.message}`;
}

/**
 * Checks calendars and templates by planning them over a horizon (default: today and the next
 * 366 days), so date-dependent problems (a slot in a DST gap, a caption too long on one day)
 * are found too. Returns the exit code: 1 when there is any error, else 0.
 */
export function runValidate(paths: string[], options: ValidateOptions, io: Output): number {
  const config = options.calendarsDir && options.templatesDir ? undefined : loadConfig();
  const ws = loadWorkspace({
    paths,
    calendarsDir: options.calendarsDir ?? config!.calendarsDir,
    templatesDir: options.templatesDir ?? config!.templatesDir,
    blockedTermsFile: options.blockedTermsFile ?? config?.compliance.blockedTermsFile,
    isAccountConnected: options.isAccountConnected,
    checkModel: options.checkModel,
  });
  const start = options.from ?? options.today ?? new Date().toISOString().slice(0, 10);
  const range = options.to ? { from: start, to: options.to } : horizonFrom(start);
  const plan = planWorkspace(ws, range.from, range.to);
  const problems = plan.problems.map((p) => p.toProblem());
  for (const p of problems) io.out(formatProblem(p));
  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.length - errors;
  const checked = `${ws.calendars.length} calendar(s), ${plan.posts.length} post(s) from ${range.from} to ${range.to}`;
  io.err(
    errors > 0
      ? `${errors} error(s), ${warnings} warning(s); checked ${checked}`
      : `ok: ${warnings} warning(s); checked ${checked}`,
  );
  return errors > 0 ? 1 : 0;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function parseDateOption(value: string): string {
  if (!DATE.test(value))
    throw new InvalidArgumentError(`"${value}" is not a date; write YYYY-MM-DD, e.g. 2027-02-01`);
  return value;
}

export function register(program: Command): void {
  program
    .command('validate')
    .description(
      'Check calendars and templates; print every problem as file:line:col: message (exit 1 on errors)',
    )
    .argument('[paths...]', 'calendar files or folders (default: calendarsDir from the config)')
    .option('--from <date>', 'first date to check, YYYY-MM-DD (default: today)', parseDateOption)
    .option('--to <date>', 'last date to check, YYYY-MM-DD (default: 366 days after --from)', parseDateOption)
    .action(async (paths: string[], opts: { from?: string; to?: string }) => {
      const code = runValidate(
        paths,
        { ...opts, isAccountConnected: await connectedAccounts(), checkModel: modelChecker(loadConfig()) },
        {
          out: (l) => process.stdout.write(`${l}\n`),
          err: (l) => process.stderr.write(`${l}\n`),
        },
      );
      process.exitCode = code;
    });
}

/**
 * A campaign's `video.model` must be a model directory that meets the contract: its manifest and
 * every graph file it names for model.precision, as `reelcast model check` finds them, without
 * loading the graphs or generating (a worker's start-up and `reelcast model check` go further).
 */
export function modelChecker(config: ReelcastConfig): NonNullable<ValidateOptions['checkModel']> {
  const seen = new Map<string, string | undefined>();
  const check = (model: string): string | undefined => {
    const dir = modelDir(config, model);
    try {
      checkModelDir(dir, config.model.precision ?? 'fp32');
      return undefined;
    } catch (err) {
      const why =
        err instanceof ModelFileMissingError
          ? `${err.what} not found: ${err.path}`
          : (err as Error).message.replace(/\s*\n\s*/g, ' ');
      return `${why}; a relative name is found next to model.dir (in ${dirname(resolve(config.model.dir))}). Export the style with \`reelcast model export --from <checkpoint> --lora <file> --out ${dir}\` and try it with \`reelcast model check ${dir}\``;
    }
  };
  return (model) => {
    if (!seen.has(model)) seen.set(model, check(model));
    return seen.get(model);
  };
}

/**
 * With live delivery, the accounts the calendars name must be connected: the token store's list
 * (plus X's default account when the X_* variables define it). With the outbox, nothing is
 * posted to any account, so nothing is checked and the storage libraries are not even loaded.
 */
async function connectedAccounts(): Promise<ValidateOptions['isAccountConnected']> {
  const config = loadConfig();
  if (config.channels.delivery !== 'live') return undefined;
  const [{ commandConfig }, { openStorage }, { TokenStore }] = await Promise.all([
    import('../context'),
    import('../../activities/storage'),
    import('../../activities/publish/tokens/store'),
  ]);
  const live = commandConfig();
  const connected = new Set(
    (await new TokenStore(openStorage(live)).list()).map((a) => `${a.platform}/${a.account}`),
  );
  if (config.channels.x.accessToken && config.channels.x.accessSecret) connected.add(`x/${DEFAULT_ACCOUNT}`);
  return (platform, account) => connected.has(`${platform}/${account}`);
}
