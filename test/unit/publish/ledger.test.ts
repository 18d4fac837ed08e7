import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ChannelSet,
  listPublishFailures,
  NothingToReplayError,
  OutboxChannel,
  PublishLedger,
  publishPost,
  RenditionMissingError,
  replayPublish,
} from '../../../activities/publish';
import { FsStorage, renditionKey } from '../../../activities/storage';

/** The embedded default end to end on local files: fs storage, fs ledger, outbox channel. */
describe('publish ledger on local files', () => {
  const root = mkdtempSync(join(tmpdir(), 'reelcast-ledger-'));
  const storage = new FsStorage(root);
  const ledger = new PublishLedger(storage);
  const deps = { storage, channels: new ChannelSet([new OutboxChannel({ storage, target: storage })]) };
  const rendition = renditionKey('ab'.repeat(16), 'x');
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  beforeAll(() => storage.put(rendition, Buffer.alloc(1024, 7), { contentType: 'video/mp4' }));

  it('claims once: a second claimant gets the holder entry back', async () => {
    const fields = { postId: 'fall/2026-09-01/a', channel: 'outbox', caption: 'c', renditionKey: rendition };
    const [a, b] = await Promise.all([
      ledger.claim({ ...fields, attemptId: 'one' }),
      ledger.claim({ ...fields, attemptId: 'two' }),
    ]);
    expect([a.claimed, b.claimed].sort()).toEqual([false, true]);
    expect(a.entry.attemptId).toBe(b.entry.attemptId);
  });

  it('publishes once, then reports it as already published', async () => {
    const input = {
      postId: 'fall/2026-09-02/a',
      channel: 'outbox' as const,
      caption: 'hello',
      renditionKey: rendition,
    };
    const first = await publishPost(deps, input);
    const second = await publishPost(deps, input);
    expect(second).toEqual({ ...first, alreadyPublished: true });
  });

  it('lists terminal failures and claims left unknown for too long, oldest first', async () => {
    await publishPost(deps, {
      postId: 'fall/2026-09-03/a',
      channel: 'outbox',
      caption: 'no video',
      renditionKey: renditionKey('cd'.repeat(16), 'x'),
    }).catch((e: unknown) => expect(e).toBeInstanceOf(RenditionMissingError));
    await ledger.claim(
      {
        postId: 'fall/2026-09-04/a',
        channel: 'outbox',
        caption: 'c',
        renditionKey: rendition,
        attemptId: 'gone',
      },
      new Date(Date.now() - 2 * 3600_000),
    );
    const failures = await listPublishFailures(ledger, { campaign: 'fall' });
    expect(failures.map((f) => [f.postId, f.state])).toEqual([
      ['fall/2026-09-04/a', 'unknown'],
      ['fall/2026-09-03/a', 'failed'],
    ]);
    expect(failures[1].reason).toMatch(/rendition .* missing/);
    expect(await listPublishFailures(ledger, { campaign: 'spring' })).toEqual([]);
  });

  it('replay of something never recorded says so', async () => {
    await expect(
      replayPublish(deps, { postId: 'fall/2026-09-09/z', channel: 'outbox' }),
    ).rejects.toBeInstanceOf(NothingToReplayError);
  });
});
