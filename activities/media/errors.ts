/**
 * What can go wrong in a transcode, as classes with a stable `name` (Temporal matches retry
 * policies on it) and the data a caller needs to act. Messages say what, where and what to do.
 */

/**
 * ffmpeg or ffprobe cannot be run on this worker. A media worker checks at start and refuses the
 * media role without them (worker/worker.ts); one whose binary went away while it ran fails the
 * transcode as non-retryable, naming itself (activities/media/activities.ts), since its retries
 * would land on it again.
 */
export class MediaToolMissingError extends Error {
  override readonly name = 'MediaToolMissingError';
  constructor(
    readonly tool: 'ffmpeg' | 'ffprobe',
    readonly path: string,
    readonly problem: string,
  ) {
    const setting =
      tool === 'ffmpeg' ? 'ffmpeg.ffmpegPath (FFMPEG_PATH)' : 'ffmpeg.ffprobePath (FFPROBE_PATH)';
    super(
      `${tool} at ${JSON.stringify(path)} cannot be used: ${problem}. Install Debian's ffmpeg package ` +
        `(apt-get install -y ffmpeg) or point ${setting} at a working ${tool} 5.1 or newer.`,
    );
  }
}

/** The source clip cannot be read as video: not a media file, or its data is damaged. */
export class CorruptMediaError extends Error {
  override readonly name = 'CorruptMediaError';
  constructor(
    readonly source: string,
    readonly detail: string,
  ) {
    super(`${source} is not a readable video or image (${detail}). Replace it: regenerate or re-upload.`);
  }
}

/** The source clip stops before its declared end: an interrupted upload or write. */
export class TruncatedMediaError extends Error {
  override readonly name = 'TruncatedMediaError';
  constructor(
    readonly source: string,
    readonly detail: string,
  ) {
    super(`${source} is truncated (${detail}). Regenerate or re-upload the master clip.`);
  }
}

/** A rendition (or the source, checked up front) does not meet the channel preset. */
export class RenditionValidationError extends Error {
  override readonly name = 'RenditionValidationError';
  constructor(
    readonly preset: string,
    readonly problems: readonly string[],
  ) {
    super(`rendition for ${preset} does not meet the channel's spec: ${problems.join('; ')}`);
  }
}

/** A caller's option cannot be honoured: a watermark that does not fit, a caption too long... */
export class InvalidMediaOptionsError extends Error {
  override readonly name = 'InvalidMediaOptionsError';
  constructor(
    readonly option: string,
    readonly problem: string,
  ) {
    super(`${option}: ${problem}`);
  }
}

/** ffmpeg failed for a reason not tied to the input (disk full, killed by the OS...). Retryable. */
export class FfmpegFailedError extends Error {
  override readonly name = 'FfmpegFailedError';
  constructor(
    readonly exitDetail: string,
    readonly stderrTail: string,
  ) {
    super(`ffmpeg failed: ${exitDetail}${stderrTail ? `\n${stderrTail}` : ''}`);
  }
}

/** The job was cancelled; ffmpeg was killed and the temporary files removed. */
export class TranscodeCancelledError extends Error {
  override readonly name = 'TranscodeCancelledError';
  constructor() {
    super('transcode cancelled');
  }
}

/**
 * Errors a retry cannot fix: the same input and options fail the same way. The post workflow
 * lists these in `nonRetryableErrorTypes` and moves the post to awaiting-replay.
 */
export const NON_RETRYABLE_MEDIA_ERRORS = [
  'CorruptMediaError',
  'TruncatedMediaError',
  'RenditionValidationError',
  'InvalidMediaOptionsError',
  // Content Credentials (activities/provenance/errors.ts): a person fixes the certificate first.
  'SigningCertificateError',
  'ContentCredentialsError',
] as const;
