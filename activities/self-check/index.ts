import { hostname } from 'node:os';
import type { ObjectStorage } from '../storage';

export interface StorageProbeInput {
  /** Who asked, written into the object so a person (or a test) can find it. */
  workflowId: string;
  queue: string;
}

export interface StorageProbeResult {
  key: string;
  bytes: number;
  storage: 'fs' | 's3';
  host: string;
  pid: number;
  /** What else this worker does that a person checks (a media worker: signing, the content gate). */
  facts?: string[];
}

export class StorageProbeError extends Error {
  override readonly name = 'StorageProbeError';
}

/**
 * The self-check: proves a worker on `queue` can write to the configured storage and read the
 * same bytes back. `reelcast doctor` runs it on every queue.
 */
export function createSelfCheckActivities(deps: { storage: ObjectStorage; facts?: () => Promise<string[]> }) {
  return {
    async storageProbe(input: StorageProbeInput): Promise<StorageProbeResult> {
      const key = `probes/${input.queue}.json`;
      const body = JSON.stringify({
        workflowId: input.workflowId,
        queue: input.queue,
        host: hostname(),
        pid: process.pid,
        at: new Date().toISOString(),
      });
      await deps.storage.put(key, body, { contentType: 'application/json' });
      const back = (await deps.storage.getBuffer(key)).toString('utf8');
      if (back !== body) {
        throw new StorageProbeError(
          `storage returned different bytes for ${key}: wrote ${body.length}, read ${back.length}`,
        );
      }
      const facts = deps.facts ? await deps.facts() : undefined;
      return {
        key,
        bytes: back.length,
        storage: deps.storage.kind,
        host: hostname(),
        pid: process.pid,
        ...(facts ? { facts } : {}),
      };
    },
  };
}
