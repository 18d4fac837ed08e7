import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { DateTime } from 'luxon';
import { loadConfig } from '../../config';
import { connectClient, connectWorker } from '../../worker/connection';
import { createWorkers } from '../../worker/worker';
import { dailyPlan } from '../../workflows/daily-plan';
import { postWorkflowId, type PostInput } from '../../workflows/post';
import { createPostActivities } from '../../activities/posts';
import { openStorage } from '../../activities/storage';

/**
 * A busy day must plan whatever its size: the day's specs (here about 3 MB, over Temporal's 2 MB
 * limit for one payload) never cross a workflow boundary whole. The plan completes, starts every
 * post once, keeps its history to a few small events, and a second plan starts nothing.
 */
describe('dailyPlan of a day larger than one Temporal payload', () => {
  const POSTS = 260;
  const root = mkdtempSync(join(tmpdir(), 'reelcast-big-day-'));
  const templatesDir = join(root, 'templates');
  const calendarsDir = join(root, 'calendars');
  cpSync(join(__dirname, '..', '..', 'templates'), templatesDir, { recursive: true });
  mkdirSync(join(templatesDir, 'long'));
  writeFileSync(join(templatesDir, 'long', 'prompt.hbs'), '{{product}}, {{action}}, {{scene}}, {{> style}}');
  // A long caption on four channels: about 8 KB a post.
  writeFileSync(join(templatesDir, 'long', 'caption.hbs'), '{{story}} {{productName}} {{hashtags tags}}');
  mkdirSync(calendarsDir);
  const date = DateTime.utc().plus({ days: 90 }).toISODate()!;
  const story = 'Every morning the river path wakes up a little earlier than the city. '.repeat(26).trim();
  const hhmm = (k: number) =>
    `${String(Math.floor(k / 60)).padStart(2, '0')}:${String(k % 60).padStart(2, '0')}`;
  const campaigns = Array.from({ length: POSTS / 10 }, (_, c) =>
    [
      `  - id: long-c${c}`,
      `    name: Long ${c}`,
      `    when: [{ dates: ['${date}'] }]`,
      '    channels: [reels, tiktok, outbox, webhook]',
      `    slots: [${Array.from({ length: 10 }, (_, i) => `{ id: s${i}, time: '${hhmm(c * 10 + i)}' }`).join(', ')}]`,
      '    template: long',
      '    style: cinematic',
      `    variables: { product: a pair of white wireless earbuds, action: a runner taps one earbud, scene: a riverside path at sunrise, productName: Pulse Buds ${c}, tags: [PulseBuds], story: '${story}' }`,
    ].join('\n'),
  ).join('\n');
  writeFileSync(
    join(calendarsDir, 'long.yaml'),
    `id: long\nname: Long captions\nzone: UTC\nlocale: en-US\ncampaigns:\n${campaigns}\n`,
  );
  const taskQueue = `plan-pages-${process.pid}`;
  const config = loadConfig({
    env: {
      ...process.env,
      REELCAST_CALENDARS_DIR: calendarsDir,
      REELCAST_TEMPLATES_DIR: templatesDir,
      REELCAST_TASK_QUEUE: taskQueue,
      // Storage of its own: the paused campaigns' list is one object per deployment.
      REELCAST_STORAGE: 'fs',
      REELCAST_DATA_DIR: join(root, 'data'),
    },
  });

  it('plans and starts every post once, with no payload near the limits, and a second plan starts nothing', async () => {
    const client = await connectClient(config);
    // The workflow queue only: the posts start and wait for a generation worker that never comes.
    const connection = await connectWorker(config);
    const workers = await createWorkers(config, connection, []);
    const running = workers.run();
    const run = (n: number) =>
      client.workflow.execute(dailyPlan, {
        taskQueue,
        workflowId: `plan-pages-${process.pid}-${n}`,
        args: [{ date }],
      });
    try {
      await createPostActivities({
        storage: openStorage(config),
        client: async () => client,
      }).setCampaignPaused({
        campaign: 'long-c1',
        paused: true,
      });
      const first = await run(1);
      expect(first.started).toHaveLength(POSTS);
      expect(new Set(first.started).size).toBe(POSTS);
      expect(first.existing).toEqual([]);

      // What crossed the plan's boundary: keys and counts, a few events per page of posts.
      const events = (await client.workflow.getHandle(`plan-pages-${process.pid}-1`).fetchHistory()).events!;
      const sizes = events.map((e) => temporal.api.history.v1.HistoryEvent.encode(e).finish().length);
      expect(Math.max(...sizes)).toBeLessThan(64 * 1024);
      expect(events.length).toBeLessThan(60);
      // Each post got its own spec, and only its own; a paused campaign's posts start paused.
      for (const postId of [`long-c0/${date}/s3`, `long-c1/${date}/s4`]) {
        const [started] = (await client.workflow.getHandle(postWorkflowId(postId)).fetchHistory()).events!;
        const input = started.workflowExecutionStartedEventAttributes!.input!.payloads!;
        const { spec, paused } = JSON.parse(Buffer.from(input[0].data!).toString('utf8')) as PostInput;
        expect({ postId: spec.postId, paused }).toEqual({ postId, paused: postId.startsWith('long-c1/') });
        expect(temporal.api.history.v1.HistoryEvent.encode(started).finish().length).toBeLessThan(32 * 1024);
      }

      const again = await run(2);
      expect(again.started).toEqual([]);
      expect(again.existing.sort()).toEqual([...first.started].sort());
    } finally {
      // Nothing lingers: the posts would wait for a generation worker until the server stops.
      const ids = [...Array(POSTS).keys()].map((k) =>
        postWorkflowId(`long-c${Math.floor(k / 10)}/${date}/s${k % 10}`),
      );
      for (let i = 0; i < ids.length; i += 32)
        await Promise.all(
          ids.slice(i, i + 32).map((id) =>
            client.workflow
              .getHandle(id)
              .terminate('test over')
              .catch(() => {}),
          ),
        );
      workers.shutdown();
      await running;
      await connection.close();
      await client.connection.close();
    }
  });
});
