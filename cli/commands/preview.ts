import type { Command } from 'commander';
import { loadWorkspace, planWorkspace, type PostSpec } from '../../activities/calendar';
import { channelSpec } from '../../activities/publish/channel-table';
import { captionLength } from '../../activities/publish/channel-text';
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
    writeJson(plan.posts, io);
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
  // Most posts of a campaign share their prompt: cut each distinct one once.
  const clipped = new Map<string, string>();
  const clipPrompt = (prompt: string): string => {
    let cut = clipped.get(prompt);
    if (cut === undefined) clipped.set(prompt, (cut = clip(prompt, 40)));
    return cut;
  };
  const rows = posts.map((p) => [
    `${p.date} ${p.localTime} ${p.zone}`,
    p.publishAt.slice(0, 16).replace('T', ' '),
    p.campaign,
    p.channels.join(','),
    clipPrompt(p.prompt),
    captionLengths(p),
  ]);
  // Each cell measured once; a loop, not Math.max(...cells), which overflows the stack for a
  // preview of a few years.
  const cellWidths = rows.map((r) => r.map(displayWidth));
  const widths = header.map(displayWidth);
  for (const row of cellWidths) for (let i = 0; i < row.length; i++) widths[i] = Math.max(widths[i], row[i]);
  const line = (cells: string[], cellWidth: number[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i] - cellWidth[i])))
      .join('  ')
      .trimEnd();
  return [
    line(header, header.map(displayWidth)),
    line(
      widths.map((w) => '-'.repeat(w)),
      widths,
    ),
    ...rows.map((r, k) => line(r, cellWidths[k])),
  ].join('\n');
}

/**
 * The posts as one JSON array, the same text as `JSON.stringify(posts, null, 2)`, written in
 * pieces: a year of posts is some 150 MB of JSON, which one string would hold in memory twice.
 */
function writeJson(posts: PostSpec[], io: Output): void {
  if (posts.length === 0) {
    io.out('[]');
    return;
  }
  io.out('[');
  // A thousand posts a write. Each chunk is stringified as an array, which indents its posts as
  // the whole array would be; its brackets are cut and the chunks joined by commas.
  for (let start = 0; start < posts.length; start += 1000) {
    const chunk = JSON.stringify(posts.slice(start, start + 1000), null, 2);
    const last = start + 1000 >= posts.length;
    io.out(`${chunk.slice(2, -2)}${last ? '' : ','}`);
  }
  io.out(']');
}

/** Each caption's length of its channel's limit, counted the channel's way (X: weighted). */
function captionLengths(p: PostSpec): string {
  return p.channels
    .map((ch) => `${ch} ${captionLength(ch, p.captions[ch] ?? '')}/${channelSpec(ch).caption.maxLength}`)
    .join(', ');
}

/** East Asian wide and full-width characters, and emoji: two terminal columns each. */
const WIDE =
  /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f300}-\u{1f64f}\u{1f900}-\u{1f9ff}\u{20000}-\u{3fffd}]/u;
/** Below U+0300 every character takes one column. */
const NOT_NARROW = /[\u0300-\uffff]/;
/** Combining marks, variation selectors, joiners and other format characters: no column. */
const ZERO = /[\p{Mn}\p{Me}\p{Cf}]/u;

/** Terminal columns a text takes. */
export function displayWidth(text: string): number {
  if (!NOT_NARROW.test(text)) return text.length;
  let w = 0;
  for (const ch of text) w += charWidth(ch);
  return w;
}

function charWidth(ch: string): number {
  if (ch < '\u0300') return 1;
  return WIDE.test(ch) ? 2 : ZERO.test(ch) ? 0 : 1;
}

/** The text on one line, cut to `columns` terminal columns with an ellipsis when longer. */
function clip(text: string, columns: number): string {
  const flat = text.replace(/\s+/g, ' ');
  if (flat.length < columns / 2) return flat;
  let out = '';
  let width = 0;
  for (const ch of flat) {
    width += charWidth(ch);
    if (width > columns - 1) return `${out}…`;
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
