import type { Command } from 'commander';
import { loadWorkspace, planWorkspace, xWeightedLength, type PostSpec } from '../../activities/calendar';
import { loadConfig } from '../../config';
import { formatProblem, parseDateOption, type Output } from './validate';

export interface PreviewOptions {
  from: string;
  to: string;
  json?: boolean;
  calendarsDir?: string;
  templatesDir?: string;
  blockedTermsFile?: string;
}

/**
 * The posts of a date range: a table a person can scan, or the full PostSpecs as JSON. A range
 * with errors prints the errors and exits 1: a preview of a plan that cannot run would mislead.
 */
export function runPreview(options: PreviewOptions, io: Output): number {
  const config = options.calendarsDir && options.templatesDir ? undefined : loadConfig();
  const ws = loadWorkspace({
    calendarsDir: options.calendarsDir ?? config!.calendarsDir,
    templatesDir: options.templatesDir ?? config!.templatesDir,
    blockedTermsFile: options.blockedTermsFile ?? config?.compliance.blockedTermsFile,
  });
  if (options.from > options.to)
    throw new Error(`--from ${options.from} is after --to ${options.to}; swap them`);
  const plan = planWorkspace(ws, options.from, options.to);
  const problems = plan.problems.map((p) => p.toProblem());
  for (const p of problems) io.err(formatProblem(p));
  if (problems.some((p) => p.severity === 'error')) {
    io.err('the calendars have errors (above); fix them, then preview again');
    return 1;
  }
  if (options.json) {
    io.out(JSON.stringify(plan.posts, null, 2));
    return 0;
  }
  io.out(renderTable(plan.posts));
  for (const o of plan.overlaps) {
    io.out(
      `note: ${o.date} ${o.localTime} ${o.channel}: "${o.winner}" ${o.tie ? 'is listed first (same priority)' : 'has the higher priority'}, "${o.loser}" does not post there`,
    );
  }
  io.err(`${plan.posts.length} post(s) from ${options.from} to ${options.to}`);
  return 0;
}

export function renderTable(posts: PostSpec[]): string {
  const header = ['local time', 'UTC', 'campaign', 'channels', 'prompt', 'caption'];
  const rows = posts.map((p) => [
    `${p.date} ${p.localTime} ${p.zone}`,
    p.publishAt.slice(0, 16).replace('T', ' '),
    p.campaign,
    p.channels.join(','),
    clip(p.prompt, 40),
    captionLengths(p),
  ]);
  const widths = header.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i]))));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c + ' '.repeat(widths[i] - displayWidth(c)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** X's weighted length out of 280 for x; characters for the other channels. */
function captionLengths(p: PostSpec): string {
  return p.channels
    .map((ch) => {
      const text = p.captions[ch] ?? '';
      return ch === 'x' ? `x ${xWeightedLength(text)}/280` : `${ch} ${[...text].length}`;
    })
    .join(', ');
}

const WIDE = /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u;

/** Terminal columns: CJK and full-width characters take two. */
export function displayWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += WIDE.test(ch) ? 2 : 1;
  return w;
}

function clip(text: string, columns: number): string {
  const flat = text.replace(/\s+/g, ' ');
  let out = '';
  for (const ch of flat) {
    if (displayWidth(out + ch) > columns - 1) return `${out}…`;
    out += ch;
  }
  return out;
}

export function register(program: Command): void {
  program
    .command('preview')
    .description(
      'Show the planned posts of a date range: local time, UTC, campaign, channels, prompt, caption length',
    )
    .requiredOption('--from <date>', 'first date, YYYY-MM-DD', parseDateOption)
    .option('--to <date>', 'last date, YYYY-MM-DD (default: --from)', parseDateOption)
    .option('--json', 'print the full posts as JSON')
    .action((opts: { from: string; to?: string; json?: boolean }) => {
      const code = runPreview(
        { from: opts.from, to: opts.to ?? opts.from, json: opts.json },
        { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) },
      );
      process.exitCode = code;
    });
}
