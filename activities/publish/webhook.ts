import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ObjectStorage } from '../storage';
import type { Channel, PublishContext, PublishRequest, RemotePost } from './channel';
import { presetFor } from './channel-table';
import {
  ChannelAuthError,
  ChannelContentRejectedError,
  ChannelRateLimitedError,
  ChannelUnavailableError,
  RenditionMissingError,
} from './errors';

export const SIGNATURE_HEADER = 'x-reelcast-signature';
export const TIMESTAMP_HEADER = 'x-reelcast-timestamp';
export const IDEMPOTENCY_HEADER = 'idempotency-key';

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`: the timestamp is signed so old deliveries cannot be replayed. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** For receivers (and tests): checks the signature and that the delivery is recent. */
export function verifyWebhookSignature(
  secret: string,
  headers: { signature?: string; timestamp?: string },
  body: string,
  options: { toleranceSeconds?: number; now?: number } = {},
): boolean {
  const ts = Number(headers.timestamp);
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (!Number.isInteger(ts) || Math.abs(now - ts) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signWebhook(secret, ts, body));
  const given = Buffer.from(headers.signature ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface WebhookChannelOptions {
  storage: ObjectStorage;
  url: string;
  secret: string;
  /** How long the link to the video in the payload stays valid. */
  videoUrlSeconds?: number;
  timeoutMs?: number;
}

/**
 * POSTs each post as JSON, signed with HMAC-SHA256, for hand-offs to chat or automation tools.
 * A webhook cannot be asked whether it got an earlier delivery, so a retry re-sends with the
 * same Idempotency-Key: receivers that keep at-most-once drop the repeat.
 */
export class WebhookChannel implements Channel {
  readonly name = 'webhook' as const;
  readonly reconcileBy = 'idempotency-key' as const;
  readonly #options: WebhookChannelOptions;

  constructor(options: WebhookChannelOptions) {
    this.#options = options;
  }

  async publish(request: PublishRequest, context: PublishContext): Promise<RemotePost> {
    const { storage, url, secret } = this.#options;
    const video = await storage.head(request.renditionKey);
    if (!video) throw new RenditionMissingError(this.name, request.renditionKey);
    const body = JSON.stringify({
      postId: request.postId,
      channel: this.name,
      caption: request.caption,
      video: {
        key: request.renditionKey,
        url: await storage.urlFor(request.renditionKey, this.#options.videoUrlSeconds ?? 7 * 24 * 3600),
        bytes: video.size,
        contentType: video.contentType ?? 'video/mp4',
        preset: presetFor(this.name),
      },
      idempotencyKey: request.idempotencyKey,
      sentAt: new Date().toISOString(),
    });
    const timestamp = Math.floor(Date.now() / 1000);
    context.progress({ step: 'deliver' });
    await context.beforeCreate();
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signWebhook(secret, timestamp, body),
          [TIMESTAMP_HEADER]: String(timestamp),
          [IDEMPOTENCY_HEADER]: request.idempotencyKey,
        },
        body,
        signal: AbortSignal.any([
          AbortSignal.timeout(this.#options.timeoutMs ?? 30_000),
          ...(context.signal ? [context.signal] : []),
        ]),
      });
    } catch (err) {
      // The receiver may have acted before the connection failed.
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      throw new ChannelUnavailableError(this.name, `POST ${url}`, cause ?? (err as Error).message, false);
    }
    const text = await res.text().catch(() => '');
    if (res.ok) {
      const id = parseId(text) ?? request.idempotencyKey;
      return { remoteId: id };
    }
    const detail = `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
    if (res.status === 401 || res.status === 403) {
      throw new ChannelAuthError(
        this.name,
        detail,
        'check WEBHOOK_SECRET matches the receiver and WEBHOOK_URL is right',
      );
    }
    if (res.status === 429) {
      const after = Number(res.headers.get('retry-after'));
      const ms = Number.isFinite(after) && after > 0 ? after * 1000 : 60_000;
      throw new ChannelRateLimitedError(this.name, ms, new Date(Date.now() + ms));
    }
    if (res.status >= 500 || res.status === 408) {
      throw new ChannelUnavailableError(this.name, `POST ${url}`, detail, false);
    }
    throw new ChannelContentRejectedError(this.name, detail);
  }

  async reconcile(): Promise<RemotePost | undefined> {
    return undefined;
  }
}

function parseId(text: string): string | undefined {
  try {
    const id = (JSON.parse(text) as { id?: unknown }).id;
    return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
  } catch {
    return undefined;
  }
}
