import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { Command } from 'commander';
import type { Channel } from '../../activities/calendar/types';
import { connectClient } from '../../worker/connection';
import { closeSignal, postStateQuery, postWorkflowId, replayUpdate } from '../../workflows/post';
import { commandConfig, say } from '../context';

function age(since: Date | undefined): string {
  if (!since) return '-';
  const minutes = Math.round((Date.now() - since.getTime()) / 60_000);
  return minutes < 120 ? `${minutes} min` : minutes < 2880 ? `${Math.round(minutes / 60)} h` : `${Math.round(minutes / 1440)} d`;
}

export function register(program: Command): void {
  program
    .command('failures')
    .description('posts awaiting replay, with the reason, channel and age')
    .option('--campaign <id>', 'only this campaign')
    .option('--json', 'machine-readable output')
    .action(async (opts: { campaign?: string; json?: boolean }) => {
      const client = await connectClient(commandConfig());
      try {
        const filters = [`WorkflowType = 'post'`, `ExecutionStatus = 'Running'`, `ReelcastStatus = 'awaiting-replay'`];
        if (opts.campaign) filters.push(`ReelcastCampaign = '${opts.campaign}'`);
        const rows = [];
        for await (const wf of client.workflow.list({ query: filters.join(' AND ') })) {
          const state = await client.workflow.getHandle(wf.workflowId).query(postStateQuery);
          const failed = Object.entries(state.publishes).filter(([, p]) => p?.status === 'failed');
          const channels = failed.length ? failed.map(([c, p]) => ({ channel: c, reason: p!.reason ?? '' })) : [{ channel: '-', reason: state.reason ?? '' }];
          for (const f of channels) rows.push({ postId: state.postId, ...f, since: wf.executionTime ?? wf.startTime, age: age(wf.executionTime ?? wf.startTime) });
        }
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        if (rows.length === 0) say('no failed posts');
        for (const r of rows) process.stdout.write(`${r.postId.padEnd(44)} ${r.channel.padEnd(8)} ${r.age.padStart(7)}  ${r.reason}\n`);
        if (rows.length > 0) say('Replay one with `reelcast replay <postId> [--channel <channel>]`.');
      } finally {
        await client.connection.close();
      }
    });

  program
    .command('replay')
    .argument('<postId>', 'e.g. black-friday/2026-11-27/1000')
    .option('--channel <channel>', 'only this channel')
    .option('--force', 'publish again on a channel where it is already published')
    .description('publish a failed post again from its stored rendition (no new video)')
    .action(async (postId: string, opts: { channel?: Channel; force?: boolean }) => {
      const client = await connectClient(commandConfig());
      try {
        const handle = client.workflow.getHandle(postWorkflowId(postId));
        const publishes = await handle.executeUpdate(replayUpdate, { args: [{ channel: opts.channel, force: opts.force }] }).catch((err) => {
          if (err instanceof WorkflowUpdateFailedError) throw new Error(`replay of ${postId} refused: ${(err.cause as Error | undefined)?.message ?? err.message}`);
          throw err;
        });
        let failed = 0;
        for (const [channel, p] of Object.entries(publishes)) {
          if (opts.channel && channel !== opts.channel) continue;
          if (p?.status === 'published') say(`${channel}: published ${p.remoteId ?? ''} ${p.url ?? ''}`.trim());
          else {
            failed += 1;
            say(`${channel}: ${p?.status ?? 'not published'}: ${p?.reason ?? ''}`);
          }
        }
        if (failed > 0) process.exitCode = 1;
      } finally {
        await client.connection.close();
      }
    });

  program
    .command('close')
    .argument('<postId>')
    .requiredOption('--reason <text>', 'why it will not be replayed')
    .description('give up on a post awaiting replay')
    .action(async (postId: string, opts: { reason: string }) => {
      const client = await connectClient(commandConfig());
      try {
        await client.workflow.getHandle(postWorkflowId(postId)).signal(closeSignal, { reason: opts.reason });
        say(`closed ${postId}`);
      } finally {
        await client.connection.close();
      }
    });
}
