/**
 * The media activities the post workflow calls on the `reelcast-media` queue. Thin wrappers: the
 * work is in transcode.ts; here progress becomes heartbeats and Temporal's cancellation becomes
 * the AbortSignal that kills ffmpeg.
 */
import { Context } from '@temporalio/activity';
import type { ReelcastConfig } from '../../config';
import type { RenditionSigner } from '../provenance/signer';
import type { ObjectStorage } from '../storage';
import { checkMediaTools as checkTools, type MediaToolsInfo } from './ffmpeg';
import {
  sweepStaleWorkDirs,
  transcodeRendition as transcode,
  type TranscodeRequest,
  type TranscodeResult,
} from './transcode';

export interface MediaActivityDeps {
  storage: ObjectStorage;
  config: Pick<ReelcastConfig, 'ffmpeg'>;
  /** Parent of per-job temp folders; default the OS temp dir. */
  tmpRoot?: string;
  /** Content Credentials on every rendition (NO_SIGNING: none); the worker opens it at start-up. */
  signer: RenditionSigner;
}

export function createMediaActivities(deps: MediaActivityDeps) {
  // A worker that was killed mid-transcode left its temp folder; the next start clears it.
  void sweepStaleWorkDirs(deps.tmpRoot).catch(() => undefined);
  return {
    /**
     * Master clip → one validated rendition for one channel, plus poster and preview. Heartbeats
     * carry a TranscodeProgress; set a heartbeatTimeout so a dead worker is noticed.
     */
    async transcodeRendition(request: TranscodeRequest): Promise<TranscodeResult> {
      const context = Context.current();
      return transcode(request, {
        storage: deps.storage,
        config: deps.config,
        tmpRoot: deps.tmpRoot,
        signer: deps.signer,
        signal: context.cancellationSignal,
        onProgress: (progress) => context.heartbeat(progress),
      });
    },

    /** ffmpeg/ffprobe present, new enough, with the encoders and filters the presets use. */
    async checkMediaTools(): Promise<MediaToolsInfo> {
      return checkTools(deps.config.ffmpeg);
    },
  };
}

export type MediaActivities = ReturnType<typeof createMediaActivities>;
