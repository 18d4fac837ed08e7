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
import { dirname, join, relative, sep } from 'node:path';
import { randomUUID } from 'node:crypto';
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
} from './storage';

const META_DIR = '.meta';
const TMP_DIR = '.tmp';

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
      if (key.startsWith(`${META_DIR}/`) || key.startsWith(`${TMP_DIR}/`) || !key.startsWith(prefix))
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

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const nested = await Promise.all(
    entries.map((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : Promise.resolve(e.isFile() ? [join(dir, e.name)] : []),
    ),
  );
  return nested.flat().sort();
}
