import type { Client } from '@temporalio/client';
import type { ReelcastConfig } from '../config';
import { createCalendarActivities } from './calendar/activities';
import { createGenerateActivities } from './generate/activities';
import { createMediaActivities } from './media/activities';
import { createNotifyActivities } from './notify';
import { createPostActivities } from './posts';
import { createFanOutActivities } from './posts/fan-out';
import type { RenditionSigner } from './provenance/signer';
import { createLedgerActivities, createPublishActivities } from './publish';
import { createSafetyActivities, loadClassifier, MAX_FRAMES_PER_CLIP } from './safety';
import { createSelfCheckActivities } from './self-check';
import { openStorage, type ObjectStorage } from './storage';

export interface ActivityDeps {
  config: ReelcastConfig;
  storage: ObjectStorage;
  /** A Temporal client for the activities that look at other workflows (dailyPlan, campaigns). */
  client: () => Promise<Client>;
  /** Content Credentials for the media queue's renditions (worker/worker.ts opens it). */
  signer: RenditionSigner;
}

export function activityDeps(
  config: ReelcastConfig,
  client: () => Promise<Client>,
  signer: RenditionSigner,
): ActivityDeps {
  return { config, storage: openStorage(config), client, signer };
}

/**
 * Activities by task queue. The workflow queue gets the light ones (plan, ledger reads,
 * bookkeeping); each role queue gets the side effects that need its hardware. The self-check
 * runs everywhere so `doctor` can reach every queue.
 */
export function createActivities(deps: ActivityDeps) {
  const selfCheck = createSelfCheckActivities(deps);
  const { config, storage } = deps;
  const calendar = {
    calendarsDir: config.calendarsDir,
    templatesDir: config.templatesDir,
    blockedTermsFile: config.compliance.blockedTermsFile,
  };
  return {
    workflows: {
      ...selfCheck,
      ...createCalendarActivities(calendar),
      ...createPostActivities({ storage, client: deps.client }),
      ...createFanOutActivities({ storage, client: deps.client, calendar }),
      ...createLedgerActivities({ storage }),
    },
    gpu: { ...selfCheck, ...createGenerateActivities({ storage, config }) },
    media: {
      ...createSelfCheckActivities({ storage, facts: () => mediaWorkerFacts(deps.signer) }),
      ...createMediaActivities({ storage, config, signer: deps.signer }),
    },
    // The content gate, on media workers in a slot of its own (workflows/queues.ts).
    gate: { ...createSafetyActivities({ storage, config }) },
    // Notifications talk to the outside (SMTP, webhooks) like publishing does.
    publish: {
      ...selfCheck,
      ...createPublishActivities({ storage, config }),
      ...createNotifyActivities({ storage, config }),
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;

/** What `reelcast doctor` shows of a media worker: how it signs, and its content gate. */
async function mediaWorkerFacts(signer: RenditionSigner): Promise<string[]> {
  const { info } = await loadClassifier();
  return [
    signer.description,
    `content gate: ${info.name} ${info.version} ${info.model} (${info.backend}), ${MAX_FRAMES_PER_CLIP} frames a clip at most`,
  ];
}
