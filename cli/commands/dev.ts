import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadConfig } from '../../config';
import { logFile, readState, stackStatus, startStack, stopDetachedStack } from '../../services/stack';
import { say } from '../context';

export function register(program: Command): void {
  const dev = program
    .command('dev')
    .description('The embedded stack: Temporal dev server, and an S3 server when storage.kind is s3');

  dev
    .command('up')
    .description('start the embedded services in the background (kept until `reelcast dev down`)')
    .action(async () => {
      const config = loadConfig();
      const stack = await startStack(config, { detached: true, log: say });
      say(`Temporal   ${stack.config.temporal.address}`);
      if (stack.uiUrl) say(`Web UI     ${stack.uiUrl}`);
      say(
        `Storage    ${stack.config.storage.kind === 's3' ? `${stack.config.storage.s3.endpoint} bucket ${stack.config.storage.s3.bucket}` : `${config.dataDir}/storage`}`,
      );
      say('Next: `reelcast worker` in another terminal, `reelcast dev status`, `reelcast dev down`.');
    });

  dev
    .command('down')
    .description('stop what `dev up` started')
    .action(async () => {
      const stopped = await stopDetachedStack(loadConfig());
      say(stopped.length ? `stopped: ${stopped.join(', ')}` : 'nothing was running');
    });

  dev
    .command('status')
    .option('--json', 'machine-readable output')
    .description('which services run, where, and whether they answer')
    .action(async (opts: { json?: boolean }) => {
      const rows = await stackStatus(loadConfig());
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      for (const r of rows)
        process.stdout.write(
          `${r.service.padEnd(26)} ${r.state.padEnd(12)} ${r.where}${r.pid ? `  pid ${r.pid}` : ''}\n`,
        );
      if (rows.some((r) => r.state === 'unreachable')) process.exitCode = 1;
    });

  dev
    .command('logs')
    .argument('[service]', 'temporal or s3', 'temporal')
    .option('-f, --follow', 'keep printing new lines')
    .description('show a service log')
    .action((service: string, opts: { follow?: boolean }) => {
      if (service !== 'temporal' && service !== 's3')
        throw new Error(`unknown service "${service}": use temporal or s3`);
      const config = loadConfig();
      const file = readState(config)[service]?.logFile ?? logFile(config, service);
      if (!existsSync(file))
        throw new Error(`no log yet at ${file}: start the stack with \`reelcast dev up\``);
      spawn('tail', ['-n', '200', ...(opts.follow ? ['-f'] : []), file], { stdio: 'inherit' });
    });
}
