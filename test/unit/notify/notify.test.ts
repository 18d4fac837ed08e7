import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { loadCalendar } from '../../../activities/calendar/calendar';
import {
  buildNotification,
  createNotifyActivities,
  NotificationRecord,
  type NotificationInput,
} from '../../../activities/notify';
import { FsStorage } from '../../../activities/storage/fs-storage';
import { loadConfig } from '../../../config';

const failed: NotificationInput = {
  postId: 'brand-daily/2027-02-10/morning',
  event: 'failed',
  calendar: 'japan',
  campaignName: 'Brand daily',
  date: '2027-02-10',
  localTime: '09:00',
  zone: 'Asia/Tokyo',
  channels: ['x', 'tiktok'],
  reason: 'x: X refused the post: duplicate content\ntiktok: reconnect the account',
};

describe('notification message', () => {
  it('says what happened, why per channel, what to do, and links to the post in Studio', () => {
    const n = buildNotification(failed, 'https://studio.example.com/team');
    expect(n.link).toBe('https://studio.example.com/team/post?id=brand-daily%2F2027-02-10%2Fmorning');
    expect(n.subject).toBe('Reelcast: Brand daily (2027-02-10 09:00 Asia/Tokyo) did not publish');
    expect(n.text).toContain('  x: X refused the post: duplicate content\n  tiktok: reconnect the account');
    expect(n.text).toContain('press Replay');
    expect(n.text.endsWith(n.link)).toBe(true);
  });

  it('asks for approval before the deadline', () => {
    const n = buildNotification(
      { ...failed, event: 'awaiting-approval', reason: undefined, deadlineAt: '2027-02-09T22:00:00.000Z' },
      'http://127.0.0.1:8484',
    );
    expect(n.subject).toContain('is waiting for your approval');
    expect(n.text).toContain('approve or reject it before 2027-02-09T22:00:00.000Z');
    expect(n.text).not.toContain('Why:');
  });
});

describe('notification record', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'notify-record-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lets one sender per post, event and medium through; a released claim can be taken again', async () => {
    const record = new NotificationRecord(new FsStorage(dir));
    expect(await record.claim(failed.postId, 'failed', 'email')).toBe(true);
    expect(await record.claim(failed.postId, 'failed', 'email')).toBe(false);
    expect(await record.claim(failed.postId, 'failed', 'webhook')).toBe(true);
    expect(await record.claim(failed.postId, 'awaiting-approval', 'email')).toBe(true);
    await record.release(failed.postId, 'failed', 'email');
    expect(await record.claim(failed.postId, 'failed', 'email')).toBe(true);
  });
});

describe('notify: in a calendar', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'notify-cal-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the addresses and the webhook, and points at the line of a bad address', () => {
    const file = join(dir, 'japan.yaml');
    const base = readFileSync(join(__dirname, '../../../calendars/japan.yaml'), 'utf8');
    writeFileSync(
      file,
      `${base}\nnotify:\n  email: [team@example.com]\n  slackWebhook: https://hooks.example.com/T1\n`,
    );
    expect(loadCalendar(file).calendar?.notify).toEqual({
      email: ['team@example.com'],
      slackWebhook: 'https://hooks.example.com/T1',
    });
    writeFileSync(file, `${base}\nnotify:\n  email: [team-at-example.com]\n`);
    const lines = readFileSync(file, 'utf8').split('\n');
    const problems = loadCalendar(file).problems.map((p) => `${p.line}: ${p.message}`);
    expect(problems).toEqual([expect.stringMatching(/^\d+: notify\.email\[0\] is "team-at-example.com"/)]);
    expect(lines[Number(problems[0].split(':')[0]) - 1]).toContain('team-at-example.com');
  });
});

describe('notifyPeople against a real SMTP server and a webhook receiver on loopback', () => {
  let dir: string;
  let smtp: SMTPServer;
  let hook: Server;
  const mails: string[] = [];
  const posts: Array<{ text: string }> = [];
  let hookStatus = 200;
  let activities: ReturnType<typeof createNotifyActivities>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'notify-send-'));
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, _session, done) {
        let body = '';
        stream.on('data', (c: Buffer) => (body += c.toString()));
        stream.on('end', () => {
          mails.push(body);
          done();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (hookStatus === 200) posts.push(JSON.parse(body) as { text: string });
        res.writeHead(hookStatus).end(hookStatus === 200 ? 'ok' : 'busy');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const calendars = join(dir, 'calendars');
    cpSync(join(__dirname, '../../../calendars'), calendars, { recursive: true });
    const japan = join(calendars, 'japan.yaml');
    writeFileSync(
      japan,
      `${readFileSync(japan, 'utf8')}\nnotify:\n  email: [team@example.com]\n  slackWebhook: http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook\n`,
    );
    const config = loadConfig({
      cwd: dir,
      env: {
        REELCAST_CALENDARS_DIR: calendars,
        SMTP_HOST: '127.0.0.1',
        SMTP_PORT: String((smtp.server.address() as AddressInfo).port),
        REELCAST_STUDIO_PUBLIC_URL: 'https://studio.example.com',
      },
    });
    activities = createNotifyActivities({ storage: new FsStorage(join(dir, 'data')), config });
  });
  afterAll(async () => {
    await new Promise<void>((r) => smtp.close(r));
    await new Promise<void>((r) => hook.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends one e-mail and one webhook message; a retry after a failed webhook sends only the webhook', async () => {
    hookStatus = 503;
    await expect(activities.notifyPeople(failed)).rejects.toThrow(
      /webhook \(127\.0\.0\.1:\d+\) answered 503/,
    );
    expect(mails).toHaveLength(1);
    expect(posts).toHaveLength(0);
    hookStatus = 200;
    expect(await activities.notifyPeople(failed)).toEqual({ sent: ['webhook'] });
    expect(await activities.notifyPeople(failed)).toEqual({ sent: [] });
    expect(mails).toHaveLength(1);
    expect(posts).toHaveLength(1);
    const link = 'https://studio.example.com/post?id=brand-daily%2F2027-02-10%2Fmorning';
    expect(mails[0]).toMatch(/To: team@example.com/);
    expect(mails[0]).toContain('Subject: Reelcast: Brand daily (2027-02-10 09:00 Asia/Tokyo) did not');
    expect(mails[0]).toContain('x: X refused the post: duplicate content');
    expect(mails[0]).toContain(link);
    expect(posts[0].text).toContain('x: X refused the post: duplicate content');
    expect(posts[0].text).toContain(link);
  });

  it('sends nothing for a calendar without notify:', async () => {
    expect(await activities.notifyPeople({ ...failed, calendar: 'china' })).toEqual({ sent: [] });
  });
});
