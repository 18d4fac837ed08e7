/**
 * The content gate's activity, on the `reelcast-media-gate` queue of every media worker: it needs what a media worker has
 * (ffmpeg, the master's bytes, spare CPU), not the GPU (kept for generation) nor the publish
 * queue's network slots. The classifier is loaded once per worker process (classifier.ts).
 */
import { Context } from '@temporalio/activity';
import { tmpdir } from 'node:os';
import type { ReelcastConfig } from '../../config';
import { MEDIA_TMP_SETTING } from '../media/ffmpeg';
import { DiskFullError, isDiskFull, type ObjectStorage } from '../storage';
import { checkContent as check, type GateRequest, type GateVerdict } from './gate';

export interface SafetyActivityDeps {
  storage: ObjectStorage;
  config: Pick<ReelcastConfig, 'ffmpeg'>;
  tmpRoot?: string;
}

export function createSafetyActivities(deps: SafetyActivityDeps) {
  return {
    /**
     * Samples and classifies the master's frames (or reuses the stored check) and judges them
     * against the post's thresholds. Heartbeats `{stage, frame, of}`.
     */
    async checkContent(request: GateRequest): Promise<GateVerdict> {
      const context = Context.current();
      try {
        return await check(request, {
          storage: deps.storage,
          ffmpeg: deps.config.ffmpeg,
          tmpRoot: deps.tmpRoot,
          signal: context.cancellationSignal,
          onProgress: (progress) => context.heartbeat(progress),
        });
      } catch (err) {
        // Storage says its own place when full; a bare ENOSPC here is the sampled frames' folder.
        if (isDiskFull(err))
          throw new DiskFullError(
            deps.tmpRoot ?? tmpdir(),
            "the content gate's sampled frames (the media worker's temporary files)",
            MEDIA_TMP_SETTING,
          );
        throw err;
      }
    },
  };
}

export type SafetyActivities = ReturnType<typeof createSafetyActivities>;
