/**
 * The media activities the post workflow calls on the `reelcast-media` queue. Thin wrappers: the
 * work is in transcode.ts and renditions.ts; here progress becomes heartbeats, Temporal's
 * cancellation becomes the AbortSignal that kills ffmpeg, and a full disk or a missing ffmpeg
 * become errors that say so.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { hostname, tmpdir } from 'node:os';
import type { ReelcastConfig } from '../../config';
import type { RenditionSigner } from '../provenance/signer';
import { DiskFullError, isDiskFull, type ObjectStorage } from '../storage';
import { MediaToolMissingError } from './errors';
import { checkMediaTools as checkTools, MEDIA_TMP_SETTING, type MediaToolsInfo } from './ffmpeg';
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
  /** Content Credentials on every rendition (NO_SIGNING: none); the worker opens it at start-up. */
  signer: RenditionSigner;
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
      signer: deps.signer,
      signal: context.cancellationSignal,
      onProgress: (progress) => context.heartbeat(progress),
    };
  };
  /** Runs a transcode, turning what a retry cannot fix on this worker into a clear error. */
  const transcoding = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      // Storage says its own place when full; a bare ENOSPC here is the job's temporary folder.
      if (isDiskFull(err)) {
        throw new DiskFullError(
          deps.tmpRoot ?? tmpdir(),
          "the media worker's temporary files (master copy, ffmpeg's output)",
          MEDIA_TMP_SETTING,
        );
      }
      // This worker cannot run ffmpeg: every retry that lands here fails the same way, so the
      // post stops at once with the worker's name (a worker checks ffmpeg when it starts, so
      // this is one whose ffmpeg went away while it ran; fix or restart it, then start the post again).
      if (err instanceof MediaToolMissingError) {
        throw ApplicationFailure.create({
          type: err.name,
          message: `media worker ${workerIdentity()}: ${err.message}`,
          nonRetryable: true,
        });
      }
      throw err;
    }
  };
  return {
    /**
     * Master clip → one validated rendition for one channel, plus poster and preview (workflows
     * started before the one-decode-media patch; new ones call transcodeRenditions). Heartbeats
     * carry a TranscodeProgress; set a heartbeatTimeout so a dead worker is noticed.
     */
    async transcodeRendition(request: TranscodeRequest): Promise<TranscodeResult> {
      return transcoding(() => transcode(request, inActivity()));
    },

    /**
     * Master clip → every preset a post needs, from one decode; presets that share an encode
     * share one rendition. One result per preset, in the request's order. Heartbeats as above.
     */
    async transcodeRenditions(request: TranscodeRenditionsRequest): Promise<TranscodeResult[]> {
      return transcoding(() => transcodeAll(request, inActivity()));
    },

    /** ffmpeg/ffprobe present, new enough, with the encoders and filters the presets use. */
    async checkMediaTools(): Promise<MediaToolsInfo> {
      return checkTools(deps.config.ffmpeg);
    },
  };
}

/** The name Temporal gives this worker by default (pid@host): what `reelcast doctor` and the Web UI show. */
export function workerIdentity(): string {
  return `${process.pid}@${hostname()}`;
}

export type MediaActivities = ReturnType<typeof createMediaActivities>;
