import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { createPostActivities } from '../../activities/posts';
import { openStorage } from '../../activities/storage';
import type { ReelcastConfig } from '../../config';
import { connectClient } from '../../worker/connection';
import { taskQueues } from '../../workflows/queues';
import { commandConfig, say } from '../context';

/**
 * Pauses or resumes a campaign: records it in storage (posts planned later start paused) and tells
 * its pending posts. Returns how many were told and the campaigns paused now.
 */
export async function setCampaignPaused(
  client: Client,
  config: ReelcastConfig,
  campaign: string,
  pause: boolean,
): Promise<{ told: number; paused: string[] }> {
  const posts = createPostActivities({ storage: openStorage(config), client: async () => client });
  const paused = await posts.setCampaignPaused({ campaign, paused: pause });
  const running = await posts.runningPosts({
    campaign,
    taskQueue: taskQueues(config.temporal.taskQueue).workflows,
  });
  await posts.signalPosts({
    workflowIds: running.map((p) => p.workflowId),
    signal: pause ? 'pause' : 'resume',
    args: [],
  });
  return { told: running.length, paused };
}

export function register(program: Command): void {
  const campaign = program
    .command('campaign')
    .description('pause or resume every pending post of a campaign');
  for (const action of ['pause', 'resume'] as const) {
    campaign
      .command(action)
      .argument('<campaign>', 'campaign id, as in the calendar')
      .description(
        action === 'pause'
          ? 'hold every pending post (and posts planned later) until resumed'
          : 'let the campaign publish again',
      )
      .action(async (id: string) => {
        const config = commandConfig();
        const client = await connectClient(config);
        try {
          const { told, paused } = await setCampaignPaused(client, config, id, action === 'pause');
          say(
            `${action === 'pause' ? 'paused' : 'resumed'} ${id}: ${told} pending post(s) told; paused campaigns now: ${paused.join(', ') || 'none'}`,
          );
        } finally {
          await client.connection.close();
        }
      });
  }
}
