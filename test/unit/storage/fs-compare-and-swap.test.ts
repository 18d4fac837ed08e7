import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStorage } from '../../../activities/storage';

const ROOT = join(__dirname, '..', '..', '..');

/** Compare-and-swap on local files: what keeps the publish ledger's changes atomic without S3. */
describe('local storage compare-and-swap', () => {
  const root = mkdtempSync(join(tmpdir(), 'reelcast-fs-cas-'));
  const storage = new FsStorage(root);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('versions name the bytes: a change gives a new version, the same bytes the same one', async () => {
    const key = 'ledger/fall/2026-09-01/a/x.json';
    expect(await storage.getVersioned(key)).toBeUndefined();
    await storage.put(key, '{"state":"claimed"}');
    const first = (await storage.getVersioned(key))!;
    expect(first.body.toString()).toBe('{"state":"claimed"}');
    await storage.put(key, '{"state":"published"}');
    const second = (await storage.getVersioned(key))!;
    expect(second.version).not.toBe(first.version);
    await storage.put(key, '{"state":"claimed"}');
    expect((await storage.getVersioned(key))!.version).toBe(first.version);
  });

  it('of ten swaps of one version at once exactly one wins, and its bytes are stored', async () => {
    const key = 'ledger/fall/2026-09-02/a/x.json';
    const json = { contentType: 'application/json' };
    await storage.put(key, 'stale claim', json);
    const { version } = (await storage.getVersioned(key))!;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => storage.replaceIf(key, `attempt ${i}`, version, json)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await storage.getBuffer(key)).toString()).toBe(`attempt ${results.indexOf(true)}`);
    expect(await storage.head(key)).toMatchObject({ contentType: 'application/json' });
    // The stale version stays stale; the current one works.
    expect(await storage.replaceIf(key, 'late', version)).toBe(false);
    const current = (await storage.getVersioned(key))!;
    expect(await storage.replaceIf(key, 'next', current.version)).toBe(true);
  });

  it('a swap or a conditional delete of something gone or changed answers false and changes nothing', async () => {
    const key = 'ledger/fall/2026-09-03/a/x.json';
    expect(await storage.replaceIf(key, 'x', 'no-such-version')).toBe(false);
    expect(await storage.head(key)).toBeUndefined();
    await storage.put(key, 'held by one');
    const held = (await storage.getVersioned(key))!;
    await storage.put(key, 'taken over');
    expect(await storage.deleteIf(key, held.version)).toBe(false);
    expect((await storage.getBuffer(key)).toString()).toBe('taken over');
    const taken = (await storage.getVersioned(key))!;
    expect(await storage.deleteIf(key, taken.version)).toBe(true);
    expect(await storage.head(key)).toBeUndefined();
    expect(await storage.deleteIf(key, taken.version)).toBe(true);
    // Nothing of the locks shows as an object.
    const listed: string[] = [];
    for await (const o of storage.list('')) listed.push(o.key);
    expect(listed.filter((k) => k.includes('lock'))).toEqual([]);
  });

  it('three processes incrementing one counter by swaps lose no update', async () => {
    const key = 'probes/cas/counter.txt';
    const rounds = 25;
    await storage.put(key, '0');
    const go = join(root, 'go');
    const racers = Array.from({ length: 3 }, () => {
      const child = spawn(
        process.execPath,
        ['-r', './test/fakes/register.js', 'test/unit/storage/cas-racer.ts', root, key, String(rounds), go],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const ready = new Promise<void>((resolve) => {
        const check = () => (out.includes('READY') ? resolve() : child.stdout.once('data', check));
        check();
      });
      const done = new Promise<{ won: number; lost: number }>((resolve, reject) =>
        child.on('exit', (code) =>
          code === 0 ? resolve(JSON.parse(out.split('\n')[1])) : reject(new Error(`racer exited ${code}`)),
        ),
      );
      return { ready, done };
    });
    await Promise.all(racers.map((r) => r.ready));
    writeFileSync(go, '');
    const results = await Promise.all(racers.map((r) => r.done));
    // Every won swap is one increment: two swaps of one version both winning would lose one.
    expect(results.map((r) => r.won)).toEqual([rounds, rounds, rounds]);
    expect((await storage.getBuffer(key)).toString()).toBe(String(3 * rounds));
    // They did contend: some swaps lost to another process and were retried.
    expect(results.reduce((n, r) => n + r.lost, 0)).toBeGreaterThan(0);
  }, 60_000);

  it('a lock left by a process that died holding it is broken; a live one is waited for', async () => {
    const key = 'ledger/fall/2026-09-04/a/x.json';
    await storage.put(key, 'claimed');
    const { version } = (await storage.getVersioned(key))!;
    const lock = join(root, '.locks', 'ledger', 'fall', '2026-09-04', 'a', 'x.json.lock');
    mkdirSync(join(lock, '..'), { recursive: true });

    writeFileSync(lock, '4242 live');
    let settled = false;
    const waiting = storage.replaceIf(key, 'taken over', version).then((r) => ((settled = true), r));
    await new Promise((r) => setTimeout(r, 300));
    expect(settled).toBe(false);
    rmSync(lock);
    expect(await waiting).toBe(true);

    writeFileSync(lock, '4242 dead');
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    const current = (await storage.getVersioned(key))!;
    expect(await storage.replaceIf(key, 'published', current.version)).toBe(true);
    expect((await storage.getBuffer(key)).toString()).toBe('published');
  });
});
