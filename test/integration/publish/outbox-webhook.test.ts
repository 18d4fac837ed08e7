import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../config';
import { FsStorage, openStorage, renditionKey } from '../../../activities/storage';
import {
  ChannelAuthError,
  ChannelSet,
  ChannelUnavailableError,
  OutboxChannel,
  PublishInProgressError,
  PublishLedger,
  publishPost,
  SEND_LEASE_MS,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyWebhookSignature,
  WebhookChannel,
} from '../../../activities/publish';

const storage = openStorage(loadConfig());
const ledger = new PublishLedger(storage);
const bytes = randomBytes(6 * 1024 * 1024);
const rendition = renditionKey(createHash('sha256').update(bytes).digest('hex').slice(0, 40), 'x');
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
let seq = 0;
const nextPostId = (): string => `summer/2026-07-${String(++seq).padStart(2, '0')}/evening`;

beforeAll(() => storage.put(rendition, bytes, { contentType: 'video/mp4' }));

describe('outbox channel', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reelcast-outbox-'));
  const outbox = new OutboxChannel({ storage, target: new FsStorage(dir), prefix: '' });
  const deps = { storage, channels: new ChannelSet([outbox]) };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes exactly what would be published: caption, the rendition bytes, metadata JSON', async () => {
    const postId = nextPostId();
    const caption = 'Summer evenings, longer 🌅';
    const out = await publishPost(deps, { postId, channel: 'outbox', caption, renditionKey: rendition });
    const folder = join(dir, ...postId.split('/'), 'outbox');
    expect(readFileSync(join(folder, 'caption.txt'), 'utf8')).toBe(caption);
    expect(sha(readFileSync(join(folder, 'video.mp4')))).toBe(sha(bytes));
    const meta = JSON.parse(readFileSync(join(folder, 'post.json'), 'utf8'));
    expect(meta).toMatchObject({
      postId,
      channel: 'outbox',
      preset: 'reels',
      caption,
      rendition: { key: rendition, bytes: bytes.length },
    });
    expect(out.url).toBe(`file://${join(folder, 'post.json')}`);

    const again = await publishPost(deps, { postId, channel: 'outbox', caption, renditionKey: rendition });
    expect(again.alreadyPublished).toBe(true);
  });

  it('a claim left by a crashed attempt is reconciled from the outbox itself', async () => {
    const postId = nextPostId();
    const input = { postId, channel: 'outbox' as const, caption: 'crash test', renditionKey: rendition };
    // Attempt 1 delivered, then its worker died before completing the ledger.
    await publishPost(deps, input);
    const done = (await ledger.read(postId, 'outbox'))!;
    await storage.put(
      `ledger/${postId}/outbox.json`,
      JSON.stringify({ ...done, state: 'claimed', remoteId: undefined, attemptId: 'dead-worker' }),
    );
    const out = await publishPost(deps, input);
    expect(out).toMatchObject({ reconciled: true, alreadyPublished: false });
  });

  it('writes to the outbox/ prefix of the main storage when no folder is configured', async () => {
    const inStorage = new OutboxChannel({ storage, target: storage });
    const postId = nextPostId();
    await publishPost(
      { storage, channels: new ChannelSet([inStorage]) },
      { postId, channel: 'outbox', caption: 'in the bucket', renditionKey: rendition },
    );
    expect((await storage.getBuffer(`outbox/${postId}/outbox/caption.txt`)).toString()).toBe('in the bucket');
    expect((await storage.head(`outbox/${postId}/outbox/video.mp4`))?.size).toBe(bytes.length);
  });
});

describe('webhook channel', () => {
  const secret = 'whsec-test-7f3a';
  let server: Server;
  let url: string;
  const received: Array<{ headers: IncomingMessage['headers']; body: string }> = [];
  const seenKeys = new Set<string>();
  /** What the receiver answers next (status), consumed in order; then 200. */
  const answers: number[] = [];
  /** How long the receiver keeps the next deliveries waiting for its answer, in order; then 0. */
  const delays: number[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        received.push({ headers: req.headers, body });
        const status = answers.shift() ?? 200;
        const ok = verifyWebhookSignature(
          secret,
          {
            signature: req.headers[SIGNATURE_HEADER] as string,
            timestamp: req.headers[TIMESTAMP_HEADER] as string,
          },
          body,
        );
        if (!ok) return void res.writeHead(401).end('bad signature');
        if (status !== 200) return void res.writeHead(status).end('receiver trouble');
        // A receiver that keeps at-most-once: one message per idempotency key.
        const key = req.headers['idempotency-key'] as string;
        const duplicate = seenKeys.has(key);
        seenKeys.add(key);
        setTimeout(
          () =>
            res
              .writeHead(200, { 'content-type': 'application/json' })
              .end(JSON.stringify({ id: `msg-${key}`, duplicate })),
          delays.shift() ?? 0,
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/reelcast`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    received.length = 0;
  });

  const deps = (s = secret) => ({
    storage,
    channels: new ChannelSet([new WebhookChannel({ storage, url, secret: s })]),
  });

  it('POSTs the post as JSON with an HMAC-SHA256 signature the receiver verifies; the video link works', async () => {
    const postId = nextPostId();
    const out = await publishPost(deps(), {
      postId,
      channel: 'webhook',
      caption: 'Hello hooks',
      renditionKey: rendition,
    });
    expect(received).toHaveLength(1);
    const { headers, body } = received[0];
    const payload = JSON.parse(body);
    expect(payload).toMatchObject({
      postId,
      channel: 'webhook',
      caption: 'Hello hooks',
      // The rendition the post workflow makes for the webhook (the channel table's preset).
      video: { key: rendition, bytes: bytes.length, preset: 'reels' },
    });
    expect(headers[SIGNATURE_HEADER]).toMatch(/^sha256=[0-9a-f]{64}$/);
    // The signature covers the body: a changed body or another key does not verify.
    const sig = {
      signature: headers[SIGNATURE_HEADER] as string,
      timestamp: headers[TIMESTAMP_HEADER] as string,
    };
    expect(verifyWebhookSignature(secret, sig, body)).toBe(true);
    expect(verifyWebhookSignature(secret, sig, body.replace('Hello', 'Hullo'))).toBe(false);
    expect(verifyWebhookSignature('other-secret', sig, body)).toBe(false);
    expect(verifyWebhookSignature(secret, sig, body, { now: Number(sig.timestamp) + 3600 })).toBe(false);
    expect(out.remoteId).toBe(`msg-reelcast:${postId}:webhook`);
    const video = await fetch(payload.video.url);
    expect(sha(Buffer.from(await video.arrayBuffer()))).toBe(sha(bytes));
  });

  it('a 5xx keeps the claim; the retry re-sends with the same Idempotency-Key', async () => {
    const postId = nextPostId();
    const input = { postId, channel: 'webhook' as const, caption: 'retry me', renditionKey: rendition };
    answers.push(503);
    const err = await publishPost(deps(), input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelUnavailableError);
    expect(await ledger.read(postId, 'webhook')).toMatchObject({ state: 'claimed' });
    await publishPost(deps(), input);
    expect(received.map((r) => r.headers['idempotency-key'])).toEqual([
      `reelcast:${postId}:webhook`,
      `reelcast:${postId}:webhook`,
    ]);
    expect(await ledger.read(postId, 'webhook')).toMatchObject({ state: 'published' });
  });

  it('a delivery still waiting for its answer is not sent again by a newer attempt, which retries after it', async () => {
    const postId = nextPostId();
    const input = { postId, channel: 'webhook' as const, caption: 'slow receiver', renditionKey: rendition };
    delays.push(1500);
    const first = publishPost(deps(), input, { attemptId: 'attempt-1' });
    for (let i = 0; i < 200 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(received).toHaveLength(1);
    // Attempt 1 looks gone to Temporal (a late heartbeat) but its delivery is on its way.
    const second = await publishPost(deps(), input, { attemptId: 'attempt-2' }).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(PublishInProgressError);
    const { retryAfterMs } = second as PublishInProgressError;
    expect(retryAfterMs).toBeGreaterThan(SEND_LEASE_MS - 60_000);
    expect(retryAfterMs).toBeLessThanOrEqual(SEND_LEASE_MS);
    expect((second as Error).message).toMatch(
      /an earlier attempt started sending it at .* may still be waiting for webhook's answer.*never goes out twice/,
    );
    expect(received).toHaveLength(1);
    expect(await first).toMatchObject({ remoteId: `msg-reelcast:${postId}:webhook` });
    // Its retry finds the delivery recorded and sends nothing.
    expect(await publishPost(deps(), input, { attemptId: 'attempt-3' })).toMatchObject({
      alreadyPublished: true,
    });
    expect(received).toHaveLength(1);
  });

  it('a claim whose holder died while sending is taken over once the send can no longer be running', async () => {
    const postId = nextPostId();
    const input = { postId, channel: 'webhook' as const, caption: 'after a crash', renditionKey: rendition };
    await ledger.claim({ ...input, attemptId: 'dead' });
    // It said it was sending 10 s ago: the newer attempt waits for the rest of the lease.
    expect(await ledger.markSending(postId, 'webhook', 'dead', new Date(Date.now() - 10_000))).toBe(true);
    const early = await publishPost(deps(), input).catch((e: unknown) => e);
    expect(early).toBeInstanceOf(PublishInProgressError);
    expect((early as PublishInProgressError).retryAfterMs).toBeLessThanOrEqual(SEND_LEASE_MS - 10_000);
    expect(received).toHaveLength(0);
    // Long enough ago that its call has certainly ended: taken over, delivered once.
    const longAgo = new Date(Date.now() - SEND_LEASE_MS - 1000);
    expect(await ledger.markSending(postId, 'webhook', 'dead', longAgo)).toBe(true);
    expect(await publishPost(deps(), input)).toMatchObject({ alreadyPublished: false });
    expect(received.map((r) => r.headers['idempotency-key'])).toEqual([`reelcast:${postId}:webhook`]);
    expect(await ledger.read(postId, 'webhook')).toMatchObject({ state: 'published' });
  });

  it('a rejected signature is a non-retryable auth failure that says what to check', async () => {
    const postId = nextPostId();
    const err = await publishPost(deps('wrong-secret'), {
      postId,
      channel: 'webhook',
      caption: 'nope',
      renditionKey: rendition,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelAuthError);
    expect((err as Error).message).toMatch(/WEBHOOK_SECRET/);
    expect(await ledger.readFailure(postId, 'webhook')).toMatchObject({ errorName: 'ChannelAuthError' });
  });
});
