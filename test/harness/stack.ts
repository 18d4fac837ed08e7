import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type ReelcastConfig } from '../../config';
import { freePort } from '../../services/process';
import { startStack, type Stack } from '../../services/stack';
import { resolveTemporalCli } from '../../services/tools';

export interface TestStack {
  stack: Stack;
  dataDir: string;
  /** Environment that points every Reelcast component at this stack. */
  env: Record<string, string>;
}

/**
 * Starts the real Temporal dev server and the real S3 server on free loopback ports in a fresh
 * data dir, through the same code path as `reelcast dev up`.
 */
export async function startTestStack(log: (line: string) => void): Promise<TestStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'reelcast-test-'));
  const emptyConfig = join(dataDir, 'reelcast.config.yaml');
  writeFileSync(emptyConfig, '# tests use the environment only\n');
  const base: Record<string, string> = {
    REELCAST_CONFIG: emptyConfig,
    REELCAST_DATA_DIR: dataDir,
    REELCAST_STORAGE: 's3',
    S3_BUCKET: 'reelcast-test',
    REELCAST_TEMPORAL_PORT: String(await freePort()),
    REELCAST_TEMPORAL_UI_PORT: String(await freePort()),
    REELCAST_S3_PORT: String(await freePort()),
  };
  const env = { ...process.env, ...base };
  delete env.TEMPORAL_ADDRESS;
  delete env.S3_ENDPOINT;
  const config: ReelcastConfig = loadConfig({ env });
  const stack = await startStack(config, { log });
  const resolved = stack.config;
  return {
    stack,
    dataDir,
    env: {
      ...base,
      TEMPORAL_ADDRESS: resolved.temporal.address!,
      S3_ENDPOINT: resolved.storage.s3.endpoint!,
      S3_ACCESS_KEY_ID: resolved.storage.s3.accessKeyId!.reveal(),
      S3_SECRET_ACCESS_KEY: resolved.storage.s3.secretAccessKey!.reveal(),
      REELCAST_TEMPORAL_BIN: await resolveTemporalCli({ configured: process.env.REELCAST_TEMPORAL_BIN }),
      REELCAST_TEMPORAL_UI_URL: stack.uiUrl ?? '',
    },
  };
}
