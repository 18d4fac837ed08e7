/**
 * The media activities the post workflow calls on the `reelcast-media` queue. Thin wrappers: the
 * work is in transcode.ts; here progress becomes heartbeats and Temporal's cancellation becomes
 * the AbortSignal that kills ffmpeg.
 */
import { Context } from '@temporalio/activity';
import type { ReelcastConfig } from '../../config';
import type { ObjectStorage } from '../storage';
import { checkMediaTools as checkTools, type MediaToolsInfo } from './ffmpeg';
import { transcodeRenditions as transcodeAll, type TranscodeRenditionsRequest } from './renditions';
import {
  sweepStaleWorkDirs,
  transcodeRendition as transcode,
  type TranscodeDeps,
  type TranscodeRequest,
  type TranscodeResult,
} from './transcode';

export interface MediaActivityDeps {
  storage: ObjectStorage;
  config: Pick<ReelcastConfig, 'ffmpeg'>;
  /** Parent of per-job temp folders; default the OS temp dir. */
  tmpRoot?: string;
}

export function createMediaActivities(deps: MediaActivityDeps) {
  // A worker that was killed mid-transcode left its temp folder; the next start clears it.
  void sweepStaleWorkDirs(deps.tmpRoot).catch(() => undefined);
  /** The running activity's heartbeat and cancellation, as the transcode core takes them. */
  const inActivity = (): TranscodeDeps => {
    const context = Context.current();
    return {
      storage: deps.storage,
      config: deps.config,
      tmpRoot: deps.tmpRoot,
      signal: context.cancellationSignal,
      onProgress: (progress) => context.heartbeat(progress),
    };
  };
  return {
    /**
     * Master clip → one validated rendition for one channel, plus poster and preview (workflows
     * started before the one-decode-media patch; new ones call transcodeRenditions). Heartbeats
     * carry a TranscodeProgress; set a heartbeatTimeout so a dead worker is noticed.
     */
    async transcodeRendition(request: TranscodeRequest): Promise<TranscodeResult> {
      return transcode(request, inActivity());
    },

    /**
     * Master clip → every preset a post needs, from one decode; presets that share an encode
     * share one rendition. One result per preset, in the request's order. Heartbeats as above.
     */
    async transcodeRenditions(request: TranscodeRenditionsRequest): Promise<TranscodeResult[]> {
      return transcodeAll(request, inActivity());
    },

    /** ffmpeg/ffprobe present, new enough, with the encoders and filters the presets use. */
    async checkMediaTools(): Promise<MediaToolsInfo> {
      return checkTools(deps.config.ffmpeg);
    },
  };
}

export type MediaActivities = ReturnType<typeof createMediaActivities>;
