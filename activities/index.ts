import type { ReelcastConfig } from '../config';
import { createLedgerActivities, createPublishActivities } from './publish';
import { createSelfCheckActivities } from './self-check';
import { openStorage, type ObjectStorage } from './storage';

export interface ActivityDeps {
  config: ReelcastConfig;
  storage: ObjectStorage;
}

export function activityDeps(config: ReelcastConfig): ActivityDeps {
  return { config, storage: openStorage(config) };
}

/**
 * Activities by task queue. The workflow queue gets the light ones; each role queue gets the
 * side effects that need its hardware. The self-check runs everywhere so `doctor` can reach
 * every queue.
 */
export function createActivities(deps: ActivityDeps) {
  const selfCheck = createSelfCheckActivities(deps);
  return {
    workflows: { ...selfCheck, ...createLedgerActivities(deps) },
    gpu: { ...selfCheck },
    media: { ...selfCheck },
    publish: { ...selfCheck, ...createPublishActivities(deps) },
  };
}

export type Activities = ReturnType<typeof createActivities>;
