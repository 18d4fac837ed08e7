import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { openStorage } from '../../activities/storage';
import { dailyPlan } from '../../workflows/daily-plan';
import { post, postWorkflowId } from '../../workflows/post';
import { watchPosts } from '../../cli/post-progress';
import {
  connectClient,
  e2eConfig,
  e2eEnv,
  plannedPosts,
  ROOT,
  startWorker,
  waitForStage,
  type RunningWorker,
} from './support';

/** A day from the example calendars, through the whole pipeline, published to the outbox. */
describe('dailyPlan: a demo day end to end', () => {
  const env = e2eEnv('daily');
  const config = e2eConfig(env);
  const storage = openStorage(config);
  let worker: RunningWorker;

  beforeAll(async () => {
    worker = await startWorker(config);
  });
  afterAll(async () => worker?.stop());

  it('plans, generates, transcodes and publishes every post of the day, once, to the outbox', async () => {
    const client = await connectClient(config);
    const date = '2026-11-27'; // Black Friday: the US calendar has three slots
    const specs = await plannedPosts(config, date);
    expect(specs.length).toBeGreaterThan(0);
    const demo = {
      firstPublishAt: new Date(Date.now() + 20_000).toISOString(),
      spacingSeconds: 3,
      limit: 2,
      tag: `t${process.pid}`,
      video: { frames: 25, width: 256, height: 448, steps: 3 },
    };
    const run = () =>
      client.workflow.execute(dailyPlan, {
        taskQueue: config.temporal.taskQueue,
        workflowId: `daily-e2e-${Date.now()}`,
        args: [{ date, demo }],
      });
    const plan = await run();
    expect(plan.started).toHaveLength(2);

    const progress = await watchPosts(client, plan.started.map(postWorkflowId), {
      stream: { write: () => true, isTTY: false } as never,
      timeoutMs: 240_000,
    });
    for (const p of progress) {
      expect({ stage: p.state?.stage, reason: p.state?.reason }).toEqual({
        stage: 'published',
        reason: undefined,
      });
      const spec = specs.find((s) => p.state!.postId.startsWith(s.postId))!;
      for (const channel of spec.channels) {
        expect(p.state?.publishes[channel]?.status).toBe('published');
        // The outbox holds exactly what would have been published: the caption and the rendition.
        const dir = `outbox/${p.state!.postId}/${channel}`;
        expect((await storage.getBuffer(`${dir}/caption.txt`)).toString('utf8')).toBe(spec.captions[channel]);
        const rendition = await storage.head(p.state!.renditions[channel]!.renditionKey);
        expect((await storage.head(`${dir}/video.mp4`))?.size).toBe(rendition!.size);
      }
    }

    // The same day again: every post already exists, nothing new starts, nothing publishes twice.
    const again = await run();
    expect(again.started).toEqual([]);
    expect(again.existing.sort()).toEqual(plan.started.sort());
    await client.connection.close();
  });
});

describe('dailyPlan: idempotent, and a post removed from the calendar is cancelled with a reason', () => {
  // A calendar of our own in a folder of its own, so the test can edit it like a person would.
  const calendarsDir = mkdtempSync(join(tmpdir(), 'reelcast-calendars-'));
  const templatesDir = join(calendarsDir, 'templates');
  cpSync(join(ROOT, 'templates'), templatesDir, { recursive: true });
  const date = DateTime.utc().plus({ days: 30 }).toISODate()!;
  const calendar = (campaigns: string[]) => `id: e2e-shop
name: E2E shop
zone: Europe/Berlin
locale: de-DE
campaigns:
${campaigns
  .map(
    (id) => `  - id: ${id}
    name: ${id}
    when: [{ dates: ['${date}'] }]
    channels: [x]
    slots: [{ id: ${id === 'e2e-keep' ? 'noon' : 'evening'}, time: '${id === 'e2e-keep' ? '12:00' : '18:00'}' }]
    template: evergreen
    style: cinematic
    video: { frames: 25, width: 256, height: 448, steps: 3 }
    variables:
      product: a pair of white wireless earbuds
      action: a runner taps one earbud and picks up pace
      scene: a city riverside path at sunrise
      productName: Pulse Buds
      shopUrl: https://shop.example.com
      tags: [PulseBuds]
`,
  )
  .join('')}`;
  const env = e2eEnv('replan', {
    REELCAST_CALENDARS_DIR: calendarsDir,
    REELCAST_TEMPLATES_DIR: templatesDir,
  });
  const config = e2eConfig(env);
  let worker: RunningWorker;

  beforeAll(async () => {
    worker = await startWorker(config);
  });
  afterAll(async () => worker?.stop());

  it('starts each post once; re-planning after a campaign is removed cancels only its post', async () => {
    writeFileSync(join(calendarsDir, 'shop.yaml'), calendar(['e2e-keep', 'e2e-drop']));
    const client = await connectClient(config);
    const run = (n: number) =>
      client.workflow.execute(dailyPlan, {
        taskQueue: config.temporal.taskQueue,
        workflowId: `replan-${process.pid}-${n}`,
        args: [{ date }],
      });

    const first = await run(1);
    expect(first.started.sort()).toEqual([`e2e-drop/${date}/evening`, `e2e-keep/${date}/noon`]);
    expect((await run(2)).started).toEqual([]);

    // Open posts of the same date that no calendar of this deployment plans must be left alone:
    // the demo's (tagged ids) and another deployment's sharing the namespace (its own queues).
    const demo = await client.workflow.execute(dailyPlan, {
      taskQueue: config.temporal.taskQueue,
      workflowId: `replan-${process.pid}-demo`,
      args: [
        {
          date,
          demo: {
            firstPublishAt: DateTime.utc().plus({ hours: 1 }).toISO()!,
            spacingSeconds: 1,
            limit: 1,
            tag: `keep${process.pid}`,
            video: { frames: 25, width: 256, height: 448, steps: 3 },
          },
        },
      ],
    });
    const [spec] = await plannedPosts(config, date);
    const otherId = `e2e-other/${date}/noon-x${process.pid}`;
    const other = await client.workflow.start(post, {
      taskQueue: `other-deployment-${process.pid}`,
      workflowId: postWorkflowId(otherId),
      args: [{ spec: { ...spec, postId: otherId, campaign: 'e2e-other' } }],
      searchAttributes: { ReelcastPostDate: [date], ReelcastCampaign: ['e2e-other'] },
    });

    writeFileSync(join(calendarsDir, 'shop.yaml'), calendar(['e2e-keep']));
    const third = await run(3);
    expect(third.started).toEqual([]);
    expect(third.unplanned).toEqual([`e2e-drop/${date}/evening`]);
    for (const id of [...demo.started.map(postWorkflowId), other.workflowId])
      await client.workflow.getHandle(id).terminate('test over');

    const dropped = await waitForStage(client, `e2e-drop/${date}/evening`, ['cancelled']);
    expect(dropped.reason).toMatch(/no longer plans this post/);
    const kept = await waitForStage(client, `e2e-keep/${date}/noon`, ['waiting']);
    expect(kept.master?.key).toMatch(/^masters\//);
    await client.connection.close();
  });
});
