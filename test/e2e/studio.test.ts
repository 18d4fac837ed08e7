import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { openStorage, outboxKeys, PREFIXES } from '../../activities/storage';
import { freePort } from '../../services/process';
import { addUser } from '../../studio/auth';
import {
  connectClient,
  e2eConfig,
  e2eEnv,
  plannedPosts,
  quick,
  ROOT,
  startPost,
  startWorker,
  waitFor,
  waitForStage,
  type RunningWorker,
} from './support';

// Code puppeteer runs in the page touches these browser globals; the DOM lib stays out of the program
// (it would retype fetch for every file).
declare const window: unknown;
declare const document: { querySelector(selector: string): unknown };

/** Script that must never run: each payload sets window.__xss if it does. */
const XSS = {
  caption: `<img src=x onerror="window.__xss='caption'"> <script>window.__xss='caption-script'</script>`,
  prompt: `a red fox <svg onload="window.__xss='prompt'"></svg> in snow`,
  campaignName: `<img src=x onerror="window.__xss='campaign'">Sale`,
  failure: `<img src=x onerror="window.__xss='failure'">`,
};

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Studio end to end: the compiled `reelcast studio` against the real Temporal dev server and S3
 * server, a real worker, and real headless Chromium (Debian's package) as the person.
 */
describe('reelcast studio in a browser', () => {
  const dir = mkdtempSync(join(tmpdir(), 'studio-e2e-'));
  const usersFile = join(dir, 'users.json');
  let webhookFails = true;
  let receiver: Server;
  let env: Record<string, string>;
  let worker: RunningWorker;
  let studio: ChildProcess;
  let studioLog = '';
  let url: string;
  let browser: Browser;

  beforeAll(async () => {
    // A loopback webhook receiver: refuses (with markup in its answer) until told otherwise.
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (webhookFails) res.writeHead(400, { 'content-type': 'text/plain' }).end(XSS.failure);
        else res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"hook-1"}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const hookPort = (receiver.address() as { port: number }).port;
    const port = await freePort();
    env = e2eEnv('studio', {
      REELCAST_DELIVERY: 'live',
      WEBHOOK_URL: `http://127.0.0.1:${hookPort}/hook`,
      WEBHOOK_SECRET: 'studio-e2e-secret',
      REELCAST_STUDIO_USERS_FILE: usersFile,
      REELCAST_STUDIO_PORT: String(port),
    });
    worker = await startWorker(e2eConfig(env));
    // The editor through the CLI (password on stdin), the viewer through the same function.
    await cli(['studio', 'add-user', 'mei', '--role', 'editor'], 'mei-password-1\n');
    await addUser(usersFile, 'vic', 'viewer', 'vic-password-1');
    studio = spawn(process.execPath, [join(ROOT, 'bin', 'reelcast.js'), 'studio'], { cwd: ROOT, env });
    studio.stdout!.on('data', (d) => (studioLog += d));
    studio.stderr!.on('data', (d) => (studioLog += d));
    url = `http://127.0.0.1:${port}`;
    await waitFor('Studio to listen', async () => (await fetch(`${url}/healthz`)).ok, 30_000);
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    studio?.kill('SIGTERM');
    await worker?.stop();
    receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function cli(args: string[], stdin: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [join(ROOT, 'bin', 'reelcast.js'), ...args], { cwd: ROOT, env });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('close', (code) =>
        code === 0 ? resolve(out) : reject(new Error(`${args.join(' ')}: ${out}`)),
      );
      child.stdin.end(stdin);
    });
  }

  async function signIn(page: Page, user: string, password: string): Promise<void> {
    await page.goto(`${url}/`);
    expect(page.url()).toContain('/login');
    await page.type('input[name=user]', user);
    await page.type('input[name=password]', password);
    await Promise.all([page.waitForNavigation(), page.click('form.login button')]);
    expect(page.url()).not.toContain('/login');
  }

  async function newPage(): Promise<Page> {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    page.on('dialog', (d) => void d.accept());
    return page;
  }

  async function noScriptRan(page: Page): Promise<void> {
    expect(await page.evaluate(() => (window as unknown as { __xss?: string }).__xss)).toBeUndefined();
    expect(await page.$$('img[src="x"]')).toHaveLength(0);
  }

  /** A post awaiting approval, its texts carrying script. */
  async function awaitingApproval(channels: Array<'outbox' | 'webhook'>) {
    const config = e2eConfig(env);
    const client = await connectClient(config);
    const [planned] = await plannedPosts(config, '2026-11-27');
    const spec = quick(planned, 45, {
      channels,
      prompt: XSS.prompt,
      campaignName: XSS.campaignName,
      captions: Object.fromEntries(channels.map((c) => [c, XSS.caption])),
    });
    spec.approval = {
      required: true,
      deadlineMinutesBefore: 0,
      deadlineAt: new Date(Date.now() + 600_000).toISOString(),
      onDeadline: 'skip',
    };
    await startPost(client, config, { spec });
    await waitForStage(client, spec.postId, ['awaiting-approval']);
    return { spec, client };
  }

  it('an editor signs in, opens the month, approves a post, and it publishes to the outbox', async () => {
    const { spec, client } = await awaitingApproval(['outbox']);
    const page = await newPage();
    await signIn(page, 'mei', 'mei-password-1');
    await page.goto(`${url}/?month=2026-11`);
    // The month shows the calendars' plan and the live post on its day.
    const day = await page.$(`section.day[data-date="2026-11-27"]`);
    expect(day).not.toBeNull();
    const link = await day!.$(`a.post[href="/post?id=${encodeURIComponent(spec.postId)}"]`);
    expect(link).not.toBeNull();
    expect(await link!.evaluate((a) => a.textContent)).toContain('awaiting-approval');
    expect(await page.$$eval('section.day[data-date="2026-11-27"] a.post', (a) => a.length)).toBeGreaterThan(
      1,
    );

    await Promise.all([page.waitForNavigation(), link!.click()]);
    expect(await page.$eval('pre.caption', (e) => e.textContent)).toBe(XSS.caption);
    expect(await page.$eval('pre.prompt', (e) => e.textContent)).toBe(XSS.prompt);
    expect(await page.$eval('h1', (e) => e.textContent)).toContain(XSS.campaignName);
    await noScriptRan(page);

    await Promise.all([page.waitForNavigation(), page.click('form[action="/actions/approve"] button')]);
    expect(await page.$eval('.flash', (e) => e.textContent)).toContain(`Approved ${spec.postId}`);
    const done = await waitForStage(client, spec.postId, ['published', 'awaiting-replay', 'skipped']);
    expect(done.stage).toBe('published');
    expect(done.approval).toEqual({ decision: 'approved', by: 'mei' });
    // What the outbox "published": the caption, exactly as written.
    const storage = openStorage(e2eConfig(env));
    const caption = await storage.getBuffer(`${PREFIXES.outbox}${outboxKeys(spec.postId, 'outbox').caption}`);
    expect(caption.toString('utf8')).toBe(XSS.caption);

    // The post page now shows the published result, the video (seekable) and who approved it.
    await page.goto(`${url}/post?id=${encodeURIComponent(spec.postId)}`);
    expect(await page.$eval('#progress .stage', (e) => e.textContent)).toBe('published');
    const audit = await page.$eval('table', (t) => t.textContent);
    expect(audit).toContain('mei');
    expect(audit).toContain('approve');
    // Under the video: its Content Credentials, and that the test worker's certificate is the
    // development one, which viewers do not trust.
    const credentials = await page.$eval('[data-credentials]', (e) => e.textContent!.replace(/\s+/g, ' '));
    expect(credentials).toMatch(/Content Credentials: labelled as made with AI, signed by \S/);
    expect(credentials).toContain('the development certificate: viewers show it as untrusted');
    // The video loads (from S3 through a presigned URL, which serves byte ranges for seeking).
    await page.waitForFunction(
      () => (document.querySelector('video') as { readyState: number }).readyState >= 1,
      {
        timeout: 30_000,
      },
    );
    const media = await page.evaluate(
      async (src) => {
        const res = await fetch(src, { redirect: 'manual' });
        return res.type === 'opaqueredirect' ? 'redirect' : res.status;
      },
      await page.$eval('video', (v) => v.getAttribute('src')!),
    );
    expect(media).toBe('redirect');
    const outside = await page.evaluate(
      async () => (await fetch('/media?post=..%2F..%2Fledger&channel=outbox&kind=video')).status,
    );
    expect(outside).toBe(404);
    await noScriptRan(page);
    await client.connection.close();
  });

  it('a failed publish is replayed from the failures page; its reason shows as text', async () => {
    const { spec, client } = await awaitingApproval(['webhook']);
    const page = await newPage();
    await signIn(page, 'mei', 'mei-password-1');
    await page.goto(`${url}/post?id=${encodeURIComponent(spec.postId)}`);
    await Promise.all([page.waitForNavigation(), page.click('form[action="/actions/approve"] button')]);
    await waitForStage(client, spec.postId, ['awaiting-replay', 'published']);

    await page.goto(`${url}/failures`);
    const row = await waitFor('the failure to be listed', async () => {
      const rows = await page.$$('tbody tr');
      for (const r of rows) if ((await r.evaluate((e) => e.textContent))?.includes(spec.postId)) return r;
      await page.reload();
      return undefined;
    });
    expect(await row.$eval('td.reason', (e) => e.textContent)).toContain(XSS.failure);
    await noScriptRan(page);

    webhookFails = false;
    await Promise.all([
      page.waitForNavigation(),
      row.$eval('form button', (b) => (b as unknown as { click(): void }).click()),
    ]);
    expect(page.url()).toBe(`${url}/failures`);
    expect(await page.$eval('.flash', (e) => e.textContent)).toContain(
      `Replayed ${spec.postId}: webhook: published`,
    );
    expect((await waitForStage(client, spec.postId, ['published'])).publishes.webhook?.status).toBe(
      'published',
    );
    expect(await page.$$eval('tbody tr', (rows) => rows.map((r) => r.textContent).join(''))).not.toContain(
      spec.postId,
    );
    await client.connection.close();
  });

  it('refuses a viewer who approves (403) and a POST without the CSRF token', async () => {
    const { spec, client } = await awaitingApproval(['outbox']);
    const viewer = await newPage();
    await signIn(viewer, 'vic', 'vic-password-1');
    await viewer.goto(`${url}/post?id=${encodeURIComponent(spec.postId)}`);
    expect(await viewer.$('form[action="/actions/approve"]')).toBeNull();
    const asViewer = await viewer.evaluate(async (postId) => {
      const csrf = (document.querySelector('input[name=_csrf]') as { value: string }).value;
      const res = await fetch('/actions/approve', {
        method: 'POST',
        body: new URLSearchParams({ post: postId, _csrf: csrf }),
      });
      return res.status;
    }, spec.postId);
    expect(asViewer).toBe(403);

    const editor = await newPage();
    await signIn(editor, 'mei', 'mei-password-1');
    await editor.goto(`${url}/post?id=${encodeURIComponent(spec.postId)}`);
    const withoutToken = await editor.evaluate(async (postId) => {
      const res = await fetch('/actions/approve', {
        method: 'POST',
        body: new URLSearchParams({ post: postId }),
      });
      return { status: res.status, text: await res.text() };
    }, spec.postId);
    expect(withoutToken.status).toBe(403);
    expect(withoutToken.text).toContain('did not come from a Studio page');

    // Neither changed anything: the post still waits; an editor's reject (with a reason) works.
    const state = await client.workflow.getHandle(`post/${spec.postId}`).describe();
    expect((state.searchAttributes as Record<string, unknown[]>).ReelcastStatus?.[0]).toBe(
      'awaiting-approval',
    );
    await editor.type('form[action="/actions/reject"] input[name=reason]', XSS.failure);
    await Promise.all([editor.waitForNavigation(), editor.click('form[action="/actions/reject"] button')]);
    const skipped = await waitForStage(client, spec.postId, ['skipped']);
    expect(skipped.reason).toBe(`rejected by mei: ${XSS.failure}`);
    await editor.reload();
    await noScriptRan(editor);
    expect(await editor.$eval('#progress', (e) => e.textContent)).toContain(XSS.failure);
    await client.connection.close();
  });

  it('refuses wrong passwords and, after five, says when to try again', async () => {
    const page = await newPage();
    for (let i = 0; i < 5; i++) {
      await page.goto(`${url}/login`);
      await page.type('input[name=user]', 'nobody');
      await page.type('input[name=password]', `wrong-${i}`);
      await Promise.all([page.waitForNavigation(), page.click('form.login button')]);
      expect(await page.$eval('.flash', (e) => e.textContent)).toContain('do not match');
    }
    await page.goto(`${url}/login`);
    await page.type('input[name=user]', 'nobody');
    await page.type('input[name=password]', 'wrong-again');
    const [res] = await Promise.all([page.waitForNavigation(), page.click('form.login button')]);
    expect(res?.status()).toBe(429);
    expect(await page.$eval('.flash', (e) => e.textContent)).toContain('Too many failed sign-ins');
    expect(studioLog).not.toContain('wrong-');
  });

  it('a held post shows its gate scores and tripping frame; an editor releases one and rejects another', async () => {
    const config = e2eConfig(env);
    const client = await connectClient(config);
    const [planned] = await plannedPosts(config, '2026-11-27');
    const heldSpec = () => {
      const spec = quick(planned, 60, { channels: ['outbox'] });
      spec.safety = { drawing: 0, hentai: 0.5, neutral: 1, porn: 0.5, sexy: 0.8 };
      return spec;
    };
    const [released, rejected] = [heldSpec(), heldSpec()];
    for (const spec of [released, rejected]) await startPost(client, config, { spec });
    for (const spec of [released, rejected]) await waitForStage(client, spec.postId, ['held']);

    const page = await newPage();
    await signIn(page, 'mei', 'mei-password-1');
    await page.goto(`${url}/post?id=${encodeURIComponent(released.postId)}`);
    expect(await page.$eval('#progress .stage', (e) => e.textContent)).toBe('held');
    expect(await page.$eval('#gate', (e) => e.getAttribute('data-passed'))).toBe('no');
    expect(await page.$eval('#gate li[data-class="Drawing"] .over', (e) => e.textContent)).toMatch(
      /^\d\.\d{3}$/,
    );
    expect(await page.$eval('#gate', (e) => e.textContent)).toMatch(/Tripped by Drawing .* safety\/.+\.jpg/s);
    // The tripping frame is shown: the image loads.
    await page.waitForFunction(
      () => (document.querySelector('img.gate-frame') as { naturalWidth: number } | null)?.naturalWidth,
      { timeout: 30_000 },
    );
    expect(await page.$('form[action="/actions/approve"]')).toBeNull();
    await Promise.all([page.waitForNavigation(), page.click('form[action="/actions/release"] button')]);
    expect(await page.$eval('.flash', (e) => e.textContent)).toContain(`Released ${released.postId}`);
    const done = await waitForStage(client, released.postId, ['published', 'skipped', 'awaiting-replay']);
    expect(done.stage).toBe('published');
    expect(done.safety?.override?.by).toBe('mei');
    await page.goto(`${url}/post?id=${encodeURIComponent(released.postId)}`);
    expect(await page.$eval('#gate', (e) => e.textContent)).toContain(
      'Released over the content gate by mei',
    );

    await page.goto(`${url}/post?id=${encodeURIComponent(rejected.postId)}`);
    await page.type('form[action="/actions/reject"] input[name=reason]', 'not on brand');
    await Promise.all([page.waitForNavigation(), page.click('form[action="/actions/reject"] button')]);
    const skipped = await waitForStage(client, rejected.postId, ['skipped', 'published']);
    expect(skipped.reason).toBe('rejected by mei while held by the content gate: not on brand');
    await client.connection.close();
  });
});
