import type { Command } from 'commander';
import { loadConfigWithSources, OTHER_VARIABLES, SETTINGS, type Setting } from '../../config';

/** The configuration reference as a Markdown table (the README embeds this output). */
export function configReference(): string {
  const rows = SETTINGS.map((s: Setting) => {
    const type = s.type.kind === 'enum' || s.type.kind === 'list' ? s.type.values.join(' \\| ') : s.type.kind;
    const env = s.type.kind === 'secret' ? `\`${s.env}\` or \`${s.env}_FILE\`` : `\`${s.env}\``;
    return `| \`${s.key}\` | ${env} | ${type} | ${s.default === undefined ? '' : `\`${s.default}\``} | ${s.doc} |`;
  });
  return [
    '| key (reelcast.config.yaml) | environment | type | default | meaning |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    'Other variables (not settings; any other `REELCAST_*` variable gets a warning naming the closest setting):',
    '',
    '| environment | meaning |',
    '|---|---|',
    ...OTHER_VARIABLES.map((v) => `| \`${v.env}\` | ${v.doc} |`),
  ].join('\n');
}

export function register(program: Command): void {
  program
    .command('config')
    .description('show the effective configuration and where each value comes from (secrets redacted)')
    .option('--reference', 'print every setting as a Markdown table')
    .option('--json', 'machine-readable output')
    .action((opts: { reference?: boolean; json?: boolean }) => {
      if (opts.reference) {
        process.stdout.write(`${configReference()}\n`);
        return;
      }
      const { config, sources, file } = loadConfigWithSources();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ file, config, sources }, null, 2)}\n`);
        return;
      }
      process.stdout.write(`config file: ${file ?? '(none; using environment and defaults)'}\n`);
      for (const s of SETTINGS) {
        const value = s.key
          .split('.')
          .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], config);
        const src = sources[s.key];
        const shown =
          value === undefined
            ? '-'
            : s.type.kind === 'secret'
              ? '[redacted]'
              : Array.isArray(value)
                ? value.join(',')
                : String(value);
        process.stdout.write(
          `${s.key.padEnd(32)} ${shown.padEnd(40)} ${src.source}${src.where ? ` (${src.where})` : ''}\n`,
        );
      }
    });
}
