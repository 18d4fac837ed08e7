import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ChannelAuthError } from '../../activities/publish/errors';
import { accountTokenSources, TokenStore, xCredentialsFor } from '../../activities/publish/tokens';
import { openStorage } from '../../activities/storage';
import { FAKE_X_DEFAULTS, startFakeX, type FakeX } from '../fakes/x/server';
import { FAKE_OAUTH_DEFAULTS, startFakeOAuth, type FakeOAuth } from '../fakes/oauth/server';
import { e2eConfig, e2eEnv, liveX, ROOT } from './support';

/**
 * `reelcast channels` as a person runs it: the compiled CLI in a child process, a browser sign-in
 * played by fetch against the fake OAuth server (standing in for Google), tokens in the real S3.
 */
describe('reelcast channels', () => {
  let oauth: FakeOAuth;
  let fakeX: FakeX;
  let env: Record<string, string>;
  const account = `e2e-${process.pid}`;
  const cli = join(ROOT, 'bin', 'reelcast.js');

  const reelcast = (args: string[], stdin?: string) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        [cli, ...args],
        { cwd: ROOT, env, timeout: 60_000 },
        (err, stdout, stderr) =>
          resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      child.stdin!.end(stdin ?? '');
    });

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js')))
      throw new Error('run `npm run build` first (make test does)');
    oauth = await startFakeOAuth({ expiresIn: 3600 });
    fakeX = await startFakeX();
    env = e2eEnv('channels', {
      ...liveX(fakeX.url),
      YOUTUBE_CLIENT_ID: FAKE_OAUTH_DEFAULTS.clientId,
      YOUTUBE_CLIENT_SECRET: FAKE_OAUTH_DEFAULTS.clientSecret,
      YOUTUBE_OAUTH_BASE_URL: oauth.url,
      // The fake plays all of Google: sign-in, tokens and the channel lookup after connecting.
      YOUTUBE_API_BASE_URL: oauth.url,
      REELCAST_TOKEN_KEY: randomBytes(32).toString('base64'),
    });
  });
  afterAll(async () => {
    await oauth?.close();
    await fakeX?.close();
  });

  it('connect youtube: the person opens the printed URL, the tokens are stored, status shows the account', async () => {
    const child = spawn(
      process.execPath,
      [
        cli,
        'channels',
        'connect',
        'youtube',
        '--account',
        account,
        '--port',
        '0',
        '--no-open',
        '--timeout',
        '60',
      ],
      { cwd: ROOT, env },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d) => {
        stderr += d;
        const m = /(http:\/\/127\.0\.0\.1:\d+\/o\/oauth2\/v2\/auth\?\S+)/.exec(stderr);
        if (m) resolve(m[1]);
      });
      void exited.then(() => reject(new Error(`connect exited before printing a URL:\n${stderr}`)));
    });
    expect(new URL(url).searchParams.get('code_challenge_method')).toBe('S256');

    // The browser: the fake signs the person in and redirects to Reelcast's loopback listener.
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`Connected youtube account ${account}`);
    expect(await exited).toBe(0);
    expect(stdout).toContain(`connected youtube account ${account}`);
    expect(stdout).toContain(`remote account: ${FAKE_OAUTH_DEFAULTS.account.name}`);
    expect(stdout).toContain('https://www.googleapis.com/auth/youtube.upload');
    expect(oauth.counts.code).toBe(1);

    const status = await reelcast(['channels', 'status', '--json']);
    expect(status.status).toBe(0);
    const parsed = JSON.parse(status.stdout) as {
      encrypted: boolean;
      accounts: Array<Record<string, unknown>>;
    };
    expect(parsed.encrypted).toBe(true);
    expect(parsed.accounts.find((a) => a.account === account)).toMatchObject({
      platform: 'youtube',
      state: 'ok',
      remoteAccountName: FAKE_OAUTH_DEFAULTS.account.name,
      remoteAccountId: FAKE_OAUTH_DEFAULTS.account.id,
      scopes: expect.arrayContaining(['https://www.googleapis.com/auth/youtube.upload']),
      expiresAt: expect.any(String),
      postsToday: 0,
    });
    expect(status.stdout).not.toMatch(/"(accessToken|refreshToken)"/);
  });

  it('a revoked account shows as needs reconnect with the command; disconnect forgets it', async () => {
    const config = e2eConfig(env);
    const store = TokenStore.open(config, openStorage(config));
    const stored = await store.read('youtube', account);
    expect(stored?.refreshToken).toBeDefined();
    oauth.revoke();
    // What the shorts channel gets from the wiring: the source for the calendar's account.
    const source = accountTokenSources('youtube', config, openStorage(config), 'shorts')(account);
    await expect(source.accessToken()).resolves.toBe(stored!.accessToken);
    const refused = await source.refreshAfterRejection(stored!.accessToken).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ChannelAuthError);
    expect((refused as Error).message).toMatch(/^shorts: .*reelcast channels connect youtube --account/);

    const status = await reelcast(['channels', 'status']);
    expect(status.stdout).toMatch(
      new RegExp(
        `youtube/${account}: needs reconnect \\(.*refresh token revoked.*\\): run \`reelcast channels connect youtube --account ${account}\``,
      ),
    );
    expect(status.stderr).toContain('tokens are encrypted at rest');

    expect((await reelcast(['channels', 'disconnect', 'youtube', '--account', account])).status).toBe(0);
    const after = JSON.parse((await reelcast(['channels', 'status', '--json'])).stdout) as {
      accounts: Array<{ account: string }>;
    };
    expect(after.accounts.map((a) => a.account)).not.toContain(account);
  });

  it('connect x: OAuth 1.0a tokens from stdin, checked with X, become a named X account', async () => {
    const name = `${account}-x`;
    const out = await reelcast(
      ['channels', 'connect', 'x', '--account', name],
      `${FAKE_X_DEFAULTS.accessToken}\n${FAKE_X_DEFAULTS.accessSecret}\n`,
    );
    expect(out).toMatchObject({ status: 0 });
    expect(out.stdout).toContain(`connected x account ${name} (@${FAKE_X_DEFAULTS.username}`);

    const refused = await reelcast(
      ['channels', 'connect', 'x', '--account', `${name}-bad`],
      'wrong-token\nwrong-secret\n',
    );
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('X refused these credentials');
    expect(refused.stderr).not.toContain('wrong-secret');

    const config = e2eConfig(env);
    const store = TokenStore.open(config, openStorage(config));
    expect(await xCredentialsFor(name, config, store)).toEqual({
      appKey: FAKE_X_DEFAULTS.appKey,
      appSecret: FAKE_X_DEFAULTS.appSecret,
      accessToken: FAKE_X_DEFAULTS.accessToken,
      accessSecret: FAKE_X_DEFAULTS.accessSecret,
    });
    const status = JSON.parse((await reelcast(['channels', 'status', '--json'])).stdout) as {
      accounts: Array<{ platform: string; account: string; source: string; remoteAccountName?: string }>;
    };
    expect(status.accounts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ platform: 'x', account: 'default', source: 'environment' }),
        expect.objectContaining({
          platform: 'x',
          account: name,
          remoteAccountName: `@${FAKE_X_DEFAULTS.username}`,
        }),
      ]),
    );
  });
});
