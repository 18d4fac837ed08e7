import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { randomUUID } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  checkKey,
  ConditionalWriteUnsupportedError,
  ObjectNotFoundError,
  StorageUnavailableError,
  type Body,
  type ByteRange,
  type ObjectStorage,
  type PutOptions,
  type StoredObject,
  type Versioned,
} from './storage';

export interface S3StorageOptions {
  endpoint?: string;
  region: string;
  bucket: string;
  forcePathStyle: boolean;
  checksum: 'when_supported' | 'when_required';
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Multipart part size for streamed uploads (S3 minimum is 5 MiB). */
  partSize?: number;
  /** Parts uploaded at once. Memory is about (queueSize + 1) × partSize. */
  queueSize?: number;
}

const MAX_PARTS = 10_000;
/** What replaceIf and deleteIf send, for the message when a server does not honour it. */
const IF_MATCH = 'PUT and DELETE with If-Match';
/** A well-formed ETag no object has: the probe's stale version. */
const NO_SUCH_ETAG = `"${'0'.repeat(32)}"`;

/** Objects in an S3-compatible bucket. Streams use multipart uploads; small bodies one PUT. */
export class S3Storage implements ObjectStorage {
  readonly kind = 's3' as const;
  readonly client: S3Client;
  readonly bucket: string;
  readonly #partSize: number;
  readonly #queueSize: number;
  readonly #endpoint: string;
  /** Whether the server honours If-Match, probed before the first conditional replace or delete. */
  #conditionalReplace?: Promise<boolean>;

  constructor(options: S3StorageOptions) {
    const checksum = options.checksum === 'when_supported' ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED';
    this.client = new S3Client({
      endpoint: options.endpoint,
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      requestChecksumCalculation: checksum,
      responseChecksumValidation: checksum,
      credentials:
        options.accessKeyId && options.secretAccessKey
          ? { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey }
          : undefined,
    });
    this.bucket = options.bucket;
    this.#partSize = options.partSize ?? 8 * 1024 * 1024;
    this.#queueSize = options.queueSize ?? 2;
    this.#endpoint = options.endpoint ?? `s3.${options.region}.amazonaws.com`;
  }

  /** Creates the bucket when it does not exist yet. */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    }
  }

  /**
   * Whether the server really honours If-None-Match on PUT: some S3-compatible servers ignore
   * it and overwrite, which would let two publishes both claim a post. For `reelcast doctor`.
   */
  async supportsConditionalCreate(): Promise<boolean> {
    const key = `probes/conditional-create/${randomUUID()}`;
    try {
      if (!(await this.createIfAbsent(key, 'first'))) return false;
      return !(await this.createIfAbsent(key, 'second'));
    } catch (err) {
      if (err instanceof ConditionalWriteUnsupportedError) return false;
      throw err;
    } finally {
      await this.delete(key).catch(() => undefined);
    }
  }

  /**
   * Whether the server really honours If-Match on PUT and DELETE: one that ignores it would
   * overwrite a ledger entry another attempt changed, and both would post. replaceIf and
   * deleteIf ask this once per storage and refuse to run against such a server.
   */
  async supportsConditionalReplace(): Promise<boolean> {
    const key = `probes/conditional-replace/${randomUUID()}`;
    try {
      await this.#putObject(key, 'first', {});
      const first = await this.getVersioned(key);
      if (!first) return false;
      // A stale version is refused and changes nothing; the current one is accepted once.
      if (await this.#replaceIf(key, 'second', NO_SUCH_ETAG, {})) return false;
      if (!(await this.#replaceIf(key, 'third', first.version, {}))) return false;
      if (await this.#replaceIf(key, 'fourth', first.version, {})) return false;
      const third = await this.getVersioned(key);
      if (third?.body.toString() !== 'third') return false;
      if (await this.#deleteIf(key, first.version)) return false;
      if (!(await this.head(key))) return false;
      return await this.#deleteIf(key, third.version);
    } catch (err) {
      if (err instanceof ConditionalWriteUnsupportedError) return false;
      throw err;
    } finally {
      await this.delete(key).catch(() => undefined);
    }
  }

  async #requireConditionalReplace(): Promise<void> {
    this.#conditionalReplace ??= this.supportsConditionalReplace().catch((err: unknown) => {
      // Not an answer (the server was unreachable, say): ask again next time.
      this.#conditionalReplace = undefined;
      throw err;
    });
    if (!(await this.#conditionalReplace))
      throw new ConditionalWriteUnsupportedError(this.#endpoint, IF_MATCH);
  }

  async put(key: string, body: Body, options: PutOptions = {}): Promise<StoredObject> {
    checkKey(key);
    if (body instanceof Readable) {
      // lib-storage buffers one part at a time, so memory stays bounded for any size.
      const upload = new Upload({
        client: this.client,
        params: {
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: options.contentType,
          Metadata: options.metadata,
        },
        partSize: this.#partSize,
        queueSize: this.#queueSize,
        leavePartsOnError: false,
      });
      await this.#storing(key, () => upload.done());
      return this.#stored(key);
    }
    await this.#storing(key, () => this.#putObject(key, body, options));
    return (await this.head(key))!;
  }

  /**
   * Runs one upload of `key`; a server that cannot be reached becomes StorageUnavailableError.
   * Its upload may then be left behind (the abort could not reach the server either): the next
   * successful upload of the key sweeps it (#stored).
   */
  async #storing<T>(key: string, upload: () => Promise<T>): Promise<T> {
    try {
      return await upload();
    } catch (err) {
      const cause = unreachable(err);
      if (cause) throw new StorageUnavailableError(this.#endpoint, key, cause);
      throw err;
    }
  }

  /**
   * After `key` was stored whole by a multipart-capable upload: aborts the multipart uploads of that key begun before it was
   * written (a worker killed mid-upload, or an upload whose abort could not reach the server), so
   * no orphan parts stay behind to fill the bucket. A concurrent upload of the same key writes the
   * same bytes (keys are content hashes or per post), and accepts the object it finds.
   */
  async #stored(key: string): Promise<StoredObject> {
    const object = (await this.head(key))!;
    const writtenAt = object.modifiedAt?.getTime() ?? Date.now();
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      const page = await this.client.send(
        new ListMultipartUploadsCommand({
          Bucket: this.bucket,
          Prefix: key,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
      );
      for (const upload of page.Uploads ?? []) {
        if (upload.Key !== key || !upload.UploadId) continue;
        if (upload.Initiated && upload.Initiated.getTime() > writtenAt) continue;
        await this.client
          .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: upload.UploadId }))
          .catch((err: unknown) => {
            if (statusOf(err) !== 404) throw err;
          });
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker);
    return object;
  }

  /**
   * One PUT of bytes already in memory; `IfNoneMatch: '*'` makes it a conditional create,
   * `IfMatch` a conditional replace.
   */
  async #putObject(
    key: string,
    body: Buffer | string,
    options: PutOptions,
    condition: { IfNoneMatch?: '*'; IfMatch?: string } = {},
  ): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        // Said outright: the SDK leaves the header off an empty body, then warns of a stream.
        ContentLength: Buffer.byteLength(body),
        ContentType: options.contentType,
        Metadata: options.metadata,
        ...condition,
      }),
    );
  }

  async putFile(key: string, path: string, options: PutOptions = {}): Promise<StoredObject> {
    checkKey(key);
    const file = await open(path, 'r');
    try {
      const { size } = await file.stat();
      if (size <= this.#partSize) {
        const bytes = Buffer.allocUnsafe(size);
        await readFully(file, bytes, size, 0);
        await this.#storing(key, () => this.#putObject(key, bytes, options));
        return (await this.head(key))!;
      }
      await this.#storing(key, () => this.#multipartFromFile(key, file, size, options));
    } finally {
      await file.close();
    }
    return this.#stored(key);
  }

  /**
   * Multipart upload straight from the file: each of `queueSize` uploaders reads its part into
   * its own buffer, reused for every part it sends. lib-storage would copy each part out of the
   * stream's chunks, and those copies wait for the garbage collector; this keeps a 200 MB upload
   * within a few part buffers. Any failure aborts the upload, so no parts are left behind.
   */
  async #multipartFromFile(key: string, file: FileHandle, size: number, options: PutOptions): Promise<void> {
    const partSize = Math.max(this.#partSize, Math.ceil(size / MAX_PARTS));
    const count = Math.ceil(size / partSize);
    const withChecksum = (await this.client.config.requestChecksumCalculation()) === 'WHEN_SUPPORTED';
    const { UploadId } = await this.client.send(
      new CreateMultipartUploadCommand({
        Bucket: this.bucket,
        Key: key,
        ContentType: options.contentType,
        Metadata: options.metadata,
        ...(withChecksum ? { ChecksumAlgorithm: 'CRC32' as const } : {}),
      }),
    );
    const parts: CompletedPart[] = [];
    let next = 1;
    let failed = false;
    const uploader = async (): Promise<void> => {
      const buffer = Buffer.allocUnsafeSlow(partSize);
      while (!failed && next <= count) {
        const partNumber = next++;
        const offset = (partNumber - 1) * partSize;
        const length = Math.min(partSize, size - offset);
        await readFully(file, buffer, length, offset);
        const out = await this.client.send(
          new UploadPartCommand({
            Bucket: this.bucket,
            Key: key,
            UploadId,
            PartNumber: partNumber,
            Body: buffer.subarray(0, length),
            ContentLength: length,
          }),
        );
        parts.push({ PartNumber: partNumber, ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32 });
      }
    };
    try {
      // Every uploader stops before the abort, so no part can land after it.
      const settled = await Promise.allSettled(
        Array.from({ length: Math.min(this.#queueSize, count) }, () =>
          uploader().catch((err: unknown) => {
            failed = true;
            throw err;
          }),
        ),
      );
      const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure) throw failure.reason;
      parts.sort((a, b) => a.PartNumber! - b.PartNumber!);
      await this.client
        .send(
          new CompleteMultipartUploadCommand({
            Bucket: this.bucket,
            Key: key,
            UploadId,
            MultipartUpload: { Parts: parts },
          }),
        )
        .catch(async (err: unknown) => {
          // A concurrent upload of the same key finished first and swept this one: its object
          // has the same bytes, so this upload is done too.
          if (statusOf(err) === 404 && (await this.head(key))?.size === size) return;
          throw err;
        });
    } catch (err) {
      await this.client
        .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId }))
        .catch(() => undefined);
      throw err;
    }
  }

  async createIfAbsent(key: string, body: Body, options: PutOptions = {}): Promise<boolean> {
    checkKey(key);
    const bytes = body instanceof Readable ? await collect(body) : body;
    try {
      await this.#putObject(key, bytes, options, { IfNoneMatch: '*' });
      return true;
    } catch (err) {
      // 412: someone else created it first. 409 ConditionalRequestConflict: a racing write was in
      // flight; the other writer wins, which is the same answer.
      const status = statusOf(err);
      if (status === 412 || status === 409) return false;
      if (status === 501) throw new ConditionalWriteUnsupportedError(this.#endpoint);
      throw err;
    }
  }

  async getVersioned(key: string): Promise<Versioned | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: checkKey(key) }));
      const body = await collect(out.Body as Readable);
      if (!out.ETag) throw new ConditionalWriteUnsupportedError(this.#endpoint, IF_MATCH);
      return { body, version: out.ETag };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async replaceIf(
    key: string,
    body: Buffer | string,
    version: string,
    options: PutOptions = {},
  ): Promise<boolean> {
    checkKey(key);
    await this.#requireConditionalReplace();
    return this.#replaceIf(key, body, version, options);
  }

  async #replaceIf(
    key: string,
    body: Buffer | string,
    version: string,
    options: PutOptions,
  ): Promise<boolean> {
    try {
      await this.#putObject(key, body, options, { IfMatch: version });
      return true;
    } catch (err) {
      // 412: the object has other bytes now. 404: it is gone. 409 ConditionalRequestConflict: a
      // racing write was in flight; the object is changing, so this version is no longer it.
      const status = statusOf(err);
      if (status === 412 || status === 404 || status === 409) return false;
      if (status === 501) throw new ConditionalWriteUnsupportedError(this.#endpoint, IF_MATCH);
      throw err;
    }
  }

  async deleteIf(key: string, version: string): Promise<boolean> {
    checkKey(key);
    await this.#requireConditionalReplace();
    return this.#deleteIf(key, version);
  }

  async #deleteIf(key: string, version: string): Promise<boolean> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key, IfMatch: version }));
      return true;
    } catch (err) {
      const status = statusOf(err);
      if (status === 404) return true;
      if (status === 412 || status === 409) return false;
      if (status === 501) throw new ConditionalWriteUnsupportedError(this.#endpoint, IF_MATCH);
      throw err;
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: checkKey(key),
          Range: range ? `bytes=${range.start}-${range.end}` : undefined,
        }),
      );
      return out.Body as Readable;
    } catch (err) {
      if (statusOf(err) === 404) throw new ObjectNotFoundError(key);
      throw err;
    }
  }

  async getBuffer(key: string): Promise<Buffer> {
    return collect(await this.get(key));
  }

  async head(key: string): Promise<StoredObject | undefined> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: checkKey(key) }));
      return {
        key,
        size: out.ContentLength ?? 0,
        contentType: out.ContentType,
        metadata: out.Metadata ?? {},
        etag: out.ETag,
        modifiedAt: out.LastModified,
      };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: checkKey(key) }));
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const item of page.Contents ?? []) {
        yield {
          key: item.Key!,
          size: item.Size ?? 0,
          metadata: {},
          etag: item.ETag,
          modifiedAt: item.LastModified,
        };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async urlFor(key: string, expiresInSeconds = 3600): Promise<string> {
    // A link to nothing would only confuse the person opening it.
    if (!(await this.head(key))) throw new ObjectNotFoundError(key);
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: checkKey(key) }), {
      expiresIn: expiresInSeconds,
    });
  }
}

/**
 * Why the server could not be talked to, or undefined when it answered. The SDK stamps
 * `$metadata` on every error of a request; without an HTTP status no answer came at all.
 */
function unreachable(err: unknown): string | undefined {
  const e = err as { code?: string; message?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  if (!e?.$metadata || e.$metadata.httpStatusCode !== undefined) return undefined;
  // The SDK wraps errors from another realm (a test runner's sandbox) as "AWS SDK error wrapper for …".
  return e.code ?? e.message?.replace(/^AWS SDK error wrapper for /, '') ?? 'no answer';
}

function statusOf(err: unknown): number | undefined {
  if (err instanceof S3ServiceException) return err.$metadata.httpStatusCode;
  return (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

async function readFully(file: FileHandle, buffer: Buffer, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await file.read(buffer, done, length - done, position + done);
    if (bytesRead === 0)
      throw new Error(`file ended early: ${length - done} bytes missing at offset ${position + done}`);
    done += bytesRead;
  }
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}
