import { createHash, randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import { loadConfig } from '../../../config';
import { openStorage, renditionKey } from '../../../activities/storage';
import {
  ChannelAuthError,
  ChannelContentRejectedError,
  ChannelRateLimitedError,
  ChannelSet,
  ChannelUnavailableError,
  MediaProcessingFailedError,
  PublishLedger,
  publishPost,
  type PublishInput,
} from '../../../activities/publish';
import type { AccountTokens, TokenSource } from '../../../activities/publish/accounts';
import {
  nextQuotaReset,
  YouTubeChannel,
  YouTubeOAuth,
  YOUTUBE_SCOPES,
} from '../../../activities/publish/youtube';
import { FAKE_YOUTUBE_DEFAULTS, startFakeYouTube, type FakeYouTube } from '../../fakes/youtube/server';

const MiB = 1024 * 1024;
const storage = openStorage(loadConfig());
const ledger = new PublishLedger(storage);
const bytes = randomBytes(5 * MiB + 17);
const sha256 = createHash('sha256').update(bytes).digest('hex');
const rendition = renditionKey(sha256.slice(0, 32), 'shorts');
const ACCOUNT = 'us-main';
let fake: FakeYouTube;
let seq = 0;

/**
 * The token store's stand-in for these tests: keeps one account's tokens in memory and refreshes
 * them through YouTubeOAuth against the fake's token endpoint.
 */
class MemoryTokenSource implements TokenSource {
  readonly platform = 'youtube' as const;
  refreshes = 0;
  constructor(
    readonly account: string,
    private tokens: AccountTokens,
    private readonly oauth: YouTubeOAuth,
  ) {}

  async accessToken(): Promise<string> {
    if (this.tokens.expiresAt && Date.parse(this.tokens.expiresAt) - Date.now() < 60_000)
      await this.#refresh();
    return this.tokens.accessToken;
  }

  async refreshAfterRejection(rejected: string): Promise<string> {
    if (rejected === this.tokens.accessToken) await this.#refresh();
    return this.tokens.accessToken;
  }

  async #refresh(): Promise<void> {
    const grant = await this.oauth.refresh(this.tokens);
    this.refreshes++;
    this.tokens = {
      ...this.tokens,
      accessToken: grant.accessToken,
      refreshToken: grant.refreshToken ?? this.tokens.refreshToken,
      expiresAt: grant.expiresInSeconds
        ? new Date(Date.now() + grant.expiresInSeconds * 1000).toISOString()
        : undefined,
      refreshedAt: new Date().toISOString(),
    };
  }
}

function oauth(): YouTubeOAuth {
  return new YouTubeOAuth({
    clientId: FAKE_YOUTUBE_DEFAULTS.clientId,
    clientSecret: FAKE_YOUTUBE_DEFAULTS.clientSecret,
    oauthBaseUrl: fake.url,
    apiBaseUrl: fake.url,
  });
}

/** What `reelcast channels connect youtube` does: consent (the fake grants it at once), then the code exchange. */
async function connect(account = ACCOUNT): Promise<MemoryTokenSource> {
  const provider = oauth();
  const verifier = randomBytes(32).toString('base64url');
  const redirectUri = 'http://127.0.0.1:53682/callback';
  const consent = await fetch(
    provider.authorizeUrl({
      redirectUri,
      state: 'state-1',
      scopes: YOUTUBE_SCOPES,
      codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
    }),
    { redirect: 'manual' },
  );
  const code = new URL(consent.headers.get('location')!).searchParams.get('code')!;
  const grant = await provider.exchangeCode({ code, redirectUri, codeVerifier: verifier });
  return new MemoryTokenSource(
    account,
    {
      platform: 'youtube',
      account,
      accessToken: grant.accessToken,
      refreshToken: grant.refreshToken,
      expiresAt: new Date(Date.now() + (grant.expiresInSeconds ?? 0) * 1000).toISOString(),
      scopes: grant.scopes ?? [],
      remoteAccountId: grant.remoteAccountId,
      connectedAt: new Date().toISOString(),
    },
    provider,
  );
}

function shorts(
  tokens: TokenSource,
  overrides: Partial<ConstructorParameters<typeof YouTubeChannel>[0]> = {},
) {
  return new YouTubeChannel({
    storage,
    tokens,
    apiBaseUrl: fake.url,
    chunkBytes: MiB,
    retryBaseMs: 20,
    reconcileWindowMs: 60_000,
    ...overrides,
  });
}

const deps = (channel: YouTubeChannel) => ({ storage, channels: new ChannelSet([channel]) });

/** A fresh post id and caption per test. */
function post(extra: Partial<PublishInput> = {}): PublishInput {
  seq++;
  return {
    postId: `summer-drop/2026-06-${String(seq).padStart(2, '0')}/evening`,
    channel: 'shorts',
    renditionKey: rendition,
    caption: `Summer drop, day ${seq} ☀️ — new colours are in.\nLink in bio. #summer #drop`,
    ...extra,
  };
}

/** The Content-Range of every chunk PUT the fake answered or dropped, in order. */
const chunkRanges = (): string[] => fake.log.filter((l) => l.endpoint === 'chunk').map((l) => l.range!);

beforeAll(async () => {
  await storage.put(rendition, bytes, { contentType: 'video/mp4' });
  fake = await startFakeYouTube();
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

describe('connecting a YouTube account (google-auth-library against the fake token endpoint)', () => {
  it('asks for offline access with PKCE and the upload scope; the code exchange names the channel', async () => {
    const provider = oauth();
    const url = new URL(
      provider.authorizeUrl({
        redirectUri: 'http://127.0.0.1:1/cb',
        state: 's',
        scopes: [],
        codeChallenge: 'c',
      }),
    );
    expect(url.origin + url.pathname).toBe(`${fake.url}/o/oauth2/v2/auth`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      access_type: 'offline',
      prompt: 'consent',
      code_challenge: 'c',
      code_challenge_method: 'S256',
      scope: YOUTUBE_SCOPES.join(' '),
    });

    const tokens = await connect();
    expect(await tokens.accessToken()).toMatch(/^ya29\./);
    expect(tokens.refreshes).toBe(0);
  });

  it('a wrong PKCE verifier is refused as an auth error', async () => {
    const provider = oauth();
    const consent = await fetch(
      provider.authorizeUrl({
        redirectUri: 'http://127.0.0.1:1/cb',
        state: 's',
        scopes: [],
        codeChallenge: 'abc',
      }),
      { redirect: 'manual' },
    );
    const code = new URL(consent.headers.get('location')!).searchParams.get('code')!;
    const err = await provider
      .exchangeCode({ code, redirectUri: 'http://127.0.0.1:1/cb', codeVerifier: 'not-it' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelAuthError);
    expect((err as Error).message).toMatch(/Invalid code verifier/);
  });
});

describe('publishing a Short (fake YouTube over HTTP, real S3)', () => {
  it('uploads the rendition byte for byte in resumable chunks, private and labelled synthetic', async () => {
    const input = post();
    const steps: string[] = [];
    const out = await publishPost(deps(shorts(await connect())), input, {
      progress: (p) => steps.push(p.step),
    });

    expect(fake.videos).toHaveLength(1);
    const [video] = fake.videos;
    expect(out).toMatchObject({ remoteId: video.id, reconciled: false, alreadyPublished: false });
    expect(out.url).toBe(`https://www.youtube.com/watch?v=${video.id}`);
    expect(video.bytes).toEqual({ sha256, size: bytes.length });
    expect(video.status).toMatchObject({
      privacyStatus: 'private',
      containsSyntheticMedia: true,
      selfDeclaredMadeForKids: false,
    });
    expect(video.snippet.description).toBe(input.caption);
    expect(video.snippet.title).toBe(`Summer drop, day ${seq} ☀️ — new colours are in.`);
    expect(chunkRanges()).toHaveLength(6); // 5 MiB + 17 bytes in 1 MiB chunks
    expect(steps).toEqual(expect.arrayContaining(['check', 'upload', 'create', 'processing']));
    expect(await ledger.read(input.postId, 'shorts')).toMatchObject({
      state: 'published',
      remoteId: video.id,
    });

    const again = await publishPost(deps(shorts(await connect())), input);
    expect(again).toMatchObject({ remoteId: video.id, alreadyPublished: true });
    expect(fake.requests.start).toBe(1);
  });

  it("the calendar's YouTube options and disclosure policy set title, tags, privacy and the AI label", async () => {
    const channel = shorts(await connect());
    const remote = await channel.publish(
      {
        ...post(),
        idempotencyKey: 'k',
        aiGenerated: false,
        options: {
          youtube: {
            title: 'New colours, summer drop',
            tags: ['summer', 'drop'],
            categoryId: '26',
            privacyStatus: 'unlisted',
            madeForKids: false,
          },
        },
      },
      { progress: () => {}, beforeCreate: async () => {}, saveHandle: async () => {} },
    );
    expect(fake.videos[0]).toMatchObject({
      id: remote.remoteId,
      snippet: { title: 'New colours, summer drop', tags: ['summer', 'drop'], categoryId: '26' },
      status: { privacyStatus: 'unlisted', containsSyntheticMedia: false },
    });
  });

  it('the fake refuses a chunk that is not a multiple of 256 KiB, and the channel never makes one', async () => {
    const tokens = await connect();
    expect(() => shorts(tokens, { chunkBytes: 300 * 1024 })).toThrow(/multiple of 256 KiB/);

    const auth = { authorization: `Bearer ${await tokens.accessToken()}` };
    const start = await fetch(
      `${fake.url}/upload/youtube/v3/videos?uploadType=resumable&part=snippet,status`,
      {
        method: 'POST',
        headers: {
          ...auth,
          'content-type': 'application/json; charset=UTF-8',
          'x-upload-content-length': String(MiB),
          'x-upload-content-type': 'video/mp4',
        },
        body: JSON.stringify({
          snippet: { title: 't', description: 'd' },
          status: { privacyStatus: 'private' },
        }),
      },
    );
    expect(start.status).toBe(200);
    const put = await fetch(start.headers.get('location')!, {
      method: 'PUT',
      headers: { ...auth, 'content-range': `bytes 0-${300 * 1024 - 1}/${MiB}` },
      body: bytes.subarray(0, 300 * 1024),
    });
    expect(put.status).toBe(400);
    expect(await put.json()).toMatchObject({
      error: { errors: [{ reason: 'badRequest', message: expect.stringMatching(/multiple of 256 KiB/) }] },
    });
  });

  it('an upload cut midway resumes within the attempt from the range YouTube kept', async () => {
    // The second chunk drops after 600 KiB: YouTube keeps 512 KiB of it (whole 256 KiB blocks).
    const input = post();
    const tokens = await connect();
    const channel = shorts(tokens);
    let chunks = 0;
    await publishPost(deps(channel), input, {
      progress: (p) => {
        if (p.step === 'upload' && p.done === MiB && chunks++ === 0) {
          fake.inject({ endpoint: 'chunk', kind: 'cut-midway', cutAfterBytes: 600 * 1024 });
        }
      },
    });
    expect(fake.videos).toHaveLength(1);
    expect(fake.videos[0].bytes).toEqual({ sha256, size: bytes.length });
    expect(fake.sessions.size).toBe(1);
    const ranges = chunkRanges();
    expect(ranges.slice(0, 3)).toEqual([
      `bytes 0-${MiB - 1}/${bytes.length}`,
      `bytes ${MiB}-${2 * MiB - 1}/${bytes.length}`, // cut
      `bytes ${MiB + 512 * 1024}-${2 * MiB + 512 * 1024 - 1}/${bytes.length}`, // from what YouTube held
    ]);
    expect(fake.requests.query).toBe(1);
  });

  it('a crash after the session started: the next attempt continues the same session, one video', async () => {
    const input = post();
    const abort = new AbortController();
    const first = await publishPost(deps(shorts(await connect())), input, {
      signal: abort.signal,
      // The worker dies after YouTube holds 2 MiB.
      progress: (p) => p.step === 'upload' && (p.done ?? 0) >= 2 * MiB && abort.abort(),
    }).catch((e: unknown) => e);
    expect((first as Error).name).toBe('AbortError');
    const claim = await ledger.read(input.postId, 'shorts');
    expect(claim).toMatchObject({ state: 'claimed', handle: { sessionUri: expect.any(String) } });
    expect(fake.videos).toHaveLength(0);

    // A new worker: new channel object, new token source, nothing in memory.
    const out = await publishPost(deps(shorts(await connect())), input);
    expect(fake.sessions.size).toBe(1);
    expect(fake.videos).toHaveLength(1);
    expect(fake.videos[0].bytes).toEqual({ sha256, size: bytes.length });
    expect(out).toMatchObject({ remoteId: fake.videos[0].id, reconciled: false });
    expect(fake.requests.start).toBe(1);
    // 2 chunks before the crash, then the rest from 2 MiB: none sent twice.
    expect(chunkRanges()).toHaveLength(6);
    expect(chunkRanges()[2]).toBe(`bytes ${2 * MiB}-${3 * MiB - 1}/${bytes.length}`);
  });

  it('a reset after YouTube accepted the last chunk: the status query finds the video, exactly one', async () => {
    const input = post();
    fake.inject({ endpoint: 'chunk', kind: 'reset-after-accept' });
    const out = await publishPost(deps(shorts(await connect())), input);
    expect(fake.videos).toHaveLength(1);
    expect(fake.log.filter((l) => l.endpoint === 'chunk' && l.status === 0)).toHaveLength(1);
    expect(fake.requests.query).toBe(1);
    expect(fake.requests.start).toBe(1);
    expect(out).toMatchObject({ remoteId: fake.videos[0].id, reconciled: false });
    expect(await ledger.read(input.postId, 'shorts')).toMatchObject({
      state: 'published',
      remoteId: out.remoteId,
    });
  });

  it('outcome unknown after the attempt gave up: the retry finds the video by its caption and uploads nothing', async () => {
    const input = post();
    // The last chunk is accepted but unanswered, and the status queries fail until the attempt gives up.
    fake.inject(
      { endpoint: 'chunk', kind: 'reset-after-accept' },
      { endpoint: 'query', kind: 'unavailable', times: 2 },
    );
    const err = await publishPost(deps(shorts(await connect(), { uploadTries: 3 })), input).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ChannelUnavailableError);
    expect(err).toMatchObject({ retryable: true, notPosted: false });
    expect(await ledger.read(input.postId, 'shorts')).toMatchObject({ state: 'claimed' });
    expect(fake.videos).toHaveLength(1);

    const out = await publishPost(deps(shorts(await connect())), input);
    expect(out).toMatchObject({ reconciled: true, remoteId: fake.videos[0].id });
    expect(fake.videos).toHaveLength(1);
    expect(fake.requests.start).toBe(1);
    expect(await ledger.read(input.postId, 'shorts')).toMatchObject({ state: 'published', reconciled: true });
  });

  it('quotaExceeded: waits for the next midnight Pacific instead of retrying, nothing claimed', async () => {
    const input = post();
    fake.inject({ endpoint: 'start', kind: 'quota-exceeded' });
    const before = new Date();
    const err = await publishPost(deps(shorts(await connect())), input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelRateLimitedError);
    const limited = err as ChannelRateLimitedError;
    expect(limited.resetAt).toEqual(nextQuotaReset(before));
    const pacific = DateTime.fromJSDate(limited.resetAt).setZone('America/Los_Angeles');
    expect([pacific.hour, pacific.minute, pacific.second]).toEqual([0, 0, 0]);
    expect(limited.retryAfterMs).toBeGreaterThan(0);
    expect(limited.retryAfterMs).toBeLessThanOrEqual(25 * 3600_000);
    expect(await ledger.read(input.postId, 'shorts')).toBeUndefined();
    expect(fake.sessions.size).toBe(0);
  });

  it('an access token that expires mid-upload is refreshed once and the upload goes on', async () => {
    const tokens = await connect();
    fake.inject({ endpoint: 'chunk', kind: 'expired-token' });
    await publishPost(deps(shorts(tokens)), post());
    expect(tokens.refreshes).toBe(1);
    expect(fake.requests.token).toBe(2); // the code exchange, then one refresh
    expect(fake.videos).toHaveLength(1);
    expect(fake.videos[0].bytes.sha256).toBe(sha256);
  });

  it('a revoked refresh token: non-retryable, naming the command that reconnects the account', async () => {
    const input = post();
    fake.inject(
      { endpoint: 'start', kind: 'expired-token' },
      { endpoint: 'token', kind: 'revoked-refresh-token' },
    );
    const err = await publishPost(deps(shorts(await connect())), input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelAuthError);
    expect((err as Error).message).toContain(`reelcast channels connect youtube --account ${ACCOUNT}`);
    expect((err as Error).message).not.toMatch(/ya29|1\/\//); // no token in the message
    expect(await ledger.read(input.postId, 'shorts')).toBeUndefined();
    expect(await ledger.readFailure(input.postId, 'shorts')).toMatchObject({ errorName: 'ChannelAuthError' });
    expect(fake.sessions.size).toBe(0);
  });

  it('processing failed: non-retryable with the reason YouTube gave', async () => {
    const input = post();
    fake.inject({ endpoint: 'chunk', kind: 'processing-failed' });
    const err = await publishPost(deps(shorts(await connect())), input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaProcessingFailedError);
    expect((await ledger.readFailure(input.postId, 'shorts'))?.reason).toMatch(/codec/);
  });

  it('a caption with < or > is refused before anything is uploaded', async () => {
    const input = post({ caption: 'Summer <3 drop' });
    const err = await publishPost(deps(shorts(await connect())), input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelContentRejectedError);
    expect((err as Error).message).toMatch(/contains "<", which the platform does not accept/);
    expect(fake.requests.start).toBe(0);
  });
});
