import type { Command } from 'commander';
import { DateTime } from 'luxon';
import { createCalendarActivities } from '../../activities/calendar/activities';
import { openStorage } from '../../activities/storage';
import { loadConfig, type ReelcastConfig } from '../../config';
import { startStack } from '../../services/stack';
import { connectClient, connectWorker } from '../../worker/connection';
import { createWorkers } from '../../worker/worker';
import { dailyPlan } from '../../workflows/daily-plan';
import { postWorkflowId } from '../../workflows/post';
import { taskQueues } from '../../workflows/queues';
import { say } from '../context';
import { watchPosts } from '../post-progress';
import { checkDate } from './run';
import { startDemoStudio } from './studio';

const DEMO_VIDEO = { frames: 33, width: 384, height: 672, steps: 12 };

export interface DemoSummary {
  date: string;
  temporalUi?: string;
  published: Array<{ postId: string; channel: string; rendition: string; poster?: string; outbox?: string }>;
  failed: Array<{ postId: string; channel?: string; stage: string; reason: string }>;
}

/** The first local date from `from` on that the calendars plan posts for. */
async function firstDayWithPosts(config: ReelcastConfig, from: string): Promise<string> {
  const calendar = createCalendarActivities({
    calendarsDir: config.calendarsDir,
    templatesDir: config.templatesDir,
    blockedTermsFile: config.compliance.blockedTermsFile,
  });
  const to = DateTime.fromISO(from).plus({ days: 366 }).toISODate()!;
  const posts = await calendar.planRange({ from, to });
  if (posts.length === 0)
    throw new Error(`the calendars in ${config.calendarsDir} plan no post between ${from} and ${to}`);
  return posts.map((p) => p.date).sort()[0];
}

export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'the whole pipeline on the embedded stack: a demo day, published a minute from now to the outbox',
    )
    .option('--date <YYYY-MM-DD>', 'the day to plan (default: the next day with posts)')
    .option('--limit <n>', 'at most this many posts', '3')
    .option('--json', 'print a JSON summary as the last line')
    .action(async (opts: { date?: string; limit: string; json?: boolean }) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new Error(`--limit: "${opts.limit}" is not a whole number ≥ 1`);
      const config = loadConfig();
      // Detached: the Temporal server (and its Web UI) stay up after the demo for a person to look around.
      const stack = await startStack(config, { detached: true, log: say });
      const date = opts.date
        ? checkDate(opts.date, '--date')
        : await firstDayWithPosts(config, DateTime.utc().toISODate()!);
      const connection = await connectWorker(stack.config);
      const workers = await createWorkers(stack.config, connection);
      const running = workers.run();
      const client = await connectClient(stack.config);
      let studioNote = '';
      // Studio shows the demo's posts as they move; the address is printed beside the Temporal UI's.
      const studio = await startDemoStudio(stack.config).catch((err: Error) => {
        studioNote = err.message;
        return undefined;
      });
      if (studio) studioNote = studio.signIn;
      if (studio) say(`Reelcast Studio: ${studio.url}  (${studioNote}): watch the posts move`);
      try {
        const firstPublishAt = new Date(Date.now() + 60_000).toISOString();
        say(
          `demo day ${date}: up to ${limit} post(s), publishing from ${firstPublishAt} (a minute from now), 20 s apart`,
        );
        const plan = await client.workflow.execute(dailyPlan, {
          taskQueue: taskQueues(stack.config.temporal.taskQueue).workflows,
          workflowId: `demo/${date}/${Date.now()}`,
          // The demo model makes abstract motion; 4 s clips at a modest size keep the demo to minutes on a CPU.
          args: [
            {
              date,
              demo: {
                firstPublishAt,
                spacingSeconds: 20,
                limit,
                tag: Date.now().toString(36),
                video: DEMO_VIDEO,
              },
            },
          ],
        });
        const progress = await watchPosts(client, plan.started.map(postWorkflowId), {
          timeoutMs: 20 * 60_000,
        });
        // The stack's config: with S3 it holds the embedded server's address and credentials.
        const summary = await summarize(stack.config, date, stack.uiUrl, progress);
        report(summary, stack.config);
        say(`Reelcast Studio: ${studio?.url ?? '(did not start)'}  (${studioNote})`);
        // At a terminal Studio stays up for a look around; elsewhere (CI, tests) the demo ends.
        if (studio && process.stdin.isTTY && process.stderr.isTTY) {
          say('Studio keeps running until Ctrl-C.');
          await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
        }
        if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
        if (summary.failed.length > 0) process.exitCode = 1;
      } finally {
        await studio?.close();
        await client.connection.close();
        workers.shutdown();
        await running;
        await connection.close();
      }
    });
}

async function summarize(
  config: ReelcastConfig,
  date: string,
  ui: string | undefined,
  progress: Awaited<ReturnType<typeof watchPosts>>,
): Promise<DemoSummary> {
  const summary: DemoSummary = { date, temporalUi: ui, published: [], failed: [] };
  const storage = openStorage(config);
  for (const p of progress) {
    const state = p.state;
    if (!state) {
      summary.failed.push({ postId: p.workflowId, stage: 'unknown', reason: 'no state' });
      continue;
    }
    for (const [channel, rendition] of Object.entries(state.renditions)) {
      const publish = state.publishes[channel as keyof typeof state.publishes];
      if (publish?.status === 'published') {
        summary.published.push({
          postId: state.postId,
          channel,
          rendition: await storage.urlFor(rendition!.renditionKey),
          poster: await storage.urlFor(rendition!.posterKey).catch(() => undefined),
          outbox: publish.url,
        });
      } else {
        summary.failed.push({
          postId: state.postId,
          channel,
          stage: state.stage,
          reason: publish?.reason ?? state.reason ?? state.stage,
        });
      }
    }
    if (Object.keys(state.renditions).length === 0)
      summary.failed.push({
        postId: state.postId,
        stage: state.stage,
        reason: state.reason ?? state.errors.join('; '),
      });
  }
  return summary;
}

function report(summary: DemoSummary, config: ReelcastConfig): void {
  say('');
  for (const p of summary.published)
    say(
      `published ${p.postId} on ${p.channel}\n  video   ${p.rendition}\n  poster  ${p.poster ?? '-'}\n  outbox  ${p.outbox ?? '-'}`,
    );
  for (const f of summary.failed)
    say(`NOT published ${f.postId}${f.channel ? ` on ${f.channel}` : ''} (${f.stage}): ${f.reason}`);
  say(
    `\nStorage: ${config.storage.kind === 's3' ? `${config.storage.s3.endpoint}/${config.storage.s3.bucket}` : `${config.dataDir}/storage`}`,
  );
  say(
    `Temporal Web UI: ${summary.temporalUi ?? '(external server)'}  (the stack keeps running; stop it with \`reelcast dev down\`)`,
  );
}
