import type { Command } from 'commander';
import { connectClient } from '../../worker/connection';
import { approveSignal, postWorkflowId, rejectSignal } from '../../workflows/post';
import { commandConfig, say, withClient } from '../context';
import { progressLine, readProgress } from '../post-progress';
import { checkDate } from './run';

export function register(program: Command): void {
  program
    .command('status')
    .description('every post of a date (or still open), with its stage and progress')
    .option('--date <YYYY-MM-DD>', 'local date of the posts')
    .option('--campaign <id>', 'only this campaign')
    .option('--json', 'machine-readable output')
    .action(async (opts: { date?: string; campaign?: string; json?: boolean }) => {
      const config = commandConfig();
      const client = await connectClient(config);
      try {
        const filters = [`WorkflowType = 'post'`];
        if (opts.date) filters.push(`ReelcastPostDate = '${checkDate(opts.date, '--date')}'`);
        else filters.push(`ExecutionStatus = 'Running'`);
        if (opts.campaign) filters.push(`ReelcastCampaign = '${opts.campaign}'`);
        const ids: string[] = [];
        for await (const wf of client.workflow.list({ query: filters.join(' AND ') }))
          ids.push(wf.workflowId);
        const all = await Promise.all(ids.sort().map((id) => readProgress(client, id)));
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify(
              all.map((p) => ({
                workflowId: p.workflowId,
                closed: p.closed,
                heartbeat: p.heartbeat?.details,
                ...p.state,
              })),
              null,
              2,
            )}\n`,
          );
          return;
        }
        if (all.length === 0) say('no posts found');
        for (const p of all) process.stdout.write(`${progressLine(p)}\n`);
      } finally {
        await client.connection.close();
      }
    });

  program
    .command('approve')
    .argument('<postId>', 'e.g. spring-festival/2027-02-06/0900')
    .description('approve a post that waits for approval')
    .action(async (postId: string) => {
      await withClient(async (client) => {
        await client.workflow
          .getHandle(postWorkflowId(postId))
          .signal(approveSignal, { by: process.env.USER });
        say(`approved ${postId}`);
      });
    });

  program
    .command('reject')
    .argument('<postId>', 'e.g. spring-festival/2027-02-06/0900')
    .requiredOption('--reason <text>', 'why (shown in status and failures)')
    .description('reject a post that waits for approval: it is skipped')
    .action(async (postId: string, opts: { reason: string }) => {
      await withClient(async (client) => {
        await client.workflow
          .getHandle(postWorkflowId(postId))
          .signal(rejectSignal, { by: process.env.USER, reason: opts.reason });
        say(`rejected ${postId}`);
      });
    });
}
