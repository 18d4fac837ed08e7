import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { PostSpec } from '../../activities/calendar/types';
import type { Platform } from '../../activities/publish/accounts';
import { platformOf, type ChannelName } from '../../activities/publish/channel-table';
import { captionProblems, titleProblems } from '../../activities/publish/channel-text';
import {
  accountStatuses,
  TokenStore,
  tokensFromGrant,
  xAccountTokens,
  type AccountStatus,
} from '../../activities/publish/tokens';
import { openStorage, tokenKeys, type ObjectStorage } from '../../activities/storage';
import type { ReelcastConfig } from '../../config';
import { postWorkflowId, type PostState } from '../../workflows/post';
import { FAKE_X_DEFAULTS, startFakeX, type FakeX } from '../fakes/x/server';
import { FAKE_INSTAGRAM_DEFAULTS, startFakeInstagram, type FakeInstagram } from '../fakes/instagram/server';
import { FAKE_TIKTOK_DEFAULTS, startFakeTikTok, type FakeTikTok } from '../fakes/tiktok/server';
import { FAKE_YOUTUBE_DEFAULTS, startFakeYouTube, type FakeYouTube } from '../fakes/youtube/server';
import {
  connectClient,
  e2eConfig,
  e2eEnv,
  liveX,
  plannedPosts,
  quick,
  ROOT,
  startPost,
  startWorker,
  waitFor,
  terminatePosts,
  waitForStage,
  type RunningWorker,
  reelcast as runCli,
} from './support';

/**
 * Live publishing of a day of the example calendars: the real workflows and adapters, a worker in
 * this process, and the four platforms as fakes on loopback (X, TikTok, YouTube, Instagram).
 * Each calendar posts to its own named accounts, connected through the encrypted token store.
 * Storage is a folder of this test's own, so the accounts' post counts are this file's alone.
 */

/** A Tuesday in Japan's sakura range: China's brand-daily, Japan's sakura-shiba, US evergreen-weekly. */
const DATE = '2027-03-23';
const DAY = 86_400_000;

/** The remote account behind each calendar account, where the fake keeps accounts apart. */
const TIKTOK_OPEN_IDS: Record<string, string> = {
  'cn-main': '-000cnMainFakeOpenId',
  'jp-main': '-000jpMainFakeOpenId',
};
const INSTAGRAM_USER_IDS: Record<string, string> = {
  'cn-brand': '17841400000000086',
  'us-brand': '17841400000000001',
};

/** What each calendar says (calendars/*.yaml): its disclosure line and its TikTok settings. */
const DISCLOSURE: Record<string, string> = {
  china: '本视频由AI生成',
  japan: 'この動画はAIで生成されています',
  'us-ecommerce': 'AI-generated video',
};
const TIKTOK_POST_INFO: Record<string, Record<string, unknown>> = {
  // `tiktok: { privacy: SELF_ONLY }`: interactions stay off (the channel table's defaults).
  china: {
    privacy_level: 'SELF_ONLY',
    disable_comment: true,
    disable_duet: true,
    disable_stitch: true,
    brand_content_toggle: false,
    brand_organic_toggle: false,
    is_aigc: true,
  },
  // `tiktok: { privacy: SELF_ONLY, comments: true, duet: false, stitch: false }`.
  japan: {
    privacy_level: 'SELF_ONLY',
    disable_comment: false,
    disable_duet: true,
    disable_stitch: true,
    brand_content_toggle: false,
    brand_organic_toggle: false,
    is_aigc: true,
  },
};

describe('live publishing on x, tiktok, shorts and reels', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'reelcast-live-'));
  let fakeX: FakeX;
  let tiktok: FakeTikTok;
  let youtube: FakeYouTube;
  let instagram: FakeInstagram;
  let env: Record<string, string>;
  let config: ReelcastConfig;
  let storage: ObjectStorage;
  let store: TokenStore;
  let worker: RunningWorker;
  let client: Client;
  let day: PostSpec[];
  const started: string[] = [];

  const reelcast = (...args: string[]) => runCli(env, args);

  beforeAll(async () => {
    [fakeX, tiktok, youtube, instagram] = await Promise.all([
      startFakeX(),
      startFakeTikTok(),
      startFakeYouTube(),
      startFakeInstagram(),
    ]);
    env = e2eEnv('live', {
      ...liveX(fakeX.url),
      REELCAST_STORAGE: 'fs',
      REELCAST_DATA_DIR: dataDir,
      REELCAST_TOKEN_KEY: randomBytes(32).toString('base64'),
      TIKTOK_CLIENT_KEY: FAKE_TIKTOK_DEFAULTS.clientKey,
      TIKTOK_CLIENT_SECRET: FAKE_TIKTOK_DEFAULTS.clientSecret,
      TIKTOK_API_BASE_URL: tiktok.url,
      TIKTOK_AUTH_BASE_URL: tiktok.url,
      YOUTUBE_CLIENT_ID: FAKE_YOUTUBE_DEFAULTS.clientId,
      YOUTUBE_CLIENT_SECRET: FAKE_YOUTUBE_DEFAULTS.clientSecret,
      YOUTUBE_API_BASE_URL: youtube.url,
      YOUTUBE_OAUTH_BASE_URL: youtube.url,
      INSTAGRAM_APP_ID: FAKE_INSTAGRAM_DEFAULTS.appId,
      INSTAGRAM_APP_SECRET: FAKE_INSTAGRAM_DEFAULTS.appSecret,
      INSTAGRAM_GRAPH_BASE_URL: instagram.url,
      INSTAGRAM_UPLOAD_BASE_URL: instagram.url,
      INSTAGRAM_OAUTH_BASE_URL: instagram.url,
      INSTAGRAM_API_VERSION: instagram.version,
    });
    config = e2eConfig(env);
    storage = openStorage(config);
    store = TokenStore.open(config, storage);
    day = await plannedPosts(config, DATE);
    // Every account the day's calendars name, as `reelcast channels connect` would leave it.
    const accounts = new Set<string>();
    for (const spec of day)
      for (const channel of spec.channels) {
        const platform = platformOf(channel)!;
        const account = spec.publishing![channel]!.account;
        if (!(platform === 'x' && account === 'default')) accounts.add(`${platform}/${account}`);
      }
    expect([...accounts].sort()).toEqual([
      'instagram/cn-brand',
      'instagram/us-brand',
      'tiktok/cn-main',
      'tiktok/jp-main',
      'x/cn-brand',
      'x/jp-main',
      'youtube/us-brand',
    ]);
    for (const key of accounts) {
      const [platform, account] = key.split('/') as [Platform, string];
      await connect(platform, account);
    }
    worker = await startWorker(config);
    client = await connectClient(config);
  });

  afterAll(async () => {
    if (client) await terminatePosts(client, started);
    await client?.connection.close();
    await worker?.stop();
    await Promise.all([fakeX?.close(), tiktok?.close(), youtube?.close(), instagram?.close()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Tokens the fake accepts for `account`, stored as a finished sign-in stores them. */
  async function connect(platform: Platform, account: string): Promise<void> {
    const now = new Date();
    switch (platform) {
      case 'x':
        // The fake X knows one user: every X account signs in as it.
        return store.save(
          xAccountTokens(
            account,
            { accessToken: FAKE_X_DEFAULTS.accessToken, accessSecret: FAKE_X_DEFAULTS.accessSecret },
            { id: FAKE_X_DEFAULTS.userId, username: FAKE_X_DEFAULTS.username },
            now,
          ),
        );
      case 'tiktok': {
        tiktok.configure({ openId: TIKTOK_OPEN_IDS[account] });
        const g = tiktok.grant();
        return store.save(
          tokensFromGrant(
            'tiktok',
            account,
            {
              accessToken: g.accessToken,
              refreshToken: g.refreshToken,
              expiresInSeconds: g.expiresIn,
              refreshExpiresInSeconds: g.refreshExpiresIn,
              scopes: g.scopes,
              remoteAccountId: g.openId,
            },
            g.scopes,
            now,
          ),
        );
      }
      case 'youtube': {
        const g = youtube.issueTokens();
        return store.save(
          tokensFromGrant(
            'youtube',
            account,
            { ...g, remoteAccountId: youtube.channelId },
            ['https://www.googleapis.com/auth/youtube.upload'],
            now,
          ),
        );
      }
      case 'instagram': {
        // A long-lived token of this account's own Instagram user, as the log-in exchange mints it.
        const accessToken = `IGAA${randomBytes(24).toString('hex')}`;
        const userId = INSTAGRAM_USER_IDS[account];
        instagram.tokens.set(accessToken, {
          kind: 'long',
          userId,
          issuedAt: instagram.now(),
          expiresAt: instagram.now() + 60 * DAY,
        });
        return store.save(
          tokensFromGrant(
            'instagram',
            account,
            { accessToken, expiresInSeconds: 60 * 86_400, remoteAccountId: userId },
            ['instagram_business_basic', 'instagram_business_content_publish'],
            now,
          ),
        );
      }
    }
  }

  function planned(postId: string): PostSpec {
    const spec = day.find((s) => s.postId === postId);
    if (!spec) throw new Error(`${postId} is not planned on ${DATE}: ${day.map((s) => s.postId).join(', ')}`);
    return spec;
  }

  /** A planned post made small, keeping the calendar's accounts and platform settings. */
  function small(postId: string, channels?: ChannelName[]): PostSpec {
    const spec = planned(postId);
    return quick(spec, 5, { publishing: spec.publishing, ...(channels ? { channels } : {}) });
  }

  async function publish(posts: PostSpec[]): Promise<PostState[]> {
    started.push(...posts.map((p) => p.postId));
    await Promise.all(posts.map((spec) => startPost(client, config, { spec })));
    return Promise.all(
      posts.map((p) => waitForStage(client, p.postId, ['published', 'awaiting-replay', 'skipped'])),
    );
  }

  async function sha256Of(key: string): Promise<string> {
    return createHash('sha256')
      .update(await storage.getBuffer(key))
      .digest('hex');
  }

  /**
   * What the channel's fake received for `post`: the rendition's bytes, the planned caption within
   * the channel table's rules, the AI label, the calendar's settings, and the calendar's account.
   */
  async function expectLanded(post: PostSpec, state: PostState, channel: ChannelName): Promise<void> {
    const remoteId = state.publishes[channel]?.remoteId;
    const sha256 = await sha256Of(state.renditions[channel]!.renditionKey);
    const caption = post.captions[channel]!;
    const account = post.publishing![channel]!.account;
    expect(caption.endsWith(DISCLOSURE[post.calendar])).toBe(true);
    const where = `${post.postId} on ${channel}`;
    switch (channel) {
      case 'x': {
        const mine = fakeX.posts.filter((p) => p.id === remoteId);
        expect({ where, count: mine.length }).toEqual({ where, count: 1 });
        // X adds the media's t.co link; the caption's disclosure line is X's AI label.
        expect(mine[0].text).toMatch(new RegExp(`^${literal(caption)} https://t\\.co/\\w+$`));
        expect(mine[0].media_sha256).toEqual([sha256]);
        expect(captionProblems('x', caption)).toEqual([]);
        return;
      }
      case 'tiktok': {
        const mine = tiktok.posts.filter((p) => p.postId === remoteId);
        expect({ where, count: mine.length }).toEqual({ where, count: 1 });
        expect(mine[0]).toMatchObject({ sha256, caption, openId: TIKTOK_OPEN_IDS[account] });
        expect(mine[0].postInfo).toEqual({ title: caption, ...TIKTOK_POST_INFO[post.calendar] });
        expect(captionProblems('tiktok', mine[0].caption)).toEqual([]);
        return;
      }
      case 'shorts': {
        const mine = youtube.videos.filter((v) => v.id === remoteId);
        expect({ where, count: mine.length }).toEqual({ where, count: 1 });
        const [video] = mine;
        expect(video.bytes.sha256).toBe(sha256);
        // us-ecommerce.yaml: `youtube: { privacy: private, categoryId: 28, tags: [PulseAudio, earbuds] }`.
        expect(video.snippet).toMatchObject({
          title: post.publishing!.shorts!.options.youtube!.title,
          description: caption,
          tags: ['PulseAudio', 'earbuds'],
          categoryId: '28',
          channelId: youtube.channelId,
        });
        expect(video.status).toMatchObject({
          privacyStatus: 'private',
          containsSyntheticMedia: true,
          selfDeclaredMadeForKids: false,
        });
        expect(video.snippet.title).toMatch(/^All-day battery, zero wires\./);
        expect(captionProblems('shorts', video.snippet.description)).toEqual([]);
        expect(titleProblems('shorts', video.snippet.title)).toEqual([]);
        return;
      }
      case 'reels': {
        const mine = instagram.reels.filter((r) => r.id === remoteId);
        expect({ where, count: mine.length }).toEqual({ where, count: 1 });
        // china.yaml and us-ecommerce.yaml: `instagram: { shareToFeed: true }`.
        expect(mine[0]).toMatchObject({
          sha256,
          caption,
          aiGenerated: true,
          shareToFeed: true,
          userId: INSTAGRAM_USER_IDS[account],
        });
        expect(captionProblems('reels', mine[0].caption)).toEqual([]);
        return;
      }
      default:
        throw new Error(`no fake for ${channel}`);
    }
  }

  async function accountStatus(): Promise<Map<string, AccountStatus>> {
    const { accounts } = await accountStatuses(config, store);
    return new Map(accounts.map((a) => [`${a.platform}/${a.account}`, a]));
  }

  it('a day of the example calendars publishes on every channel, each calendar to its own accounts', async () => {
    const posts = [
      small(`brand-daily/${DATE}/morning`),
      small(`sakura-shiba/${DATE}/noon`),
      small(`evergreen-weekly/${DATE}/lunch`),
    ];
    expect(posts.map((p) => p.calendar)).toEqual(['china', 'japan', 'us-ecommerce']);
    expect(new Set(posts.flatMap((p) => p.channels))).toEqual(new Set(['x', 'tiktok', 'shorts', 'reels']));

    const states = await publish(posts);
    expect(states.map((s) => ({ postId: s.postId, stage: s.stage, reason: s.reason }))).toEqual(
      posts.map((p) => ({ postId: p.postId, stage: 'published', reason: undefined })),
    );
    for (const [i, post] of posts.entries())
      for (const channel of post.channels) await expectLanded(post, states[i], channel);

    // One post on each account the calendars name, and nowhere else.
    const status = await accountStatus();
    const today = [...status].map(([key, a]) => [key, a.state, a.postsToday]).sort();
    expect(today).toEqual([
      ['instagram/cn-brand', 'ok', 1],
      ['instagram/us-brand', 'ok', 1],
      ['tiktok/cn-main', 'ok', 1],
      ['tiktok/jp-main', 'ok', 1],
      ['x/cn-brand', 'ok', 1],
      ['x/default', 'ok', 1],
      ['x/jp-main', 'ok', 1],
      ['youtube/us-brand', 'ok', 1],
    ]);
    // The secrets are sealed at rest.
    const stored = (await storage.getBuffer(tokenKeys('tiktok', 'cn-main').tokens)).toString('utf8');
    expect(stored).not.toContain((await store.read('tiktok', 'cn-main'))!.accessToken);
  });

  it('access tokens that expire between planning and publishing are refreshed with no person involved', async () => {
    const past = new Date(Date.now() - 60_000).toISOString();
    // TikTok (cn-main): the access token expired, here and at TikTok.
    const tt = (await store.read('tiktok', 'cn-main'))!;
    await store.save({ ...tt, expiresAt: past });
    tiktok.accessTokens.get(tt.accessToken)!.expiresAt = Date.now() - 1;
    // YouTube (us-brand): Google's hour-long access token ran out.
    const yt = (await store.read('youtube', 'us-brand'))!;
    await store.save({ ...yt, expiresAt: past });
    // Instagram (cn-brand): a long-lived token 58 days old, 2 days before it expires for good.
    const ig = (await store.read('instagram', 'cn-brand'))!;
    const igToken = instagram.tokens.get(ig.accessToken)!;
    igToken.issuedAt = instagram.now() - 58 * DAY;
    igToken.expiresAt = instagram.now() + 2 * DAY;
    await store.save({
      ...ig,
      connectedAt: new Date(Date.now() - 58 * DAY).toISOString(),
      expiresAt: new Date(Date.now() + 2 * DAY).toISOString(),
    });
    const refreshes = { tiktok: tiktok.requests.token, youtube: youtube.requests.token };

    const posts = [small(`brand-daily/${DATE}/evening`), small(`evergreen-weekly/${DATE}/lunch`, ['shorts'])];
    expect(posts[0].channels).toEqual(['reels', 'tiktok']);
    const states = await publish(posts);
    expect(states.map((s) => ({ stage: s.stage, reason: s.reason }))).toEqual([
      { stage: 'published', reason: undefined },
      { stage: 'published', reason: undefined },
    ]);
    await expectLanded(posts[0], states[0], 'tiktok');
    await expectLanded(posts[0], states[0], 'reels');
    await expectLanded(posts[1], states[1], 'shorts');

    const soon = Date.now() + 60 * 60_000;
    const tt2 = (await store.read('tiktok', 'cn-main'))!;
    expect(tt2.accessToken).not.toBe(tt.accessToken);
    // TikTok rotates refresh tokens: the store keeps the new one; the old one no longer works.
    expect(tt2.refreshToken).not.toBe(tt.refreshToken);
    expect(tiktok.refreshTokens.get(tt.refreshToken!)!.revoked).toBe(true);
    expect(tiktok.refreshTokens.get(tt2.refreshToken!)!.revoked).toBe(false);
    expect(Date.parse(tt2.expiresAt!)).toBeGreaterThan(soon);
    expect(tiktok.requests.token - refreshes.tiktok).toBe(1);

    const yt2 = (await store.read('youtube', 'us-brand'))!;
    expect(yt2.accessToken).not.toBe(yt.accessToken);
    expect(yt2.refreshToken).toBe(yt.refreshToken); // Google does not rotate them
    expect(Date.parse(yt2.expiresAt!)).toBeGreaterThan(Date.now());
    expect(youtube.requests.token - refreshes.youtube).toBe(1);

    const ig2 = (await store.read('instagram', 'cn-brand'))!;
    expect(ig2.accessToken).not.toBe(ig.accessToken);
    expect(Date.parse(ig2.expiresAt!)).toBeGreaterThan(Date.now() + 50 * DAY);
    expect(instagram.requests.refresh).toBe(1);

    const status = await accountStatus();
    for (const key of ['tiktok/cn-main', 'youtube/us-brand', 'instagram/cn-brand'])
      expect({ key, state: status.get(key)?.state }).toEqual({ key, state: 'ok' });
  });

  it('a revoked refresh token asks for a reconnect in failures and channels status; replay then publishes once', async () => {
    // The person removed Reelcast's access at TikTok, and the access token has since expired there.
    const jp = (await store.read('tiktok', 'jp-main'))!;
    tiktok.refreshTokens.get(jp.refreshToken!)!.revoked = true;
    tiktok.accessTokens.get(jp.accessToken)!.expiresAt = Date.now() - 1;

    const post = small(`sakura-shiba/${DATE}/evening`);
    expect(post.channels).toEqual(['x', 'tiktok']);
    const [failed] = await publish([post]);
    expect(failed.stage).toBe('awaiting-replay');
    expect(failed.publishes.x?.status).toBe('published');
    expect(failed.publishes.tiktok?.status).toBe('failed');
    expect(failed.reason).toMatch(/^tiktok: .*reconnect/i);
    expect(tiktok.posts.filter((p) => p.caption === post.captions.tiktok)).toEqual([]);

    const fix = 'reelcast channels connect tiktok --account jp-main';
    // The list reads Temporal's visibility, which follows the workflow's search attributes closely.
    const listed = await waitFor('the failure to be listed', async () => {
      const out = await reelcast('failures', '--json');
      return out.stdout.includes(post.postId) || out.status !== 0 ? out : undefined;
    });
    expect({ status: listed.status, stderr: listed.stderr }).toEqual({ status: 0, stderr: '' });
    const rows = JSON.parse(listed.stdout) as Array<{ postId: string; channel: string; reason: string }>;
    const row = rows.find((r) => r.postId === post.postId)!;
    expect(row).toMatchObject({ channel: 'tiktok', reason: expect.stringMatching(/reconnect/i) });
    expect(row.reason).toContain(fix);
    expect(row.reason).not.toContain(jp.refreshToken!);

    const status = await reelcast('channels', 'status');
    expect(status.status).toBe(0);
    expect(status.stdout).toMatch(/^tiktok\/jp-main +\S+ +needs reconnect /m);
    expect(status.stdout).toContain(`tiktok/jp-main: needs reconnect (`);
    expect(status.stdout).toContain(`run \`${fix}\``);

    // The person connects the account again: the sign-in, played by fetch against the fake TikTok.
    tiktok.configure({ openId: TIKTOK_OPEN_IDS['jp-main'] });
    await signIn(['channels', 'connect', 'tiktok', '--account', 'jp-main'], /\/v2\/auth\/authorize\//);
    expect((await accountStatus()).get('tiktok/jp-main')?.state).toBe('ok');

    const generated = await activityCounts(post.postId);
    const before = await waitForStage(client, post.postId, ['awaiting-replay']);
    const xPosts = fakeX.posts.length;
    const replay = await reelcast('replay', post.postId, '--channel', 'tiktok');
    expect(replay.stderr).toMatch(/^tiktok: published \d+/m);
    expect(replay.status).toBe(0);

    const after = await waitForStage(client, post.postId, ['published']);
    // From the stored rendition: no new video, no new transcode, X not posted again.
    expect(after.master?.key).toBe(before.master?.key);
    expect(after.renditions).toEqual(before.renditions);
    expect(await activityCounts(post.postId)).toEqual(generated);
    expect(generated.generateClip).toBe(1);
    expect(fakeX.posts.length).toBe(xPosts);
    expect(after.publishes.x?.remoteId).toBe(failed.publishes.x?.remoteId);
    await expectLanded(post, after, 'x');
    await expectLanded(post, after, 'tiktok');
    expect(tiktok.posts.filter((p) => p.caption === post.captions.tiktok)).toHaveLength(1);
  });

  /** A `reelcast channels connect` sign-in: the person opens the printed URL (here: fetch follows it). */
  async function signIn(args: string[], urlPath: RegExp): Promise<void> {
    const child = spawn(
      process.execPath,
      [join(ROOT, 'bin', 'reelcast.js'), ...args, '--port', '0', '--no-open', '--timeout', '60'],
      { cwd: ROOT, env },
    );
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d) => {
        stderr += d;
        const m = /(http:\/\/127\.0\.0\.1:\d+\S*)/.exec(stderr);
        if (m && urlPath.test(m[1])) resolve(m[1]);
      });
      void exited.then(() => reject(new Error(`connect exited before printing a URL:\n${stderr}`)));
    });
    const page = await fetch(url);
    expect(await page.text()).toContain('Connected');
    expect({ code: await exited, stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    expect(stdout).toContain('connected');
  }

  /** How many times the post's workflow scheduled each activity. */
  async function activityCounts(postId: string): Promise<Record<string, number>> {
    const history = await client.workflow.getHandle(postWorkflowId(postId)).fetchHistory();
    const counts: Record<string, number> = {};
    for (const e of history.events ?? []) {
      const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
      if (name && name !== 'publishToChannel') counts[name] = (counts[name] ?? 0) + 1;
    }
    return counts;
  }
});

/** `text` as a regular expression that matches it exactly. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
