import type { Command } from 'commander';
import { loadConfig } from '../../config';
import {
  checkFfmpeg,
  resolveTemporalCli,
  resolveTemporalTestServer,
  resolveVersitygw,
  toolCacheDir,
} from '../../services/tools';
import { say } from '../context';

export function register(program: Command): void {
  program
    .command('tools')
    .description('the programs the embedded stack runs')
    .command('install')
    .description(
      `find or install the pinned Temporal CLI (and S3 server) into the tool cache (${toolCacheDir()})`,
    )
    .option('--with-s3', 'also the embedded S3 server (versitygw)')
    .option('--with-test-server', "also Temporal's time-skipping test server (Java; the workflow tests)")
    .action(async (opts: { withS3?: boolean; withTestServer?: boolean }) => {
      const config = loadConfig();
      const ff = await checkFfmpeg(config.ffmpeg);
      say(`ffmpeg      ${ff.version}`);
      say(
        `temporal    ${await resolveTemporalCli({ configured: config.temporal.devServer.binary, log: say })}`,
      );
      if (opts.withS3 || config.storage.kind === 's3')
        say(`versitygw   ${await resolveVersitygw({ log: say })}`);
      if (opts.withTestServer) say(`test server ${await resolveTemporalTestServer({ log: say })}`);
    });
}
