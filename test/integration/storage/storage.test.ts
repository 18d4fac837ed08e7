import {
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { loadConfig } from '../../../config';
import {
  FsStorage,
  ObjectNotFoundError,
  openStorage,
  renditionKey,
  S3Storage,
  type ObjectStorage,
} from '../../../activities/storage';

const MiB = 1024 * 1024;
const config = loadConfig();
const s3Options = {
  endpoint: config.storage.s3.endpoint,
  region: config.storage.s3.region,
  bucket: config.storage.s3.bucket,
  forcePathStyle: true,
  accessKeyId: config.storage.s3.accessKeyId!.reveal(),
  secretAccessKey: config.storage.s3.secretAccessKey!.reveal(),
};

/** A stream of `total` bytes in 1 MiB chunks that fails after `failAfter` bytes, like a dropped source. */
function streamOf(bytes: Buffer, failAfter?: number): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (failAfter !== undefined && offset >= failAfter) {
        this.destroy(new Error('source connection dropped'));
        return;
      }
      if (offset >= bytes.length) return void this.push(null);
      const end = Math.min(offset + MiB, bytes.length);
      this.push(bytes.subarray(offset, end));
      offset = end;
    },
  });
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const rendition = (tag: string): string => renditionKey(sha(Buffer.from(tag)).slice(0, 32), 'x');

const fsRoot = mkdtempSync(join(tmpdir(), 'reelcast-fs-storage-'));
const kinds: Array<[string, () => ObjectStorage]> = [
  ['s3', () => openStorage(config)],
  ['fs', () => new FsStorage(fsRoot)],
];

beforeAll(async () => {
  const s3 = new S3Storage({ ...s3Options, checksum: 'when_required' });
  await s3.ensureBucket();
  s3.client.destroy();
});
afterAll(() => rmSync(fsRoot, { recursive: true, force: true }));

describe.each(kinds)('%s storage', (kind, open) => {
  const storage = open();

  it('streams a rendition over 5 MiB and reads back the same bytes', async () => {
    const bytes = randomBytes(12 * MiB + 123);
    const key = rendition(`big-${kind}`);
    const stored = await storage.put(key, streamOf(bytes), {
      contentType: 'video/mp4',
      metadata: { preset: 'x' },
    });
    expect(stored.size).toBe(bytes.length);
    const head = await storage.head(key);
    expect(head).toMatchObject({ contentType: 'video/mp4', metadata: { preset: 'x' }, size: bytes.length });
    expect(sha(await storage.getBuffer(key))).toBe(sha(bytes));
  });

  it('stores a local file whole, with its content type', async () => {
    const bytes = randomBytes(10 * MiB + 5);
    const file = join(fsRoot, `..`, `reelcast-putfile-${kind}-${process.pid}.mp4`);
    writeFileSync(file, bytes);
    try {
      const key = rendition(`file-${kind}`);
      const stored = await storage.putFile(key, file, {
        contentType: 'video/mp4',
        metadata: { preset: 'x' },
      });
      expect(stored).toMatchObject({
        size: bytes.length,
        contentType: 'video/mp4',
        metadata: { preset: 'x' },
      });
      expect(sha(await storage.getBuffer(key))).toBe(sha(bytes));
    } finally {
      rmSync(file, { force: true });
    }
  });

  it('creates an object only when absent: the second writer gets false and the first bytes stay', async () => {
    const key = `ledger/spring/2026-03-01/morning-${kind}/x.json`;
    const results = await Promise.all([
      storage.createIfAbsent(key, '{"by":"a"}'),
      storage.createIfAbsent(key, '{"by":"b"}'),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = (await storage.getBuffer(key)).toString();
    expect(await storage.createIfAbsent(key, '{"by":"c"}')).toBe(false);
    expect((await storage.getBuffer(key)).toString()).toBe(winner);
  });

  it('stores an empty caption and a CJK one as they are, with nothing printed to the worker log', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const empty = await storage.put(`outbox/quiet-${kind}/x/caption.txt`, '', {
        contentType: 'text/plain',
      });
      const cjk = await storage.put(`outbox/quiet-${kind}/reels/caption.txt`, '红包雨飘落 #新年');
      expect([empty.size, cjk.size]).toEqual([0, Buffer.byteLength('红包雨飘落 #新年')]);
      expect((await storage.getBuffer(cjk.key)).toString()).toBe('红包雨飘落 #新年');
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it('gives a URL a person can open, and refuses one for a missing object', async () => {
    const key = `previews/${'ab'.repeat(16)}-${kind}.mp4`;
    const bytes = randomBytes(64 * 1024);
    await storage.put(key, bytes, { contentType: 'video/mp4' });
    const url = await storage.urlFor(key, 120);
    if (kind === 's3') {
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('video/mp4');
      expect(sha(Buffer.from(await res.arrayBuffer()))).toBe(sha(bytes));
    } else {
      expect(sha(readFileSync(fileURLToPath(url)))).toBe(sha(bytes));
    }
    await expect(storage.urlFor(`previews/${'cd'.repeat(16)}.mp4`)).rejects.toBeInstanceOf(
      ObjectNotFoundError,
    );
  });

  it('leaves no object when an upload is interrupted, and a retry stores exactly one whole object', async () => {
    const bytes = randomBytes(11 * MiB);
    const key = rendition(`interrupted-${kind}`);
    const prefix = key.slice(0, key.lastIndexOf('/') + 1);
    await expect(storage.put(key, streamOf(bytes, 7 * MiB))).rejects.toThrow('source connection dropped');
    expect(await storage.head(key)).toBeUndefined();
    await expect(storage.get(key)).rejects.toBeInstanceOf(ObjectNotFoundError);

    await storage.put(key, streamOf(bytes), { contentType: 'video/mp4' });
    const listed = [];
    for await (const o of storage.list(prefix)) listed.push(o);
    expect(listed.map((o) => [o.key, o.size])).toEqual([[key, bytes.length]]);
    expect(sha(await storage.getBuffer(key))).toBe(sha(bytes));
    if (storage instanceof FsStorage) {
      // The temporary file of the failed attempt is gone too.
      expect(readdirSync(join(fsRoot, '.tmp'))).toEqual([]);
    }
  });
});

describe("fs storage: ranged reads into the caller's buffer (uploads reuse one buffer)", () => {
  it('reads any range of an object, short at its end, and names a missing object', async () => {
    const storage = new FsStorage(fsRoot);
    const bytes = randomBytes(3000);
    await storage.put('renditions/readinto/x.mp4', bytes);
    const into = Buffer.alloc(1024);
    expect(await storage.readInto('renditions/readinto/x.mp4', 1000, into)).toBe(1024);
    expect(into).toEqual(bytes.subarray(1000, 2024));
    expect(await storage.readInto('renditions/readinto/x.mp4', 2500, into)).toBe(500);
    expect(into.subarray(0, 500)).toEqual(bytes.subarray(2500));
    expect(await storage.readInto('renditions/readinto/x.mp4', 3000, into)).toBe(0);
    await expect(storage.readInto('renditions/readinto/missing.mp4', 0, into)).rejects.toBeInstanceOf(
      ObjectNotFoundError,
    );
  });
});

describe('s3 storage on the wire', () => {
  const raw = new S3Client({
    endpoint: s3Options.endpoint,
    region: s3Options.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3Options.accessKeyId, secretAccessKey: s3Options.secretAccessKey },
  });
  afterAll(() => raw.destroy());

  it('uploads a large stream in parts (multipart ETag) and aborts the parts of a failed one', async () => {
    const storage = new S3Storage({ ...s3Options, checksum: 'when_required', partSize: 5 * MiB });
    const key = rendition('parts');
    const bytes = randomBytes(12 * MiB);
    const stored = await storage.put(key, streamOf(bytes));
    // An S3 multipart object's ETag is "<md5 of part md5s>-<part count>".
    expect(stored.etag).toMatch(/-3"$/);

    await expect(storage.put(rendition('parts-failed'), streamOf(bytes, 8 * MiB))).rejects.toThrow();
    const pending = await raw.send(new ListMultipartUploadsCommand({ Bucket: s3Options.bucket }));
    expect((pending.Uploads ?? []).map((u) => u.Key)).not.toContain(rendition('parts-failed'));
    storage.client.destroy();
  });

  it('uploads a file part by part, and a part failing midway aborts the upload; the retry is whole', async () => {
    const storage = new S3Storage({ ...s3Options, checksum: 'when_supported', partSize: 5 * MiB });
    const bytes = randomBytes(17 * MiB);
    const file = join(mkdtempSync(join(tmpdir(), 'reelcast-putfile-')), 'rendition.mp4');
    writeFileSync(file, bytes);
    const key = rendition('file-parts');
    let failPart: number | undefined = 3;
    storage.client.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { PartNumber?: number };
        if (input.PartNumber !== undefined && input.PartNumber === failPart) {
          throw Object.assign(new Error('connection reset while sending part 3'), { name: 'ECONNRESET' });
        }
        return next(args);
      },
      { step: 'initialize', name: 'failPart' },
    );
    await expect(storage.putFile(key, file)).rejects.toThrow('part 3');
    expect(await storage.head(key)).toBeUndefined();
    const pending = await raw.send(
      new ListMultipartUploadsCommand({ Bucket: s3Options.bucket, Prefix: key }),
    );
    expect(pending.Uploads ?? []).toEqual([]);

    failPart = undefined;
    const stored = await storage.putFile(key, file);
    expect(stored.etag).toMatch(/-4"$/);
    // when_supported: each part carried a CRC32, and the server kept the composite checksum.
    const head = await raw.send(
      new HeadObjectCommand({ Bucket: s3Options.bucket, Key: key, ChecksumMode: 'ENABLED' }),
    );
    expect(head.ChecksumCRC32).toMatch(/-4$/);
    expect(sha(await storage.getBuffer(key))).toBe(sha(bytes));
    rmSync(file, { force: true });
    storage.client.destroy();
  });

  it.each([
    ['when_supported', true],
    ['when_required', false],
  ] as const)('checksum %s: the client sends a CRC32 of the bytes: %s', async (checksum, sends) => {
    const storage = new S3Storage({ ...s3Options, checksum });
    const bytes = randomBytes(256 * 1024);
    const key = `previews/${'ef'.repeat(16)}-${checksum}.mp4`;
    await storage.put(key, bytes);
    const head = await raw.send(
      new HeadObjectCommand({ Bucket: s3Options.bucket, Key: key, ChecksumMode: 'ENABLED' }),
    );
    const expected = Buffer.alloc(4);
    expected.writeUInt32BE(crc32(bytes));
    if (sends) expect(head.ChecksumCRC32).toBe(expected.toString('base64'));
    else expect(head.ChecksumCRC32).toBeUndefined();
    // Either way the bytes come back whole (the response check follows the same setting).
    expect(sha(await storage.getBuffer(key))).toBe(sha(bytes));
    storage.client.destroy();
  });

  it('sends If-None-Match: the server, not a read-then-write, decides who creates the object', async () => {
    const storage = new S3Storage({ ...s3Options, checksum: 'when_required' });
    const key = 'ledger/if-none-match/2026-01-01/a/x.json';
    const sent: Array<string | undefined> = [];
    storage.client.middlewareStack.add(
      (next) => async (args) => {
        const headers = (args.request as { headers: Record<string, string> }).headers;
        sent.push(headers['if-none-match']);
        return next(args);
      },
      { step: 'finalizeRequest' },
    );
    expect(await storage.createIfAbsent(key, 'one')).toBe(true);
    expect(await storage.createIfAbsent(key, 'two')).toBe(false);
    expect(sent).toEqual(['*', '*']);
    expect(await storage.supportsConditionalCreate()).toBe(true);
    const objects = await raw.send(new ListObjectsV2Command({ Bucket: s3Options.bucket, Prefix: key }));
    expect(objects.KeyCount).toBe(1);
    storage.client.destroy();
  });
});
