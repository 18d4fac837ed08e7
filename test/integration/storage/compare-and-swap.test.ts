import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../config';
import {
  ConditionalWriteUnsupportedError,
  FsStorage,
  openStorage,
  S3Storage,
  type ObjectStorage,
} from '../../../activities/storage';

/**
 * replaceIf and deleteIf, the compare-and-swap every change of a publish ledger entry uses: on
 * the real S3 server (versitygw, If-Match) and on local files.
 */
const config = loadConfig();
/** A fresh client on the test stack's S3 server (versitygw). */
const s3 = (): S3Storage => {
  const storage = openStorage(config);
  if (!(storage instanceof S3Storage)) throw new Error('the test stack configures S3 storage');
  return storage;
};
const fsRoot = mkdtempSync(join(tmpdir(), 'reelcast-cas-'));
const kinds: Array<[string, () => ObjectStorage]> = [
  ['s3', s3],
  ['fs', () => new FsStorage(fsRoot)],
];
const run = `${process.pid}-${Date.now()}`;

beforeAll(async () => {
  const storage = s3();
  await storage.ensureBucket();
  storage.client.destroy();
});
afterAll(() => rmSync(fsRoot, { recursive: true, force: true }));

describe.each(kinds)('%s storage compare-and-swap', (kind, open) => {
  const storage = open();

  it('of eight swaps of one version at once exactly one wins; the stale version then loses', async () => {
    const key = `ledger/cas-${run}/2026-05-01/a/${kind}.json`;
    await storage.put(key, '{"attemptId":"gone"}', { contentType: 'application/json' });
    const read = (await storage.getVersioned(key))!;
    expect(read.body.toString()).toBe('{"attemptId":"gone"}');
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        storage.replaceIf(key, `{"attemptId":"${i}"}`, read.version, { contentType: 'application/json' }),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const now = (await storage.getVersioned(key))!;
    expect(now.body.toString()).toBe(`{"attemptId":"${results.indexOf(true)}"}`);
    expect(now.version).not.toBe(read.version);
    expect(await storage.head(key)).toMatchObject({ contentType: 'application/json' });
    expect(await storage.replaceIf(key, '{"attemptId":"late"}', read.version)).toBe(false);
    expect((await storage.getBuffer(key)).toString()).toBe(now.body.toString());
  });

  it('a conditional delete removes only the version it read; a swap of something gone answers false', async () => {
    const key = `ledger/cas-${run}/2026-05-02/a/${kind}.json`;
    await storage.put(key, 'held by one');
    const held = (await storage.getVersioned(key))!;
    await storage.put(key, 'taken over by another');
    expect(await storage.deleteIf(key, held.version)).toBe(false);
    expect((await storage.getBuffer(key)).toString()).toBe('taken over by another');
    const taken = (await storage.getVersioned(key))!;
    expect(await storage.deleteIf(key, taken.version)).toBe(true);
    expect(await storage.getVersioned(key)).toBeUndefined();
    expect(await storage.replaceIf(key, 'resurrected', taken.version)).toBe(false);
    expect(await storage.head(key)).toBeUndefined();
  });
});

describe('S3 If-Match', () => {
  it('sends the ETag it read as If-Match: the server decides who swaps', async () => {
    const storage = s3();
    const key = `ledger/if-match-${run}/2026-05-03/a/x.json`;
    await storage.put(key, 'one');
    const read = (await storage.getVersioned(key))!;
    const sent: Array<string | undefined> = [];
    storage.client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { method: string; path: string; headers: Record<string, string> };
        if (request.path.endsWith('/x.json') && request.method !== 'GET')
          sent.push(request.headers['if-match']);
        return next(args);
      },
      { step: 'finalizeRequest' },
    );
    expect(await storage.replaceIf(key, 'two', read.version)).toBe(true);
    expect(await storage.replaceIf(key, 'three', read.version)).toBe(false);
    expect(sent).toEqual([read.version, read.version]);
    expect((await storage.getBuffer(key)).toString()).toBe('two');
    expect(await storage.supportsConditionalReplace()).toBe(true);
    const probes: string[] = [];
    for await (const o of storage.list('probes/conditional-replace/')) probes.push(o.key);
    expect(probes).toEqual([]);
    storage.client.destroy();
  });

  it('a server that ignores If-Match is refused with a clear error, and nothing is overwritten', async () => {
    const storage = s3();
    const key = `ledger/ignores-if-match-${run}/2026-05-04/a/x.json`;
    await storage.put(key, 'held by another attempt');
    const read = (await storage.getVersioned(key))!;
    await storage.put(key, 'taken over');
    // As a server that ignores the header would: the condition never reaches it.
    storage.client.middlewareStack.add(
      (next) => async (args) => {
        delete (args.request as { headers: Record<string, string> }).headers['if-match'];
        return next(args);
      },
      { step: 'build' },
    );
    const err = await storage.replaceIf(key, 'stale write', read.version).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConditionalWriteUnsupportedError);
    expect((err as Error).message).toMatch(
      /does not support conditional writes \(PUT and DELETE with If-Match\)/,
    );
    expect((err as Error).message).toMatch(/storage\.kind: fs/);
    expect(await storage.deleteIf(key, read.version).catch((e: unknown) => e)).toBeInstanceOf(
      ConditionalWriteUnsupportedError,
    );
    expect((await storage.getBuffer(key)).toString()).toBe('taken over');
    expect(await storage.supportsConditionalReplace()).toBe(false);
    storage.client.destroy();
  });
});
