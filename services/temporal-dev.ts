import { Connection } from '@temporalio/client';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SEARCH_ATTRIBUTES } from '../workflows/queues';
import { assertPortFree, ManagedProcess } from './process';

export const TEMPORAL_SERVICE = 'Temporal dev server';

export interface TemporalDevOptions {
  binary: string;
  ip: string;
  port: number;
  uiPort: number;
  /** SQLite file: workflows survive a restart of the dev server. */
  dbFile: string;
  namespace: string;
  logFile: string;
  detached?: boolean;
}

export interface RunningTemporal {
  address: string;
  uiUrl: string;
  process: ManagedProcess;
}

/** `temporal server start-dev` on loopback, persisted to SQLite, with our search attributes. */
export async function startTemporalDevServer(options: TemporalDevOptions): Promise<RunningTemporal> {
  await assertPortFree(
    TEMPORAL_SERVICE,
    options.ip,
    options.port,
    'Another Temporal server? Set TEMPORAL_ADDRESS to use it, or REELCAST_TEMPORAL_PORT to start on another port.',
  );
  await assertPortFree(
    TEMPORAL_SERVICE,
    options.ip,
    options.uiPort,
    'Set REELCAST_TEMPORAL_UI_PORT to another port.',
  );
  mkdirSync(dirname(options.dbFile), { recursive: true });
  const address = `${options.ip}:${options.port}`;
  const args = [
    'server',
    'start-dev',
    '--ip',
    options.ip,
    '--port',
    String(options.port),
    '--ui-port',
    String(options.uiPort),
    '--db-filename',
    options.dbFile,
    '--namespace',
    options.namespace,
    '--ui-disable-news-fetch',
    '--log-level',
    'warn',
    ...Object.entries(SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
  ];
  const proc = await ManagedProcess.start({
    name: TEMPORAL_SERVICE,
    command: options.binary,
    args,
    logFile: options.logFile,
    detached: options.detached,
    startTimeoutMs: 90_000,
    healthy: () => temporalHealthy(address, options.namespace),
  });
  return { address, uiUrl: `http://${options.ip}:${options.uiPort}`, process: proc };
}

/** The frontend answers and the namespace exists. */
export async function temporalHealthy(address: string, namespace: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 1000 });
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } finally {
    await connection.close();
  }
}
