import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { connectClient } from '../../worker/connection';
import { approveSignal, postWorkflowId, rejectSignal } from '../../workflows/post';
import { commandConfig, say, withClient } from '../context';
import { progressLine, readProgress, type PostProgress } from '../post-progress';
import { checkDate } from './run';

/** Every post of a local date (or every open one), with its stage and progress, by workflow id. */
export async function listPosts(
  client: Client,
  opts: { date?: string; campaign?: string },
): Promise<PostProgress[]> {
  const filters = [`WorkflowType = 'post'`];
  if (opts.date) filters.push(`ReelcastPostDate = '${checkDate(opts.date, '--date')}'`);
  else filters.push(`ExecutionStatus = 'Running'`);
  if (opts.campaign) filters.push(`ReelcastCampaign = '${opts.campaign}'`);
  const ids: string[] = [];
  for await (const wf of client.workflow.list({ query: filters.join(' AND ') })) ids.push(wf.workflowId);
  return Promise.all(ids.sort().map((id) => readProgress(client, id)));
}

/** Approves a post that waits for approval (`reelcast approve`, Studio's Approve). */
export async function approvePost(client: Client, postId: string, by: string | undefined): Promise<void> {
  await client.workflow.getHandle(postWorkflowId(postId)).signal(approveSignal, { by });
}

/** Rejects a post that waits for approval: it is skipped with the reason. */
export async function rejectPost(
  client: Client,
  postId: string,
  by: string | undefined,
  reason: string,
): Promise<void> {
  await client.workflow.getHandle(postWorkflowId(postId)).signal(rejectSignal, { by, reason });
}

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
        const all = await listPosts(client, opts);
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
        await approvePost(client, postId, process.env.USER);
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
        await rejectPost(client, postId, process.env.USER, opts.reason);
        say(`rejected ${postId}`);
      });
    });
}
