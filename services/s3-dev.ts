import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdirSync } from 'node:fs';
import { assertPortFree, ManagedProcess } from './process';

export const S3_SERVICE = 'S3 server (versitygw)';

export interface S3DevOptions {
  binary: string;
  ip: string;
  port: number;
  /** Folder whose subfolders are the buckets. */
  rootDir: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  logFile: string;
  detached?: boolean;
}

export interface RunningS3 {
  endpoint: string;
  process: ManagedProcess;
}

/** versitygw serving a local folder over the S3 API on loopback. */
export async function startS3DevServer(options: S3DevOptions): Promise<RunningS3> {
  await assertPortFree(
    S3_SERVICE,
    options.ip,
    options.port,
    'Set REELCAST_S3_PORT to another port, or S3_ENDPOINT to use a server you already run.',
  );
  mkdirSync(options.rootDir, { recursive: true });
  const endpoint = `http://${options.ip}:${options.port}`;
  const proc = await ManagedProcess.start({
    name: S3_SERVICE,
    command: options.binary,
    args: ['--port', `${options.ip}:${options.port}`, '--region', options.region, 'posix', options.rootDir],
    // Credentials go through the environment, never the command line (which `ps` shows).
    env: {
      ...process.env,
      ROOT_ACCESS_KEY_ID: options.accessKeyId,
      ROOT_SECRET_ACCESS_KEY: options.secretAccessKey,
    },
    logFile: options.logFile,
    detached: options.detached,
    startTimeoutMs: 30_000,
    healthy: () => s3Healthy(endpoint, options),
  });
  return { endpoint, process: proc };
}

export async function s3Healthy(
  endpoint: string,
  credentials: { accessKeyId: string; secretAccessKey: string; region: string },
): Promise<boolean> {
  const client = new S3Client({
    endpoint,
    region: credentials.region,
    forcePathStyle: true,
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    maxAttempts: 1,
  });
  try {
    await client.send(new ListBucketsCommand({}));
    return true;
  } finally {
    client.destroy();
  }
}
