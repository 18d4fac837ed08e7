import { openStorage, outboxKeys, PREFIXES } from '../../activities/storage';
import { readCheck } from '../../activities/safety';
import { DEFAULT_SAFETY_THRESHOLDS } from '../../activities/safety/thresholds';
import type { PostSpec } from '../../activities/calendar/types';
import {
  connectClient,
  e2eConfig,
  e2eEnv,
  plannedPosts,
  quick,
  reelcast,
  startPost,
  startWorker,
  terminatePosts,
  waitForStage,
  type RunningWorker,
} from './support';

/**
 * The content gate end to end: the real worker classifies the demo model's clip with nsfwjs,
 * stores the check beside the master in S3, and a post over a threshold is held until a person
 * releases or rejects it with the real `reelcast` CLI.
 */
describe('content gate and held posts', () => {
  const env = e2eEnv('gate', { USER: 'mei' });
  const config = e2eConfig(env);
  const storage = openStorage(config);
  let worker: RunningWorker;
  const started: string[] = [];

  beforeAll(async () => {
    worker = await startWorker(config);
  });
  afterAll(async () => {
    const client = await connectClient(config);
    await terminatePosts(client, started);
    await client.connection.close();
    await worker?.stop();
  });

  /** Posts of one planned slot share its seed and prompt, so they share one master clip. */
  async function post(inSeconds: number, overrides: Partial<PostSpec> = {}): Promise<PostSpec> {
    const [planned] = await plannedPosts(config, '2026-11-27');
    const spec = quick(planned, inSeconds, { channels: ['outbox'], ...overrides });
    started.push(spec.postId);
    return spec;
  }

  const outboxVideo = (postId: string, channel = 'outbox') =>
    storage.head(`${PREFIXES.outbox}${outboxKeys(postId, channel).video}`);

  let firstCheck: { resultKey: string; createdAt: string } | undefined;

  it('a neutral clip passes the gate and publishes; its check is stored beside the master', async () => {
    const client = await connectClient(config);
    const spec = await post(25);
    await startPost(client, config, { spec });
    const done = await waitForStage(client, spec.postId, ['published', 'held', 'skipped', 'awaiting-replay']);
    expect(done.stage).toBe('published');
    expect(done.safety).toMatchObject({ passed: true, thresholds: DEFAULT_SAFETY_THRESHOLDS });
    expect(done.safety!.classifier).toMatch(/^nsfwjs 4\.\d+\.\d+ MobileNetV2 \(wasm\)$/);
    expect(await outboxVideo(spec.postId)).toBeDefined();
    const check = await readCheck(storage, done.safety!.resultKey);
    expect(check!.masterKey).toBe(done.master!.key);
    expect(check!.createdAt).toBe(done.safety!.createdAt);
    firstCheck = { resultKey: done.safety!.resultKey, createdAt: check!.createdAt };
    await client.connection.close();
  });

  it('a second post of the same clip on another channel reuses the stored check (status shows it)', async () => {
    const client = await connectClient(config);
    const spec = await post(25, { channels: ['x'] });
    await startPost(client, config, { spec });
    const done = await waitForStage(client, spec.postId, ['published', 'held', 'skipped', 'awaiting-replay']);
    expect(done.stage).toBe('published');
    expect(done.safety).toMatchObject({ passed: true, reused: true, ...firstCheck });
    // The stored check was not made again.
    expect((await readCheck(storage, firstCheck!.resultKey))!.createdAt).toBe(firstCheck!.createdAt);
    const status = await reelcast(env, [
      'status',
      '--date',
      spec.date,
      '--campaign',
      spec.campaign,
      '--json',
    ]);
    expect(status.status).toBe(0);
    const row = (JSON.parse(status.stdout) as Array<{ postId: string; safety?: { reused: boolean } }>).find(
      (p) => p.postId === spec.postId,
    );
    expect(row?.safety).toMatchObject({ reused: true, createdAt: firstCheck!.createdAt });
    await client.connection.close();
  });

  it('a campaign with a threshold of 0 is held, never reaches the outbox, and is released with --override-safety', async () => {
    const client = await connectClient(config);
    const spec = await post(40, { safety: { ...DEFAULT_SAFETY_THRESHOLDS, drawing: 0 } });
    await startPost(client, config, { spec });
    const held = await waitForStage(client, spec.postId, ['held', 'published', 'skipped', 'awaiting-replay']);
    expect(held.stage).toBe('held');
    const trip = held.safety!.trip!;
    expect(trip).toMatchObject({ className: 'Drawing', threshold: 0 });
    expect(held.reason).toContain(`held by the content gate: Drawing ${trip.score.toFixed(2)}`);
    expect(held.reason).toContain(trip.frameKey);
    // The tripping frame is a JPEG beside the stored check; the check itself was reused.
    expect((await storage.getBuffer(trip.frameKey)).subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect(held.safety).toMatchObject({ reused: true, createdAt: firstCheck!.createdAt });
    expect(held.renditions.outbox).toBeDefined();
    expect(await outboxVideo(spec.postId)).toBeUndefined();

    const failures = await reelcast(env, ['failures', '--json']);
    const row = (
      JSON.parse(failures.stdout) as Array<{ postId: string; reason: string; held?: boolean }>
    ).find((r) => r.postId === spec.postId);
    expect(row).toMatchObject({ held: true });
    expect(row!.reason).toContain(trip.frameKey);
    const status = await reelcast(env, ['status', '--date', spec.date, '--campaign', spec.campaign]);
    expect(status.stdout).toMatch(
      new RegExp(`${spec.postId}\\s+held\\s+\\(held by the content gate: Drawing`),
    );

    // A plain approve does not release it, and says what does.
    const plain = await reelcast(env, ['approve', spec.postId]);
    expect(plain.status).not.toBe(0);
    expect(plain.stderr).toContain(`reelcast approve ${spec.postId} --override-safety`);
    expect((await waitForStage(client, spec.postId, ['held'])).stage).toBe('held');

    const release = await reelcast(env, ['approve', spec.postId, '--override-safety']);
    expect(release.status).toBe(0);
    const done = await waitForStage(client, spec.postId, ['published', 'skipped', 'awaiting-replay']);
    expect(done.stage).toBe('published');
    expect(done.safety!.override!.by).toBe('mei');
    expect(Date.parse(done.safety!.override!.at)).toBeGreaterThan(Date.parse(held.safety!.createdAt));
    expect(await outboxVideo(spec.postId)).toBeDefined();
    await client.connection.close();
  });

  it('a held post that is rejected is skipped with the reason and never published', async () => {
    const client = await connectClient(config);
    const spec = await post(40, { safety: { ...DEFAULT_SAFETY_THRESHOLDS, neutral: 0 } });
    await startPost(client, config, { spec });
    expect((await waitForStage(client, spec.postId, ['held', 'published'])).stage).toBe('held');
    const reject = await reelcast(env, ['reject', spec.postId, '--reason', 'not on brand']);
    expect(reject.status).toBe(0);
    const done = await waitForStage(client, spec.postId, ['skipped', 'published']);
    expect(done.stage).toBe('skipped');
    expect(done.reason).toBe('rejected by mei while held by the content gate: not on brand');
    expect(await outboxVideo(spec.postId)).toBeUndefined();
    await client.connection.close();
  });
});
