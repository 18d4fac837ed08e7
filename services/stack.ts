import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Secret, type ReelcastConfig } from '../config';
import { S3Storage } from '../activities/storage';
import { isAlive, ServiceError, type ManagedProcess } from './process';
import { S3_SERVICE, s3Healthy, startS3DevServer } from './s3-dev';
import { startTemporalDevServer, TEMPORAL_SERVICE, temporalHealthy } from './temporal-dev';
import { checkFfmpeg, resolveTemporalCli, resolveVersitygw, type Log } from './tools';

/**
 * The embedded stack: what Reelcast starts itself when the config points at no external server.
 *  - Temporal: the dev server, unless TEMPORAL_ADDRESS is set.
 *  - S3: versitygw, only when storage.kind is s3 and S3_ENDPOINT is unset.
 * `dev up` leaves it running (detached) and records it in <dataDir>/services.json, where every
 * later command finds it.
 */
export interface StackState {
  temporal?: { pid: number; address: string; uiUrl: string; logFile: string };
  s3?: { pid: number; endpoint: string; logFile: string };
}

export interface Stack {
  /** The config with the addresses of the running services filled in. */
  config: ReelcastConfig;
  uiUrl?: string;
  processes: ManagedProcess[];
  stop(): Promise<void>;
}

export interface StartOptions {
  log?: Log;
  /** Keep running after this process exits (`reelcast dev up`). */
  detached?: boolean;
}

export function stateFile(config: ReelcastConfig): string {
  return join(config.dataDir, 'services.json');
}

export function logFile(config: ReelcastConfig, service: 'temporal' | 's3'): string {
  return join(config.dataDir, 'logs', `${service}.log`);
}

export function readState(config: ReelcastConfig): StackState {
  try {
    return JSON.parse(readFileSync(stateFile(config), 'utf8')) as StackState;
  } catch {
    return {};
  }
}

function writeState(config: ReelcastConfig, state: StackState): void {
  mkdirSync(config.dataDir, { recursive: true });
  writeFileSync(stateFile(config), JSON.stringify(state, null, 2));
}

/** Credentials of the embedded S3 server: from config, else generated once per data dir. */
export function embeddedS3Credentials(config: ReelcastConfig): {
  accessKeyId: string;
  secretAccessKey: string;
} {
  const s3 = config.storage.s3;
  if (s3.accessKeyId && s3.secretAccessKey) {
    return { accessKeyId: s3.accessKeyId.reveal(), secretAccessKey: s3.secretAccessKey.reveal() };
  }
  const file = join(config.dataDir, 's3', 'credentials.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const generated = {
    accessKeyId: `reelcast${randomBytes(6).toString('hex')}`,
    secretAccessKey: randomBytes(24).toString('base64url'),
  };
  mkdirSync(join(config.dataDir, 's3'), { recursive: true });
  writeFileSync(file, JSON.stringify(generated), { mode: 0o600 });
  return generated;
}

/** Fills in the addresses of a stack that `dev up` started earlier and that is still alive. */
export function withRunningStack(config: ReelcastConfig): ReelcastConfig {
  const state = readState(config);
  const next = cloneConfig(config);
  if (!config.temporal.address && state.temporal && isAlive(state.temporal.pid)) {
    next.temporal.address = state.temporal.address;
  }
  if (needsEmbeddedS3(config) && state.s3 && isAlive(state.s3.pid)) {
    next.storage.s3.endpoint = state.s3.endpoint;
    const creds = embeddedS3Credentials(config);
    next.storage.s3.accessKeyId = new Secret(creds.accessKeyId);
    next.storage.s3.secretAccessKey = new Secret(creds.secretAccessKey);
  }
  return next;
}

/** A deep copy that keeps Secret instances (structuredClone would turn them into plain objects). */
function cloneConfig<T>(value: T): T {
  if (value === null || typeof value !== 'object' || value instanceof Secret) return value;
  if (Array.isArray(value)) return value.map(cloneConfig) as T;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cloneConfig(v)])) as T;
}

function needsEmbeddedS3(config: ReelcastConfig): boolean {
  return config.storage.kind === 's3' && !config.storage.s3.endpoint;
}

/** Starts what the config does not point elsewhere for, checks ffmpeg, creates the bucket. */
export async function startStack(config: ReelcastConfig, options: StartOptions = {}): Promise<Stack> {
  const log = options.log ?? (() => {});
  const processes: ManagedProcess[] = [];
  const next = withRunningStack(config);
  const state = readState(config);
  let uiUrl: string | undefined =
    state.temporal && isAlive(state.temporal.pid) ? state.temporal.uiUrl : undefined;
  const stop = async (): Promise<void> => {
    await Promise.all(processes.map((p) => p.stop()));
    if (options.detached) return;
  };
  try {
    const info = await checkFfmpeg(config.ffmpeg);
    log(`ffmpeg ${info.version}`);

    if (!next.temporal.address) {
      const binary = await resolveTemporalCli({ configured: config.temporal.devServer.binary, log });
      const { ip, port, uiPort } = config.temporal.devServer;
      log(`starting ${TEMPORAL_SERVICE} on ${ip}:${port}`);
      const temporal = await startTemporalDevServer({
        binary,
        ip,
        port,
        uiPort,
        dbFile: join(config.dataDir, 'temporal', 'temporal.db'),
        namespace: config.temporal.namespace,
        logFile: logFile(config, 'temporal'),
        detached: options.detached,
      });
      processes.push(temporal.process);
      next.temporal.address = temporal.address;
      uiUrl = temporal.uiUrl;
      state.temporal = {
        pid: temporal.process.pid!,
        address: temporal.address,
        uiUrl,
        logFile: logFile(config, 'temporal'),
      };
    }

    if (needsEmbeddedS3(next)) {
      const binary = await resolveVersitygw({ log });
      const creds = embeddedS3Credentials(config);
      log(`starting ${S3_SERVICE} on 127.0.0.1:${config.storage.s3.devServer.port}`);
      const s3 = await startS3DevServer({
        binary,
        ip: '127.0.0.1',
        port: config.storage.s3.devServer.port,
        rootDir: join(config.dataDir, 's3', 'data'),
        region: config.storage.s3.region,
        logFile: logFile(config, 's3'),
        detached: options.detached,
        ...creds,
      });
      processes.push(s3.process);
      next.storage.s3.endpoint = s3.endpoint;
      next.storage.s3.accessKeyId = new Secret(creds.accessKeyId);
      next.storage.s3.secretAccessKey = new Secret(creds.secretAccessKey);
      state.s3 = { pid: s3.process.pid!, endpoint: s3.endpoint, logFile: logFile(config, 's3') };
    }

    if (next.storage.kind === 's3') await ensureBucket(next);
    if (options.detached) writeState(config, state);
    return { config: next, uiUrl, processes, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function ensureBucket(config: ReelcastConfig): Promise<void> {
  const s3 = config.storage.s3;
  const storage = new S3Storage({
    ...s3,
    accessKeyId: s3.accessKeyId?.reveal(),
    secretAccessKey: s3.secretAccessKey?.reveal(),
  });
  try {
    await storage.ensureBucket();
  } catch (err) {
    throw new ServiceError(
      'S3 storage',
      `cannot use bucket "${s3.bucket}" at ${s3.endpoint ?? 'AWS'}: ${(err as Error).message}. Check S3_ENDPOINT, S3_BUCKET and the credentials.`,
    );
  } finally {
    storage.client.destroy();
  }
}

export interface ServiceStatus {
  service: string;
  where: string;
  state: 'running' | 'stopped' | 'unreachable' | 'external';
  pid?: number;
  logFile?: string;
}

/** What `reelcast dev status` shows: each service, where, and whether it answers. */
export async function stackStatus(config: ReelcastConfig): Promise<ServiceStatus[]> {
  const state = readState(config);
  const out: ServiceStatus[] = [];
  const answers = (check: () => Promise<boolean>) => check().catch(() => false);
  if (config.temporal.address) {
    const ok = await answers(() => temporalHealthy(config.temporal.address!, config.temporal.namespace));
    out.push({ service: 'Temporal', where: config.temporal.address, state: ok ? 'external' : 'unreachable' });
  } else if (state.temporal && isAlive(state.temporal.pid)) {
    const ok = await answers(() => temporalHealthy(state.temporal!.address, config.temporal.namespace));
    out.push({
      service: TEMPORAL_SERVICE,
      where: `${state.temporal.address} (UI ${state.temporal.uiUrl})`,
      state: ok ? 'running' : 'unreachable',
      pid: state.temporal.pid,
      logFile: state.temporal.logFile,
    });
  } else {
    out.push({ service: TEMPORAL_SERVICE, where: '-', state: 'stopped' });
  }
  if (config.storage.kind === 's3') {
    if (config.storage.s3.endpoint) {
      out.push({ service: 'S3', where: config.storage.s3.endpoint, state: 'external' });
    } else if (state.s3 && isAlive(state.s3.pid)) {
      const creds = embeddedS3Credentials(config);
      const ok = await answers(() =>
        s3Healthy(state.s3!.endpoint, { ...creds, region: config.storage.s3.region }),
      );
      out.push({
        service: S3_SERVICE,
        where: state.s3.endpoint,
        state: ok ? 'running' : 'unreachable',
        pid: state.s3.pid,
        logFile: state.s3.logFile,
      });
    } else {
      out.push({ service: S3_SERVICE, where: '-', state: 'stopped' });
    }
  } else {
    out.push({ service: 'Storage (local files)', where: join(config.dataDir, 'storage'), state: 'running' });
  }
  return out;
}

/** Stops what `dev up` started (SIGTERM, then SIGKILL after 10 s). */
export async function stopDetachedStack(config: ReelcastConfig): Promise<string[]> {
  const state = readState(config);
  const stopped: string[] = [];
  for (const [name, entry] of [
    [TEMPORAL_SERVICE, state.temporal],
    [S3_SERVICE, state.s3],
  ] as const) {
    if (!entry || !isAlive(entry.pid)) continue;
    process.kill(entry.pid, 'SIGTERM');
    const deadline = Date.now() + 10_000;
    while (isAlive(entry.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (isAlive(entry.pid)) process.kill(entry.pid, 'SIGKILL');
    stopped.push(name);
  }
  rmSync(stateFile(config), { force: true });
  return stopped;
}
