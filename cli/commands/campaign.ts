import type { Command } from 'commander';
import { createPostActivities } from '../../activities/posts';
import { openStorage } from '../../activities/storage';
import { connectClient } from '../../worker/connection';
import { commandConfig, say } from '../context';

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
          const posts = createPostActivities({ storage: openStorage(config), client: async () => client });
          const paused = await posts.setCampaignPaused({ campaign: id, paused: action === 'pause' });
          const running = await posts.runningPosts({ campaign: id });
          await posts.signalPosts({
            workflowIds: running.map((p) => p.workflowId),
            signal: action,
            args: [],
          });
          say(
            `${action === 'pause' ? 'paused' : 'resumed'} ${id}: ${running.length} pending post(s) told; paused campaigns now: ${paused.join(', ') || 'none'}`,
          );
        } finally {
          await client.connection.close();
        }
      });
  }
}
