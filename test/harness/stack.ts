import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  // Free ports are picked, then bound by the servers a moment later: on a busy machine another
  // process can take one in between (the dev server also picks its HTTP API port itself). A
  // start that fails that way is tried again on fresh ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnFreePorts(log);
    } catch (err) {
      const message = (err as Error).message;
      if (attempt >= 3 || !/already in use|address already in use/.test(message)) throw err;
      log(`a port was taken while starting (${message.split('\n')[0]}); trying again on other ports`);
    }
  }
}

async function startOnFreePorts(log: (line: string) => void): Promise<TestStack> {
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
  const stack = await startStack(config, { log }).catch((err: unknown) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  });
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
