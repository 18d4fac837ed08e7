import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { QueueRole, ReelcastConfig } from '../config';
import type { Client } from '@temporalio/client';
import { activityDeps, createActivities } from '../activities';
import { modelOptions, sharedInferenceThread } from '../activities/generate';
import { NO_SIGNING, openRenditionSigner } from '../activities/provenance/signer';
import { closeClassifier, loadClassifier } from '../activities/safety';
import { checkMasterEncoder, checkMediaTools } from '../activities/media';
import { workerIdentity } from '../activities/media/activities';
import { connectClient } from './connection';
import { taskQueues } from '../workflows/queues';

/** The prebuilt workflow bundle (`npm run build`), used when running from dist/. */
export const WORKFLOW_BUNDLE = join(__dirname, '..', 'workflow-bundle.js');

export interface WorkerSet {
  workers: Worker[];
  /** How this worker's renditions are signed (activities/provenance), for its start-up line. */
  contentCredentials: string;
  /** Runs until every worker has shut down (SIGINT/SIGTERM or shutdown()). */
  run(): Promise<void>;
  shutdown(): void;
}

/**
 * One Worker per task queue this process serves: the workflow queue always, plus the role queues
 * in `queues`. Activities finish within the grace time on shutdown, then are cancelled.
 */
export async function createWorkers(
  config: ReelcastConfig,
  connection: NativeConnection,
  roles: QueueRole[] = config.worker.queues,
): Promise<WorkerSet> {
  const queues = taskQueues(config.temporal.taskQueue);
  if (roles.includes('gpu')) {
    await checkRoleTools('gpu', roles, () => checkMasterEncoder(config.ffmpeg.ffmpegPath));
    await loadGpuModel(config);
  }
  if (roles.includes('media')) await checkRoleTools('media', roles, () => checkMediaTools(config.ffmpeg));
  // A media worker checks its signing certificate before it takes work: a bad one stops it here.
  const signer = roles.includes('media') ? await openRenditionSigner(config) : NO_SIGNING;
  // And it loads the content classifier (on its own thread, at a low priority): the first post's
  // gate does not wait for it, and an install without its model stops the worker here.
  if (roles.includes('media')) await loadClassifier().catch(classifierMissing);
  let client: Promise<Client> | undefined;
  const activities = createActivities(activityDeps(config, () => (client ??= connectClient(config)), signer));
  const common: Partial<WorkerOptions> = {
    connection,
    namespace: config.temporal.namespace,
    shutdownGraceTime: `${config.worker.shutdownGraceSeconds} seconds`,
  };
  const workflowCode =
    existsSync(WORKFLOW_BUNDLE) && __filename.endsWith('.js')
      ? { workflowBundle: { codePath: WORKFLOW_BUNDLE } }
      : { workflowsPath: require.resolve('../workflows') };

  const workers = [
    await Worker.create({
      ...common,
      taskQueue: queues.workflows,
      ...workflowCode,
      activities: activities.workflows,
    }),
  ];
  const concurrency: Record<QueueRole, number> = {
    gpu: config.worker.gpuConcurrency,
    media: config.worker.mediaConcurrency,
    publish: 8,
  };
  for (const role of roles) {
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: queues[role],
        activities: activities[role],
        maxConcurrentActivityTaskExecutions: concurrency[role],
      }),
    );
  }
  if (roles.includes('media'))
    // The content gate has a slot of its own beside the transcodes (workflows/queues.ts).
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: queues.gate,
        activities: activities.gate,
        maxConcurrentActivityTaskExecutions: 1,
      }),
    );
  return {
    workers,
    contentCredentials: signer.description,
    run: async () => {
      await Promise.all(workers.map((w) => w.run()));
      // The signer's c2pa process and the classifier's thread end with the workers that used them.
      signer.close();
      await closeClassifier();
      if (client) await (await client).connection.close();
    },
    shutdown: () => {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    },
  };
}

function classifierMissing(err: Error): never {
  throw new Error(
    `the content gate's classifier (nsfwjs) could not load: ${err.message}. ` +
      'Reinstall the dependencies (npm ci) and start the worker again.',
  );
}

/**
 * A GPU worker loads its model before it takes work: a broken model directory (a missing
 * external-data file, a graph with the wrong inputs, not enough memory) fails the start-up with
 * `reelcast model check`'s error, never a post in the middle of the day. The sessions stay loaded
 * in the inference thread for the first generation.
 */
export async function loadGpuModel(config: ReelcastConfig): Promise<void> {
  const inference = sharedInferenceThread({ loadedModels: config.worker.gpuLoadedModels });
  const options = modelOptions(config);
  try {
    await inference.load(options, (w) => process.emitWarning(w, 'ReelcastGenerateWarning'));
  } catch (err) {
    await inference.close();
    const e = err as Error;
    e.message = `the GPU worker cannot load its model ${options.dir}: ${e.message}`;
    throw e;
  }
}

/**
 * A worker checks its roles' tools before it takes work: a media worker ffmpeg and ffprobe with
 * the presets' encoders and filters, a GPU worker ffmpeg with libx264 for the masters. One that
 * cannot run them would fail every job it picks up, so it refuses to start, naming itself, the
 * binary, and the command without that role.
 */
async function checkRoleTools(
  role: QueueRole,
  roles: QueueRole[],
  check: () => Promise<unknown>,
): Promise<void> {
  try {
    await check();
  } catch (err) {
    const e = err as Error;
    const others = roles.filter((r) => r !== role);
    e.message = `this worker (${workerIdentity()}) cannot serve the ${role} queue: ${e.message}${others.length ? ` Or run it without the ${role} role: \`reelcast worker --queues ${others.join(',')}\`.` : ''}`;
    throw e;
  }
}
