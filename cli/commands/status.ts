import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { Command } from 'commander';
import { connectClient } from '../../worker/connection';
import {
  approveSignal,
  postStateQuery,
  postWorkflowId,
  rejectSignal,
  type PostState,
} from '../../workflows/post';
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

type Approval = NonNullable<PostState['approval']>;

/**
 * Approves a post that waits for approval (`reelcast approve`, Studio's Approve), or releases one
 * the content gate held (`--override-safety`, Studio's Release): only a deliberate override
 * releases a held clip, and the post records who did it and when. Returns the approval decision
 * the post recorded: the first to arrive wins, so it may be someone else's (a reject sent a moment
 * earlier) or the deadline's; undefined for a release, or when the post did not answer in time.
 */
export async function approvePost(
  client: Client,
  postId: string,
  by: string | undefined,
  opts: { overrideSafety?: boolean } = {},
): Promise<Approval | undefined> {
  const handle = client.workflow.getHandle(postWorkflowId(postId));
  // Without a worker the query cannot answer; the signal then waits in the workflow's history.
  const state = await handle.query(postStateQuery).catch(() => undefined);
  if (state?.stage === 'held' && !opts.overrideSafety)
    throw new Error(
      `${postId} is ${state.reason ?? 'held by the content gate'}. A plain approve does not publish a held clip: ` +
        `look at the frame first, then run \`reelcast approve ${postId} --override-safety\` to publish it anyway ` +
        `(recorded with your name and the time), or \`reelcast reject ${postId} --reason <why>\``,
    );
  if (state && state.stage !== 'held' && opts.overrideSafety)
    throw new Error(
      `${postId} is not held by the content gate (it is ${state.stage}); approve it without --override-safety`,
    );
  if (opts.overrideSafety) {
    await handle.signal(approveSignal, { by, overrideSafety: true });
    return undefined;
  }
  return decide(postId, handle, () => handle.signal(approveSignal, { by }));
}

/** Rejects a post that waits for approval: it is skipped with the reason. Returns as approvePost. */
export async function rejectPost(
  client: Client,
  postId: string,
  by: string | undefined,
  reason: string,
): Promise<Approval | undefined> {
  const handle = client.workflow.getHandle(postWorkflowId(postId));
  const state = await handle.query(postStateQuery).catch(() => undefined);
  if (state?.stage === 'held') {
    // A held clip's rejection is not an approval decision: the post records it and skips.
    await handle.signal(rejectSignal, { by, reason });
    return undefined;
  }
  return decide(postId, handle, () => handle.signal(rejectSignal, { by, reason }));
}

/** Sends a decision; returns the one the post recorded, even when it ended before this arrived. */
async function decide(
  postId: string,
  handle: WorkflowHandle,
  send: () => Promise<void>,
): Promise<Approval | undefined> {
  try {
    await send();
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    // Ended meanwhile (a reject a moment earlier ends it at once): tell what it recorded.
    const state = await handle.query(postStateQuery).catch(() => undefined);
    if (state?.approval) return state.approval;
    throw new Error(
      `${postId} is not open (${state ? `it ended ${state.stage}` : 'no such post'}); there is nothing to decide. Check it with \`reelcast status\`.`,
    );
  }
  return recordedDecision(handle);
}

/** The post's recorded decision, once its worker has taken the signal in (a few seconds at most). */
async function recordedDecision(handle: WorkflowHandle): Promise<Approval | undefined> {
  for (let i = 0; i < 40; i++) {
    const state = await handle.query(postStateQuery).catch(() => undefined);
    if (state?.approval) return state.approval;
    await new Promise((r) => setTimeout(r, 250));
  }
  return undefined;
}

/** What a person reads when their decision was not the one recorded; undefined when it was. */
export function otherDecision(
  postId: string,
  mine: Approval,
  recorded: Approval | undefined,
): string | undefined {
  if (!recorded || (recorded.decision === mine.decision && recorded.by === mine.by)) return undefined;
  const who = recorded.by ? ` by ${recorded.by}` : '';
  const what =
    recorded.decision === 'auto-approved'
      ? 'approved at its deadline'
      : recorded.decision === 'deadline-skip'
        ? 'skipped at its deadline'
        : `${recorded.decision}${who}${recorded.reason ? ` (${recorded.reason})` : ''}`;
  return `${postId} was already ${what}; yours changed nothing`;
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
    .description('approve a post that waits for approval, or release one the content gate held')
    .option(
      '--override-safety',
      'publish a post the content gate held (recorded with your name and the time)',
    )
    .action(async (postId: string, opts: { overrideSafety?: boolean }) => {
      await withClient(async (client) => {
        const recorded = await approvePost(client, postId, process.env.USER, opts);
        if (opts.overrideSafety) return say(`released ${postId} over the content gate`);
        const other = otherDecision(postId, { decision: 'approved', by: process.env.USER }, recorded);
        if (other) process.exitCode = 1;
        say(other ?? `approved ${postId}`);
      });
    });

  program
    .command('reject')
    .argument('<postId>', 'e.g. spring-festival/2027-02-06/0900')
    .requiredOption('--reason <text>', 'why (shown in status and failures)')
    .description('reject a post that waits for approval or is held by the content gate: it is skipped')
    .action(async (postId: string, opts: { reason: string }) => {
      await withClient(async (client) => {
        const mine = { decision: 'rejected' as const, by: process.env.USER, reason: opts.reason };
        const recorded = await rejectPost(client, postId, process.env.USER, opts.reason);
        const other = otherDecision(postId, mine, recorded);
        if (other) process.exitCode = 1;
        say(other ?? `rejected ${postId}`);
      });
    });
}
