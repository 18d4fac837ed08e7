import { createReadStream, createWriteStream } from 'node:fs';
import {
  copyFile,
  link,
  mkdir,
  open,
  readFile,
  readdir,
  rm,
  stat,
  writeFile,
  rename,
} from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname, join, relative, sep } from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import {
  checkKey,
  DiskFullError,
  isDiskFull,
  ObjectNotFoundError,
  type Body,
  type ByteRange,
  type ObjectStorage,
  type PutOptions,
  type StoredObject,
  type Versioned,
} from './storage';

const META_DIR = '.meta';
const TMP_DIR = '.tmp';
const LOCK_DIR = '.locks';
/**
 * A key's lock is held for a read and a rename (milliseconds). One older than this was left by
 * a process that died holding it, and is broken.
 */
const LOCK_STALE_MS = 10_000;

/** Objects as plain files under `root`; metadata in a sidecar tree, writes atomic via rename. */
export class FsStorage implements ObjectStorage {
  readonly kind = 'fs' as const;

  /**
   * `setting` names what moves this folder to another volume, for the message when it is full
   * (the default storage lives in `<dataDir>/storage`).
   */
  constructor(
    readonly root: string,
    readonly setting = 'dataDir (REELCAST_DATA_DIR; storage is its storage/ folder)',
  ) {}

  async put(key: string, body: Body, options: PutOptions = {}): Promise<StoredObject> {
    return this.#writing(() => this.#put(key, body, options));
  }

  async putFile(key: string, path: string, options: PutOptions = {}): Promise<StoredObject> {
    return this.#writing(() => this.#putFile(key, path, options));
  }

  async createIfAbsent(key: string, body: Body, options: PutOptions = {}): Promise<boolean> {
    return this.#writing(() => this.#createIfAbsent(key, body, options));
  }

  async getVersioned(key: string): Promise<Versioned | undefined> {
    const body = await this.#readIfFile(key);
    return body && { body, version: versionOf(body) };
  }

  async replaceIf(
    key: string,
    body: Buffer | string,
    version: string,
    options: PutOptions = {},
  ): Promise<boolean> {
    return this.#writing(async () => {
      const tmp = await this.#writeTemp(body);
      try {
        return await this.#locked(key, async (stillMine) => {
          const current = await this.#readIfFile(key);
          if (!current || versionOf(current) !== version) return false;
          await this.#writeMeta(key, options);
          await stillMine();
          await rename(tmp, this.#path(key));
          return true;
        });
      } finally {
        await rm(tmp, { force: true });
      }
    });
  }

  async deleteIf(key: string, version: string): Promise<boolean> {
    return this.#writing(() =>
      this.#locked(key, async (stillMine) => {
        const current = await this.#readIfFile(key);
        if (!current) return true;
        if (versionOf(current) !== version) return false;
        await stillMine();
        await this.delete(key);
        return true;
      }),
    );
  }

  /**
   * Runs `critical` holding the key's lock: a file under .locks/ made with link(), which fails
   * with EEXIST atomically, so across processes one holder at a time. Other writers wait, polling.
   * `stillMine` throws LockLost when the lock was broken as stale meanwhile (a holder stalled
   * for LOCK_STALE_MS); the whole step then runs again under a fresh lock.
   */
  async #locked<T>(key: string, critical: (stillMine: () => Promise<void>) => Promise<T>): Promise<T> {
    const lock = join(this.root, LOCK_DIR, ...checkKey(key).split('/')) + '.lock';
    for (;;) {
      const token = await this.#acquire(lock);
      try {
        return await critical(async () => {
          if ((await readFile(lock, 'utf8').catch(() => undefined)) !== token) throw new LockLost();
        });
      } catch (err) {
        if (!(err instanceof LockLost)) throw err;
      } finally {
        if ((await readFile(lock, 'utf8').catch(() => undefined)) === token) await rm(lock, { force: true });
      }
    }
  }

  async #acquire(lock: string): Promise<string> {
    const token = `${process.pid} ${randomUUID()}`;
    const mine = await this.#writeTemp(token);
    try {
      await mkdir(dirname(lock), { recursive: true });
      for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
        try {
          await link(mine, lock);
          return token;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
        await breakIfStale(lock, join(this.root, TMP_DIR));
        await sleep(wait + Math.random() * wait);
      }
    } finally {
      await rm(mine, { force: true });
    }
  }

  /** The file's bytes, or undefined when there is no file under the key. */
  async #readIfFile(key: string): Promise<Buffer | undefined> {
    return readFile(this.#path(key)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'EISDIR' || err.code === 'ENOTDIR') return undefined;
      throw err;
    });
  }

  /** A full volume becomes DiskFullError, which says where and what to change. */
  async #writing<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      if (isDiskFull(err)) throw new DiskFullError(this.root, 'local storage', this.setting);
      throw err;
    }
  }

  async #put(key: string, body: Body, options: PutOptions): Promise<StoredObject> {
    const tmp = await this.#writeTemp(body);
    const target = this.#path(key);
    await mkdir(dirname(target), { recursive: true });
    await this.#writeMeta(key, options);
    await rename(tmp, target);
    return (await this.head(key))!;
  }

  async #putFile(key: string, path: string, options: PutOptions): Promise<StoredObject> {
    const tmp = join(this.root, TMP_DIR, randomUUID());
    await mkdir(dirname(tmp), { recursive: true });
    try {
      await copyFile(path, tmp);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    const target = this.#path(key);
    await mkdir(dirname(target), { recursive: true });
    await this.#writeMeta(key, options);
    await rename(tmp, target);
    return (await this.head(key))!;
  }

  async #createIfAbsent(key: string, body: Body, options: PutOptions): Promise<boolean> {
    const tmp = await this.#writeTemp(body);
    const target = this.#path(key);
    await mkdir(dirname(target), { recursive: true });
    try {
      // link() fails with EEXIST atomically: two racing writers cannot both win.
      await link(tmp, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    } finally {
      await rm(tmp, { force: true });
    }
    await this.#writeMeta(key, options);
    return true;
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    await this.#statOrThrow(key);
    return createReadStream(this.#path(key), range);
  }

  async readInto(key: string, position: number, into: Buffer): Promise<number> {
    const file = await open(this.#path(key)).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' ? new ObjectNotFoundError(key) : err;
    });
    try {
      return (await file.read(into, 0, into.length, position)).bytesRead;
    } finally {
      await file.close();
    }
  }

  async getBuffer(key: string): Promise<Buffer> {
    await this.#statOrThrow(key);
    return readFile(this.#path(key));
  }

  async head(key: string): Promise<StoredObject | undefined> {
    const s = await stat(this.#path(key)).catch(() => undefined);
    if (!s?.isFile()) return undefined;
    const meta = await readFile(this.#metaPath(key), 'utf8')
      .then((t) => JSON.parse(t) as PutOptions)
      .catch(() => ({}) as PutOptions);
    return {
      key,
      size: s.size,
      contentType: meta.contentType,
      metadata: meta.metadata ?? {},
      etag: `"${s.ino.toString(16)}-${s.size.toString(16)}-${Math.floor(s.mtimeMs).toString(16)}"`,
      modifiedAt: s.mtime,
    };
  }

  async delete(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
    await rm(this.#metaPath(key), { force: true });
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    for (const file of await walk(this.root)) {
      const key = relative(this.root, file).split(sep).join('/');
      if (
        key.startsWith(`${META_DIR}/`) ||
        key.startsWith(`${TMP_DIR}/`) ||
        key.startsWith(`${LOCK_DIR}/`) ||
        !key.startsWith(prefix)
      )
        continue;
      const obj = await this.head(key);
      if (obj) yield obj;
    }
  }

  async urlFor(key: string): Promise<string> {
    await this.#statOrThrow(key);
    return pathToFileURL(this.#path(key)).href;
  }

  #path(key: string): string {
    return join(this.root, ...checkKey(key).split('/'));
  }

  #metaPath(key: string): string {
    return join(this.root, META_DIR, ...checkKey(key).split('/')) + '.json';
  }

  async #writeMeta(key: string, options: PutOptions): Promise<void> {
    const path = this.#metaPath(key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(
      path,
      JSON.stringify({ contentType: options.contentType, metadata: options.metadata ?? {} }),
    );
  }

  async #writeTemp(body: Body): Promise<string> {
    const tmp = join(this.root, TMP_DIR, randomUUID());
    await mkdir(dirname(tmp), { recursive: true });
    try {
      if (typeof body === 'string' || Buffer.isBuffer(body)) await writeFile(tmp, body);
      else await pipeline(body, createWriteStream(tmp));
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return tmp;
  }

  async #statOrThrow(key: string): Promise<void> {
    if (!(await this.head(key))) throw new ObjectNotFoundError(key);
  }
}

/** An object's version: the hash of its bytes (ObjectStorage.getVersioned). */
function versionOf(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

/** The key's lock was broken as stale while its holder still ran: the holder starts over. */
class LockLost extends Error {}

/**
 * Breaks a lock left by a process that died holding it. It is moved aside first (rename is
 * atomic, so of two breakers one moves it); when what was moved turns out to be a fresh lock
 * taken meanwhile, it is put back.
 */
async function breakIfStale(lock: string, tmpDir: string): Promise<void> {
  const s = await stat(lock).catch(() => undefined);
  if (!s || Date.now() - s.mtimeMs < LOCK_STALE_MS) return;
  const stale = await readFile(lock, 'utf8').catch(() => undefined);
  if (stale === undefined) return;
  const aside = join(tmpDir, `${randomUUID()}.lock`);
  await mkdir(tmpDir, { recursive: true });
  if (
    !(await rename(lock, aside).then(
      () => true,
      () => false,
    ))
  )
    return;
  if ((await readFile(aside, 'utf8').catch(() => stale)) !== stale)
    await link(aside, lock).catch(() => undefined);
  await rm(aside, { force: true });
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const nested = await Promise.all(
    entries.map((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : Promise.resolve(e.isFile() ? [join(dir, e.name)] : []),
    ),
  );
  return nested.flat().sort();
}
