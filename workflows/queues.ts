/**
 * Task queues and the names shared by workflows, workers and the CLI. Pure: imported by workflow code.
 *
 * From one base name (config `temporal.taskQueue`, default `reelcast`):
 * - `<base>`          workflows, plus light activities (plan, ledger reads, bookkeeping)
 * - `<base>-gpu`      text-to-video generation; concurrency = GPUs on the host
 * - `<base>-media`    ffmpeg transcodes, posters, previews
 * - `<base>-media-gate` the content gate (classifier), served by every media worker in a slot of
 *                     its own, so it runs beside that worker's transcode instead of after it
 * - `<base>-publish`  channel publishing (X, outbox, webhook)
 * Workflows derive the role queues from the queue they run on, so two deployments (staging and
 * production, or two test files) can share a namespace without taking each other's tasks.
 */
export function taskQueues(base: string) {
  return {
    workflows: base,
    gpu: `${base}-gpu`,
    media: `${base}-media`,
    publish: `${base}-publish`,
    gate: `${base}-media-gate`,
  } as const;
}

export type TaskQueues = ReturnType<typeof taskQueues>;

/** The role queues, from the config's TASK_QUEUE_ROLES (one list). */
export type { QueueRole } from '../config';

/** Search attributes the workflows set; registered when the dev server starts. */
export const SEARCH_ATTRIBUTES = {
  ReelcastStatus: 'Keyword',
  ReelcastCampaign: 'Keyword',
  ReelcastPostDate: 'Keyword',
  ReelcastFailureReason: 'Text',
} as const;
