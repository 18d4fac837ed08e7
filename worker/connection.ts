import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { ReelcastConfig } from '../config';
import { ServiceError } from '../services/process';
import { installRuntime } from './runtime';

function address(config: ReelcastConfig): string {
  if (!config.temporal.address) {
    throw new ServiceError(
      'Temporal',
      'no server to connect to. Start the embedded one with `reelcast dev up` (or run `reelcast demo`), or set TEMPORAL_ADDRESS to your server.',
    );
  }
  return config.temporal.address;
}

function tlsAndKey(config: ReelcastConfig) {
  const apiKey = config.temporal.apiKey?.reveal();
  return apiKey ? { tls: true, apiKey } : {};
}

/** A client for starting, signalling and querying workflows. */
export async function connectClient(config: ReelcastConfig): Promise<Client> {
  const where = address(config);
  try {
    const connection = await Connection.connect({
      address: where,
      connectTimeout: 5000,
      ...tlsAndKey(config),
    });
    return new Client({ connection, namespace: config.temporal.namespace });
  } catch (err) {
    throw new ServiceError(
      'Temporal',
      `cannot connect to ${where}: ${(err as Error).message}. Is the server running? (\`reelcast dev status\`)`,
    );
  }
}

/** The worker's native connection. */
export async function connectWorker(config: ReelcastConfig): Promise<NativeConnection> {
  const where = address(config);
  installRuntime();
  try {
    return await NativeConnection.connect({ address: where, ...tlsAndKey(config) });
  } catch (err) {
    throw new ServiceError(
      'Temporal',
      `worker cannot connect to ${where}: ${(err as Error).message}. Is the server running? (\`reelcast dev status\`)`,
    );
  }
}
