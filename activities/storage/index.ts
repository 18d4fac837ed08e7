import { join } from 'node:path';
import type { ReelcastConfig } from '../../config';
import { FsStorage } from './fs-storage';
import { S3Storage } from './s3-storage';
import type { ObjectStorage } from './storage';

export * from './storage';
export * from './keys';
export { FsStorage } from './fs-storage';
export { S3Storage } from './s3-storage';

/** The storage the config names: local files under dataDir, or the S3 bucket. */
export function openStorage(config: ReelcastConfig): ObjectStorage {
  if (config.storage.kind === 'fs') return new FsStorage(join(config.dataDir, 'storage'));
  const s3 = config.storage.s3;
  return new S3Storage({
    endpoint: s3.endpoint,
    region: s3.region,
    bucket: s3.bucket,
    forcePathStyle: s3.forcePathStyle,
    checksum: s3.checksum,
    accessKeyId: s3.accessKeyId?.reveal(),
    secretAccessKey: s3.secretAccessKey?.reveal(),
  });
}
