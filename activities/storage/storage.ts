import type { Readable } from 'node:stream';

/** What storage knows about one object. */
export interface StoredObject {
  key: string;
  size: number;
  contentType?: string;
  metadata: Record<string, string>;
}

export interface PutOptions {
  contentType?: string;
  /** Small string metadata kept with the object (model id, preset, content hash...). */
  metadata?: Record<string, string>;
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
  /** Like put, but only when no object has that key. Returns false when one already existed. */
  createIfAbsent(key: string, body: Body, options?: PutOptions): Promise<boolean>;
  /** Streams the object. Throws ObjectNotFoundError when absent. */
  get(key: string): Promise<Readable>;
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
