/**
 * An Instagram media container's states (IG Container reference, `status_code`) and what an
 * ERROR means. Pure: the table is what a marketer reads in `reelcast failures`.
 *
 *   IN_PROGRESS ──► FINISHED ──media_publish──► PUBLISHED
 *        │              │
 *        ▼              ▼ not published within 24 h
 *      ERROR         EXPIRED
 *
 * ERROR and EXPIRED containers can never be published, so a new container for the same post is
 * safe; PUBLISHED means the reel exists and must be found, never posted again.
 */

export const CONTAINER_STATUS_CODES = ['IN_PROGRESS', 'FINISHED', 'ERROR', 'EXPIRED', 'PUBLISHED'] as const;
export type ContainerStatusCode = (typeof CONTAINER_STATUS_CODES)[number];

export interface ContainerError {
  subcode?: number;
  /** What went wrong and what to do, for the failure reason. */
  text: string;
  /** A new container for the same rendition may succeed (Instagram's own advice for the subcode). */
  retryable: boolean;
}

/** Subcodes from Instagram's error-code reference that a container's `status` can carry. */
const KNOWN: Record<number, Omit<ContainerError, 'subcode'>> = {
  2207001: { text: 'Instagram had a server error while processing the video', retryable: true },
  2207003: { text: 'Instagram timed out downloading the video', retryable: true },
  2207020: { text: 'the upload expired before it was published', retryable: true },
  2207032: { text: 'Instagram could not create the post', retryable: true },
  2207053: { text: 'Instagram reported an unknown upload error', retryable: true },
  2207026: {
    text: 'Instagram does not accept the video format: check the rendition against the reels preset (MP4, H.264, AAC, 9:16)',
    retryable: false,
  },
};

export function parseStatusCode(value: unknown): ContainerStatusCode | undefined {
  return CONTAINER_STATUS_CODES.find((c) => c === value);
}

/** Reads a container's ERROR `status` (Instagram puts the error subcode there). */
export function containerError(status: string | undefined): ContainerError {
  const subcode = Number(/\b(2207\d{3})\b/.exec(status ?? '')?.[1]);
  const known = Number.isFinite(subcode) ? KNOWN[subcode] : undefined;
  if (known) return { subcode, ...known };
  return {
    ...(Number.isFinite(subcode) ? { subcode } : {}),
    text: `Instagram could not process the video (${status?.trim() || 'no detail given'})`,
    retryable: false,
  };
}
