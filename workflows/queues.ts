/**
 * Task queues and the names shared by workflows, workers and the CLI. Pure: imported by workflow code.
 *
 * - `reelcast`          workflows, plus light activities (plan, render, ledger reads)
 * - `reelcast-gpu`      text-to-video generation; concurrency = GPUs on the host
 * - `reelcast-media`    ffmpeg transcodes, posters, previews
 * - `reelcast-publish`  channel publishing (X, outbox, webhook)
 */
export const TASK_QUEUES = {
  workflows: 'reelcast',
  gpu: 'reelcast-gpu',
  media: 'reelcast-media',
  publish: 'reelcast-publish',
} as const;

export type QueueRole = 'gpu' | 'media' | 'publish';

/** Search attributes the workflows set; registered when the dev server starts. */
export const SEARCH_ATTRIBUTES = {
  ReelcastStatus: 'Keyword',
  ReelcastCampaign: 'Keyword',
  ReelcastPostDate: 'Keyword',
  ReelcastFailureReason: 'Text',
} as const;
