import { DateTime } from 'luxon';
import { reconnectCommand } from '../accounts';
import {
  ChannelAuthError,
  ChannelContentRejectedError,
  ChannelRateLimitedError,
  ChannelUnavailableError,
  type PublishError,
} from '../errors';

/**
 * YouTube's answers mapped onto Reelcast's publish errors. Google's error body:
 * { error: { code, message, errors: [{ domain, reason, message }], status } }; the `reason` says
 * what happened (developers.google.com/youtube/v3/docs/errors).
 */

/** Daily quotas reset at midnight Pacific Time (YouTube Data API, "Quota usage"). */
export const QUOTA_ZONE = 'America/Los_Angeles';

/** The next midnight in Pacific Time after `now`, whatever the DST offset that day. */
export function nextQuotaReset(now: Date): Date {
  return DateTime.fromJSDate(now).setZone(QUOTA_ZONE).startOf('day').plus({ days: 1 }).toJSDate();
}

/** An HTTP answer from Google that was not the one the call wanted. */
export class GoogleApiError extends Error {
  override readonly name = 'GoogleApiError';
  constructor(
    readonly status: number,
    readonly reason: string,
    /** Google's message, without the HTML links it sometimes carries. */
    readonly detail: string,
    readonly retryAfterSeconds: number | undefined,
  ) {
    super(`HTTP ${status} ${reason}: ${detail}`);
  }

  static async from(res: Response): Promise<GoogleApiError> {
    const text = await res.text().catch(() => '');
    let reason = '';
    let detail = '';
    try {
      const body = JSON.parse(text) as {
        error?: { message?: string; status?: string; errors?: Array<{ reason?: string; message?: string }> };
      };
      reason = body.error?.errors?.[0]?.reason ?? body.error?.status ?? '';
      detail = body.error?.message ?? body.error?.errors?.[0]?.message ?? '';
    } catch {
      detail = text.slice(0, 200);
    }
    const retryAfter = Number(res.headers.get('retry-after'));
    return new GoogleApiError(
      res.status,
      reason || String(res.status),
      detail.replace(/<[^>]*>/g, '').trim() || res.statusText,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
    );
  }
}

/** No HTTP answer at all: reset, refused, timed out. */
export class NoAnswerError extends Error {
  override readonly name = 'NoAnswerError';
}

const RATE_REASONS = ['rateLimitExceeded', 'userRateLimitExceeded', 'RESOURCE_EXHAUSTED'];
const QUOTA_REASONS = ['quotaExceeded', 'dailyLimitExceeded'];
/** When YouTube gives no Retry-After for a short-term limit. */
const DEFAULT_RATE_WAIT_MS = 60_000;
/** uploadLimitExceeded: the channel's uploads per day; YouTube says to try again in 24 hours. */
const UPLOAD_LIMIT_WAIT_MS = 24 * 3600_000;

/** True for answers that a repeat of the same request may fix. */
export function isTransient(err: unknown): boolean {
  if (err instanceof NoAnswerError) return true;
  if (!(err instanceof GoogleApiError)) return false;
  return (
    err.status >= 500 || err.status === 408 || (err.status === 429 && !QUOTA_REASONS.includes(err.reason))
  );
}

export interface ClassifyContext {
  channel: string;
  account: string;
  step: string;
  /** False once the video may exist (the last byte may have been received). */
  notPosted: boolean;
  now?: Date;
}

export function classifyGoogleError(err: unknown, c: ClassifyContext): Error {
  if (err instanceof NoAnswerError)
    return new ChannelUnavailableError(c.channel, c.step, err.message, c.notPosted);
  if (!(err instanceof GoogleApiError)) return err as Error;
  const now = c.now ?? new Date();
  const detail = `${c.step}: ${err.reason} (${err.detail})`;
  const limited = (waitMs: number): PublishError =>
    new ChannelRateLimitedError(c.channel, waitMs, new Date(now.getTime() + waitMs));
  if (QUOTA_REASONS.includes(err.reason)) {
    // Retrying before the reset only spends attempts: wait for the next Pacific midnight.
    const reset = nextQuotaReset(now);
    return new ChannelRateLimitedError(c.channel, reset.getTime() - now.getTime(), reset);
  }
  if (err.status === 429 || RATE_REASONS.includes(err.reason)) {
    return limited(err.retryAfterSeconds ? err.retryAfterSeconds * 1000 : DEFAULT_RATE_WAIT_MS);
  }
  if (err.reason === 'uploadLimitExceeded') return limited(UPLOAD_LIMIT_WAIT_MS);
  if (err.status === 401) {
    return new ChannelAuthError(c.channel, detail, `run \`${reconnectCommand('youtube', c.account)}\``);
  }
  if (
    err.status === 403 &&
    ['forbidden', 'insufficientPermissions', 'youtubeSignupRequired'].includes(err.reason)
  ) {
    const fix =
      err.reason === 'youtubeSignupRequired'
        ? `create a YouTube channel for the Google account, then run \`${reconnectCommand('youtube', c.account)}\``
        : `run \`${reconnectCommand('youtube', c.account)}\` and grant the upload permission`;
    return new ChannelAuthError(c.channel, detail, fix);
  }
  if (err.status >= 500 || err.status === 408) {
    return new ChannelUnavailableError(c.channel, c.step, `HTTP ${err.status} ${err.reason}`, c.notPosted);
  }
  return new ChannelContentRejectedError(c.channel, `YouTube refused it: ${detail}`);
}
