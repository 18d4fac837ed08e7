import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import type { ReelcastConfig } from '../../config';
import { connectClient } from '../../worker/connection';
import { dailyPlan } from '../../workflows/daily-plan';
import { taskQueues } from '../../workflows/queues';
import { postWorkflowId } from '../../workflows/post';
import { commandConfig, say } from '../context';
import { watchPosts } from '../post-progress';

export function checkDate(text: string, option: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || Number.isNaN(Date.parse(`${text}T00:00:00Z`))) {
    throw new Error(`${option}: "${text}" is not a date; write it as YYYY-MM-DD, e.g. 2027-02-06`);
  }
  return text;
}

/** Plans a day now and starts its posts (each publishes at its planned minute). */
export async function runDay(
  client: Client,
  config: ReelcastConfig,
  opts: { date: string; calendar?: string },
) {
  const date = checkDate(opts.date, '--date');
  return client.workflow.execute(dailyPlan, {
    taskQueue: taskQueues(config.temporal.taskQueue).workflows,
    workflowId: `daily/${opts.calendar ?? 'all'}/${date}/manual-${Date.now()}`,
    args: [{ date, calendar: opts.calendar }],
  });
}

export function register(program: Command): void {
  program
    .command('run')
    .description('plan a day now and start its posts (each publishes at its planned minute)')
    .requiredOption('--date <YYYY-MM-DD>', 'local date to plan')
    .option('--calendar <name>', 'only this calendar')
    .option('--wait', 'show live progress per post until each is published, skipped or awaiting replay')
    .action(async (opts: { date: string; calendar?: string; wait?: boolean }) => {
      const date = checkDate(opts.date, '--date');
      const config = commandConfig();
      const client = await connectClient(config);
      try {
        const result = await runDay(client, config, { date, calendar: opts.calendar });
        say(
          `${date}: ${result.started.length} post(s) started, ${result.existing.length} already running or done, ${result.unplanned.length} no longer planned`,
        );
        const ids = [...result.started, ...result.existing].map(postWorkflowId);
        if (opts.wait && ids.length > 0) await watchPosts(client, ids);
        else for (const id of ids) say(`  ${id}`);
      } finally {
        await client.connection.close();
      }
    });
}
