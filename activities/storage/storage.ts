import type { Readable } from 'node:stream';

/** What storage knows about one object. */
export interface StoredObject {
  key: string;
  size: number;
  contentType?: string;
  metadata: Record<string, string>;
  /** Changes whenever the bytes change (S3 ETag; size and mtime for files). */
  etag?: string;
  modifiedAt?: Date;
}

export interface PutOptions {
  contentType?: string;
  /** Small string metadata kept with the object (model id, preset, content hash...). */
  metadata?: Record<string, string>;
}

/** An object's bytes with the version they were read at (see ObjectStorage.getVersioned). */
export interface Versioned {
  body: Buffer;
  version: string;
}

/** Bytes `start` to `end` of an object, both inclusive (as in HTTP Range). */
export interface ByteRange {
  start: number;
  end: number;
}

export type Body = Buffer | string | Readable;

/**
 * The one storage interface. Keys are `/`-separated, relative, without `..`.
 * Implementations: local files (embedded default) and S3-compatible servers.
 */
export interface ObjectStorage {
  readonly kind: 'fs' | 's3';
  /** Writes the whole object or nothing: readers never see a partial object. */
  put(key: string, body: Body, options?: PutOptions): Promise<StoredObject>;
  /**
   * Stores a local file (a finished rendition, say), whole or not at all. Preferred over
   * put(createReadStream(path)) for large files: memory stays at a few part buffers.
   */
  putFile(key: string, path: string, options?: PutOptions): Promise<StoredObject>;
  /** Like put, but only when no object has that key. Returns false when one already existed. */
  createIfAbsent(key: string, body: Body, options?: PutOptions): Promise<boolean>;
  /**
   * The object's bytes and their version, or undefined when absent: the version is what
   * replaceIf and deleteIf compare against. It names the bytes (S3 ETag; a content hash for
   * files), so an object rewritten with the same bytes keeps its version.
   */
  getVersioned(key: string): Promise<Versioned | undefined>;
  /**
   * Compare-and-swap: replaces the object only while it still has `version`. Returns false when
   * it has changed or is gone since it was read; of two writers swapping the same version,
   * exactly one gets true. For small bodies (ledger entries).
   */
  replaceIf(key: string, body: Buffer | string, version: string, options?: PutOptions): Promise<boolean>;
  /**
   * Deletes the object only while it still has `version`. Returns false when it holds other
   * bytes now; true when this call deleted it or it was already gone.
   */
  deleteIf(key: string, version: string): Promise<boolean>;
  /**
   * Streams the object, or only bytes `start` to `end` (inclusive) of it (Studio's video seeking).
   * Throws ObjectNotFoundError when absent.
   */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /**
   * Reads the object's bytes from `position` into `into` (up to its length) and answers how many
   * it read, 0 past the end: no new buffer per read, so an upload can refill one buffer
   * (activities/publish/range-reader.ts). Optional; a store without it is read with get. Throws
   * ObjectNotFoundError when absent.
   */
  readInto?(key: string, position: number, into: Buffer): Promise<number>;
  getBuffer(key: string): Promise<Buffer>;
  head(key: string): Promise<StoredObject | undefined>;
  delete(key: string): Promise<void>;
  list(prefix: string): AsyncIterable<StoredObject>;
  /** A URL a person can open: presigned GET for S3, file:// for local files. */
  urlFor(key: string, expiresInSeconds?: number): Promise<string>;
}

export class ObjectNotFoundError extends Error {
  override readonly name = 'ObjectNotFoundError';
  constructor(readonly key: string) {
    super(`no object stored under ${key}`);
  }
}

/**
 * The S3 server ignores or rejects a conditional write (`If-None-Match: *` for createIfAbsent,
 * `If-Match` for replaceIf and deleteIf), so the ledger's changes cannot be atomic there.
 */
export class ConditionalWriteUnsupportedError extends Error {
  override readonly name = 'ConditionalWriteUnsupportedError';
  constructor(
    readonly endpoint: string,
    readonly condition = 'PUT with If-None-Match: *',
  ) {
    super(
      `the S3 server at ${endpoint} does not support conditional writes (${condition}), which the publish ledger needs to publish at most once: use a server that does (AWS S3, versitygw 1.8 or later) or storage.kind: fs`,
    );
  }
}

export class InvalidKeyError extends Error {
  override readonly name = 'InvalidKeyError';
  constructor(readonly key: string) {
    super(
      `storage key ${JSON.stringify(key)} is not allowed: use relative, /-separated names without "..", empty parts or a leading /`,
    );
  }
}

export function checkKey(key: string): string {
  if (
    !key ||
    key.startsWith('/') ||
    key.endsWith('/') ||
    key.split('/').some((p) => p === '' || p === '.' || p === '..') ||
    key.includes('\\')
  ) {
    throw new InvalidKeyError(key);
  }
  return key;
}

/**
 * The S3 server could not be reached, or the connection broke, while storing or reading `key`.
 * Retryable: nothing half-written is visible under the key (an interrupted multipart upload is
 * aborted, or swept by the next upload of that key), so the activity's retry uploads it again.
 */
export class StorageUnavailableError extends Error {
  override readonly name = 'StorageUnavailableError';
  constructor(
    readonly endpoint: string,
    readonly key: string,
    readonly detail: string,
  ) {
    super(
      `the S3 server at ${endpoint} is unreachable (${detail}) while storing ${key}; nothing partial was kept under that key and the upload is tried again. Check that the server runs and S3_ENDPOINT points at it.`,
    );
  }
}

/**
 * The volume under `path` is full (ENOSPC) or over its quota (EDQUOT). Retryable: the post
 * finishes once space is freed. `setting` names what moves the folder elsewhere.
 */
export class DiskFullError extends Error {
  override readonly name = 'DiskFullError';
  constructor(
    readonly path: string,
    readonly what: string,
    readonly setting: string,
  ) {
    super(
      `the disk is full: no space left for ${what} in ${path}. Free space there (the post is retried and finishes once there is room), or move it to a bigger volume with ${setting}.`,
    );
  }
}

/** Whether a Node file-system error means the volume is full. */
export function isDiskFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
