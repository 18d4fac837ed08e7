import type { Client } from '@temporalio/client';
import { loadConfig, type ReelcastConfig } from '../config';
import { connectClient } from '../worker/connection';
import { withRunningStack } from '../services/stack';

/** The config every command starts from: file + environment, plus a running `dev up` stack. */
export function commandConfig(): ReelcastConfig {
  return withRunningStack(loadConfig());
}

/** Progress lines for people, on stderr so stdout stays clean for --json. */
export function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Runs `fn` with a Temporal client for the command's config, and closes it after. */
export async function withClient<T>(
  fn: (client: Client) => Promise<T>,
  config = commandConfig(),
): Promise<T> {
  const client = await connectClient(config);
  try {
    return await fn(client);
  } finally {
    await client.connection.close();
  }
}
