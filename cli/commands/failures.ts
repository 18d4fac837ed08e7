import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { PublishLedger, type ChannelName } from '../../activities/publish';
import { openStorage } from '../../activities/storage';
import type { ReelcastConfig } from '../../config';
import { taskQueues } from '../../workflows/queues';
import { replayPost } from '../../workflows/replay-post';
import type { Channel } from '../../activities/calendar/types';
import { connectClient } from '../../worker/connection';
import { closeSignal, postWorkflowId, replayUpdate } from '../../workflows/post';
import { commandConfig, say, withClient } from '../context';

function age(since: Date | undefined): string {
  if (!since) return '-';
  const minutes = Math.round((Date.now() - since.getTime()) / 60_000);
  return minutes < 120
    ? `${minutes} min`
    : minutes < 2880
      ? `${Math.round(minutes / 60)} h`
      : `${Math.round(minutes / 1440)} d`;
}

/** The post's reason has a line `<channel>: why` per failed channel; otherwise it is the post's own. */
export function splitReasons(reason: string): Array<{ channel: string; reason: string }> {
  const parts = reason.split('\n').map((p) => /^([a-z]+): (.*)$/s.exec(p));
  if (parts.length > 0 && parts.every(Boolean)) return parts.map((m) => ({ channel: m![1], reason: m![2] }));
  return [{ channel: '-', reason }];
}

function refused(postId: string) {
  return (err: Error): never => {
    let cause: Error | undefined = err;
    while (cause?.cause) cause = cause.cause as Error;
    throw new Error(`replay of ${postId} refused: ${cause?.message ?? err.message}`);
  };
}

/** A post whose workflow has ended: replay each channel the ledger knows from its record. */
async function replayClosedPost(
  client: Client,
  config: ReelcastConfig,
  postId: string,
  opts: { channel?: Channel; force?: boolean },
): Promise<Partial<Record<string, { status: string; remoteId?: string; url?: string; reason?: string }>>> {
  const { entries, failures } = await new PublishLedger(openStorage(config)).list({ postId });
  const channels = opts.channel
    ? [opts.channel]
    : [...new Set([...entries, ...failures].map((e) => e.channel))];
  if (channels.length === 0)
    throw new Error(
      `nothing was ever published or tried for ${postId}; check the id with \`reelcast status\``,
    );
  const out: Record<string, { status: string; remoteId?: string; url?: string; reason?: string }> = {};
  for (const channel of channels) {
    const outcome = await client.workflow.execute(replayPost, {
      taskQueue: taskQueues(config.temporal.taskQueue).workflows,
      workflowId: `replay/${postId}/${channel}/${Date.now()}`,
      args: [{ postId, channel: channel as ChannelName, force: opts.force }],
    });
    out[channel] = { status: 'published', remoteId: outcome.remoteId, url: outcome.url };
  }
  return out;
}

export interface FailureRow {
  postId: string;
  /** The failed channel, or `-` when the post failed before publishing. */
  channel: string;
  reason: string;
  since?: Date;
  age: string;
  /** The post ended `expired`: nobody replayed it within the replay window. */
  expired?: boolean;
  /** Held by the content gate (the reason has the class, score and frame key): release or reject it. */
  held?: boolean;
}

/**
 * Posts awaiting replay, one row per failed channel, and posts the content gate held, one row
 * each (`reelcast failures`, Studio's Failures); with `expired`, the posts that ended unreplayed
 * instead.
 */
export async function listFailures(
  client: Client,
  opts: { campaign?: string; expired?: boolean },
): Promise<FailureRow[]> {
  const filters = opts.expired
    ? [`WorkflowType = 'post'`, `ReelcastStatus = 'expired'`]
    : [
        `WorkflowType = 'post'`,
        `ExecutionStatus = 'Running'`,
        `ReelcastStatus IN ('awaiting-replay', 'held')`,
      ];
  if (opts.campaign) filters.push(`ReelcastCampaign = '${opts.campaign}'`);
  // Read from the search attributes, not a query: the list works even while no worker runs.
  const rows: FailureRow[] = [];
  for await (const wf of client.workflow.list({ query: filters.join(' AND ') })) {
    const attrs = wf.searchAttributes as Record<string, unknown[] | undefined>;
    const reason = String(attrs.ReelcastFailureReason?.[0] ?? '');
    const postId = wf.workflowId.replace(/^post\//, '');
    const since = wf.executionTime ?? wf.startTime;
    if (attrs.ReelcastStatus?.[0] === 'held') {
      rows.push({ postId, channel: '-', reason, since, age: age(since), held: true });
      continue;
    }
    for (const part of splitReasons(reason))
      rows.push({ postId, ...part, since, age: age(since), ...(opts.expired ? { expired: true } : {}) });
  }
  return rows;
}

export type ReplayOutcome = Partial<
  Record<string, { status: string; remoteId?: string; url?: string; reason?: string }>
>;

/**
 * Publishes a failed post again from its stored renditions: through the open workflow's replay
 * update, or, once it has ended, from the ledger's record. Refusals say why in words.
 */
export async function replayFailedPost(
  client: Client,
  config: ReelcastConfig,
  postId: string,
  opts: { channel?: Channel; force?: boolean },
): Promise<ReplayOutcome> {
  const handle = client.workflow.getHandle(postWorkflowId(postId));
  const open = (await handle.describe().catch(() => undefined))?.status.name === 'RUNNING';
  return open
    ? await handle
        .executeUpdate(replayUpdate, { args: [{ channel: opts.channel, force: opts.force }] })
        .catch(refused(postId))
    : await replayClosedPost(client, config, postId, opts).catch(refused(postId));
}

/** Gives up on a post awaiting replay. */
export async function closePost(client: Client, postId: string, reason: string): Promise<void> {
  await client.workflow.getHandle(postWorkflowId(postId)).signal(closeSignal, { reason });
}

export function register(program: Command): void {
  program
    .command('failures')
    .description('posts awaiting replay or held by the content gate, with the reason, channel and age')
    .option('--campaign <id>', 'only this campaign')
    .option('--expired', 'the failed posts nobody replayed within 30 days (ended `expired`)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { campaign?: string; expired?: boolean; json?: boolean }) => {
      await withClient(async (client) => {
        const rows = await listFailures(client, opts);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        if (rows.length === 0) say(opts.expired ? 'no expired posts' : 'no failed posts');
        for (const r of rows)
          process.stdout.write(
            `${r.postId.padEnd(44)} ${r.channel.padEnd(8)} ${r.age.padStart(7)}  ${r.reason}\n`,
          );
        if (rows.some((r) => !r.held))
          say('Replay one with `reelcast replay <postId> [--channel <channel>]`.');
        if (rows.some((r) => r.held))
          say(
            'A held post publishes only when released: `reelcast approve <postId> --override-safety`, or `reelcast reject <postId> --reason <why>`.',
          );
      });
    });

  program
    .command('replay')
    .argument('<postId>', 'e.g. black-friday/2026-11-27/1000')
    .option('--channel <channel>', 'only this channel')
    .option('--force', 'publish again on a channel where it is already published')
    .description('publish a failed post again from its stored rendition (no new video)')
    .action(async (postId: string, opts: { channel?: Channel; force?: boolean }) => {
      const config = commandConfig();
      const client = await connectClient(config);
      try {
        const publishes = await replayFailedPost(client, config, postId, opts);
        let failed = 0;
        for (const [channel, p] of Object.entries(publishes)) {
          if (opts.channel && channel !== opts.channel) continue;
          if (p?.status === 'published')
            say(`${channel}: published ${p.remoteId ?? ''} ${p.url ?? ''}`.trim());
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
      await withClient(async (client) => {
        await closePost(client, postId, opts.reason);
        say(`closed ${postId}`);
      });
    });
}
