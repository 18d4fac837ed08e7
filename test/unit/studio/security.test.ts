import type { Client } from '@temporalio/client';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStorage } from '../../../activities/storage';
import { loadConfig } from '../../../config';
import { addUser, csrfOk, hashPassword, LoginLimiter, Sessions, verifyPassword } from '../../../studio/auth';
import { escapeHtml, html, jsonForScript, safeUrl } from '../../../studio/html';
import { createStudio, parseRange } from '../../../studio/server';

describe('escaping', () => {
  it('shows markup from calendars and platforms as text', () => {
    const caption = '<img src=x onerror=alert(1)>';
    expect(html`<pre>${caption}</pre>`.text).toBe('<pre>&lt;img src=x onerror=alert(1)&gt;</pre>');
    expect(html`<a title="${'" onmouseover="x'}"></a>`.text).toBe(
      '<a title="&quot; onmouseover=&quot;x"></a>',
    );
    expect(escapeHtml(`'&\``)).toBe('&#39;&amp;&#96;');
    const items = ['<b>', html`<li>ok</li>`];
    // prettier-ignore
    expect(html`<ul>${items}</ul>`.text).toBe('<ul>&lt;b&gt;<li>ok</li></ul>');
  });

  it('keeps links to http(s) and Studio itself only', () => {
    expect(safeUrl('javascript:alert(1)')).toBe('#');
    expect(safeUrl('//evil.example/x')).toBe('#');
    expect(safeUrl('https://x.com/i/status/1')).toBe('https://x.com/i/status/1');
    expect(safeUrl('/post?id=a')).toBe('/post?id=a');
  });

  it('JSON in a script block cannot close it', () => {
    expect(jsonForScript({ a: '</script><script>alert(1)</script>' }).text).not.toContain('</script>');
  });
});

describe('passwords and sessions', () => {
  it('verifies scrypt hashes and refuses a wrong password', async () => {
    const hash = await hashPassword('correct horse');
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifyPassword('correct horse', hash)).toBe(true);
    expect(await verifyPassword('correct hors', hash)).toBe(false);
    expect(await verifyPassword('x', 'plain-text')).toBe(false);
  });

  it('add-user keeps the file private and never stores the password', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'studio-users-'));
    const file = join(dir, 'users.json');
    await addUser(file, 'mei', 'editor', 'long enough password');
    await expect(addUser(file, 'x', 'editor', 'short')).rejects.toThrow('at least 10 characters');
    await expect(addUser(file, '<b>', 'editor', 'long enough password')).rejects.toThrow('user name');
    expect(readFileSync(file, 'utf8')).not.toContain('long enough password');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    rmSync(dir, { recursive: true });
  });

  it('sessions expire, and the CSRF token must match the session', () => {
    let now = 0;
    const sessions = new Sessions(1000, () => now);
    const s = sessions.create('mei', 'editor');
    expect(sessions.get(s.id)?.user).toBe('mei');
    expect(csrfOk(s, s.csrf)).toBe(true);
    expect(csrfOk(s, undefined)).toBe(false);
    expect(csrfOk(s, sessions.create('vic', 'viewer').csrf)).toBe(false);
    now = 1000;
    expect(sessions.get(s.id)).toBeUndefined();
  });

  it('rate-limits failed sign-ins per key, and a success clears them', () => {
    let now = 0;
    const limiter = new LoginLimiter(3, 60_000, () => now);
    for (let i = 0; i < 3; i++) limiter.failed('mei');
    expect(limiter.retryAfter('mei')).toBe(60);
    expect(limiter.retryAfter('vic')).toBe(0);
    now = 30_000;
    expect(limiter.retryAfter('mei')).toBe(30);
    now = 60_001;
    expect(limiter.retryAfter('mei')).toBe(0);
    limiter.failed('vic');
    limiter.succeeded('vic');
    expect(limiter.retryAfter('vic')).toBe(0);
  });
});

describe('HTTP ranges', () => {
  it('parses what browsers send for seeking', () => {
    expect(parseRange(undefined, 100)).toBeUndefined();
    expect(parseRange('bytes=0-', 100)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=10-19', 100)).toEqual({ start: 10, end: 19 });
    expect(parseRange('bytes=90-200', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseRange('items=1-2', 100)).toBeUndefined();
  });
});

describe('the Studio app without Temporal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'studio-app-'));
  const config = loadConfig({ env: { REELCAST_DATA_DIR: dir }, cwd: join(__dirname, '..', '..', '..') });
  // Nothing here reaches Temporal: every request is refused or answered before it would.
  const app = createStudio({
    config,
    client: {} as Client,
    storage: new FsStorage(join(dir, 'storage')),
    usersFile: join(dir, 'users.json'),
    token: 'a-token-of-at-least-twenty-chars',
  });
  afterAll(() => rmSync(dir, { recursive: true }));

  it('sends a person who is not signed in to the sign-in page, and an API call gets 401', async () => {
    const page = await app.request('/failures');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/login?next=%2Ffailures');
    expect((await app.request('/api/month')).status).toBe(401);
    expect((await app.request('/media?post=a/b/c&channel=x&kind=video')).status).toBe(401);
    const login = await app.request('/login');
    expect(login.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(login.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Lax/);
  });

  async function signIn(
    headers: Record<string, string> = {},
  ): Promise<{ cookie: string; csrf: string; setCookie: string }> {
    const form = await app.request('/login', { headers });
    const loginCookie = form.headers.get('set-cookie')!.split(';')[0];
    const token = /name="_login" value="([^"]+)"/.exec(await form.text())![1];
    const res = await app.request('/login', {
      method: 'POST',
      headers: { ...headers, cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        _login: token,
        user: 'owner',
        password: 'a-token-of-at-least-twenty-chars',
      }),
    });
    expect(res.status).toBe(303);
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('studio_session='))!;
    const cookie = setCookie.split(';')[0];
    const page = await app.request('/static/studio.js', { headers: { cookie } });
    expect(page.status).toBe(200);
    // The CSRF token is in every page's sign-out form; /logout's own page is the cheapest to reach.
    const refused = await app.request('/logout', { method: 'POST', headers: { cookie } });
    expect(refused.status).toBe(403);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await refused.text())![1];
    return { cookie, csrf, setCookie };
  }

  it('signs in with the single-person token; a change without the CSRF token is refused', async () => {
    const { cookie, csrf, setCookie } = await signIn();
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    expect(setCookie).not.toMatch(/Secure/);
    const noToken = await app.request('/actions/approve', {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ post: 'a/2027-01-01/0900' }),
    });
    expect(noToken.status).toBe(403);
    const out = await app.request('/logout', {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf }),
    });
    expect(out.status).toBe(303);
    expect((await app.request('/failures', { headers: { cookie } })).status).toBe(303);
  });

  it('marks the cookie Secure behind TLS', async () => {
    const { setCookie } = await signIn({ 'x-forwarded-proto': 'https' });
    expect(setCookie).toMatch(/Secure/);
  });

  it('refuses a wrong password without saying which part was wrong', async () => {
    const form = await app.request('/login');
    const cookie = form.headers.get('set-cookie')!.split(';')[0];
    const token = /name="_login" value="([^"]+)"/.exec(await form.text())![1];
    const res = await app.request('/login', {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _login: token, user: 'mei', password: '<b>wrong</b>' }),
    });
    expect(res.status).toBe(401);
    const text = await res.text();
    expect(text).toContain('That name and password do not match.');
    expect(text).not.toContain('<b>wrong</b>');
  });
});
