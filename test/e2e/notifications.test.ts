import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { listCalendarFiles } from '../../activities/calendar/calendar';
import { postLink } from '../../activities/notify';
import { freePort, ManagedProcess } from '../../services/process';
import { resolveMailpit } from '../../services/tools';
import { startFakeX, type FakeX } from '../fakes/x/server';
import {
  connectClient,
  e2eConfig,
  e2eEnv,
  liveX,
  plannedPosts,
  quick,
  reelcast,
  ROOT,
  startPost,
  startWorker,
  terminatePosts,
  waitFor,
  waitForStage,
  type RunningWorker,
} from './support';

interface MailpitList {
  total: number;
  messages: Array<{ ID: string; Subject: string; To: Array<{ Address: string }> }>;
}

/**
 * A failed publish tells the calendar's people: one e-mail through a real SMTP server (mailpit,
 * built with `go install` into the tool cache on first use) and one message to a Slack-style
 * webhook receiver on loopback, with the reason and the link to the post in Studio. Neither is
 * sent twice: not when the activity is retried (the webhook is down at first), not when a person's
 * replay fails again.
 */
describe('notifications of a failed publish', () => {
  let dir: string;
  let mailpit: ManagedProcess;
  let mailApi: string;
  let smtpPort: number;
  let receiver: Server;
  const webhookPosts: Array<{ text: string }> = [];
  let webhookCalls = 0;
  let fake: FakeX;
  let env: Record<string, string>;
  let worker: RunningWorker;
  const started: string[] = [];
  const studioUrl = 'https://studio.example.com/';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reelcast-notify-'));
    const binary = await resolveMailpit({ log: (l) => process.stderr.write(`${l}\n`) });
    smtpPort = await freePort();
    const httpPort = await freePort();
    mailApi = `http://127.0.0.1:${httpPort}/api/v1`;
    mailpit = await ManagedProcess.start({
      name: 'mailpit',
      command: binary,
      args: [
        '--smtp',
        `127.0.0.1:${smtpPort}`,
        '--listen',
        `127.0.0.1:${httpPort}`,
        '--database',
        join(dir, 'mail.db'),
      ],
      logFile: join(dir, 'mailpit.log'),
      healthy: async () => (await fetch(`${mailApi}/messages`)).ok,
    });

    // Slack-compatible incoming webhook: `{ text }`. Down for the first call, so the activity retries.
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        webhookCalls += 1;
        if (webhookCalls === 1) return void res.writeHead(503).end('try later');
        webhookPosts.push(JSON.parse(body) as { text: string });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/services/T1/B1/secret`;

    const calendars = join(dir, 'calendars');
    cpSync(join(ROOT, 'calendars'), calendars, { recursive: true });
    for (const file of listCalendarFiles(calendars)) {
      appendFileSync(file, `\nnotify:\n  email: [social-team@example.com]\n  slackWebhook: ${hookUrl}\n`);
    }

    fake = await startFakeX();
    env = e2eEnv('notify', {
      ...liveX(fake.url),
      REELCAST_CALENDARS_DIR: calendars,
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtpPort),
      SMTP_FROM: 'Reelcast <reelcast@example.com>',
      REELCAST_STUDIO_PUBLIC_URL: studioUrl,
    });
    worker = await startWorker(e2eConfig(env));
  }, 20 * 60_000);

  afterAll(async () => {
    const config = env && e2eConfig(env);
    if (config) {
      const client = await connectClient(config);
      await terminatePosts(client, started);
      await client.connection.close();
    }
    await worker?.stop();
    await fake?.close();
    await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
    await mailpit?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const mails = async (): Promise<MailpitList> =>
    (await (await fetch(`${mailApi}/messages`)).json()) as MailpitList;

  it(
    'sends exactly one e-mail and one webhook message with the reason and the link, also after a retry and a replay',
    async () => {
      const config = e2eConfig(env);
      const [planned] = await plannedPosts(config, '2026-11-27');
      const spec = quick(planned, 5, { channels: ['x'] });
      started.push(spec.postId);
      const client = await connectClient(config);
      fake.inject({ endpoint: '*', kind: 'unauthorized', times: 1000 });
      await startPost(client, config, { spec });
      const failed = await waitForStage(client, spec.postId, ['awaiting-replay', 'published']);
      expect(failed.stage).toBe('awaiting-replay');

      // The webhook answered 503 once: the activity's retry (10 s later) delivers it.
      await waitFor('the e-mail and the webhook message', async () =>
        (await mails()).total >= 1 && webhookPosts.length >= 1 ? true : undefined,
      );

      // A person replays; X still refuses, so it fails again: nobody is told a second time.
      const replay = await reelcast(env, ['replay', spec.postId]);
      expect(replay.stderr).toMatch(/reconnect/i);
      expect((await waitForStage(client, spec.postId, ['awaiting-replay'])).stage).toBe('awaiting-replay');
      await sleep(12_000); // longer than a notification retry would wait

      const link = postLink(studioUrl, spec.postId);
      const list = await mails();
      expect(list.total).toBe(1);
      expect(list.messages[0].To.map((t) => t.Address)).toEqual(['social-team@example.com']);
      expect(list.messages[0].Subject).toContain('did not publish');
      const mail = (await (await fetch(`${mailApi}/message/${list.messages[0].ID}`)).json()) as {
        Text: string;
      };
      expect(mail.Text).toMatch(/x: .*reconnect/i);
      expect(mail.Text).toContain(link);

      expect(webhookCalls).toBe(2);
      expect(webhookPosts).toHaveLength(1);
      expect(webhookPosts[0].text).toContain('did not publish');
      expect(webhookPosts[0].text).toMatch(/x: .*reconnect/i);
      expect(webhookPosts[0].text).toContain(link);
      await client.connection.close();
    },
    5 * 60_000,
  );
});
