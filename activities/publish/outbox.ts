import { outboxKeys, PREFIXES, type ObjectStorage } from '../storage';
import type { Channel, ChannelName, PublishContext, PublishRequest, RemotePost } from './channel';
import { presetFor } from './channel-table';
import { RenditionMissingError } from './errors';

export interface OutboxChannelOptions {
  /** Where the renditions are. */
  storage: ObjectStorage;
  /** Where deliveries go: a folder of its own (FsStorage), or the same storage. */
  target: ObjectStorage;
  /** Key prefix inside target: '' for a folder of its own, `outbox/` inside the main storage. */
  prefix?: string;
  /**
   * The channel it stands in for (delivery mode `outbox`): files go under `<postId>/<channel>/`,
   * and the record names that channel's preset; the publish checks that channel's rules.
   */
  standsInFor?: ChannelName;
}

/**
 * The embedded default channel: writes exactly what would be published, so a person (or a test)
 * can look at it: `<postId>/outbox/caption.txt`, `video.mp4` and `post.json` (with the account,
 * the AI label and the platform settings the real channel would get), which is written last and
 * so marks a complete delivery.
 */
export class OutboxChannel implements Channel {
  readonly name: ChannelName;
  readonly reconcileBy = 'lookup' as const;
  readonly #options: OutboxChannelOptions & { prefix: string };

  constructor(options: OutboxChannelOptions) {
    this.#options = { prefix: PREFIXES.outbox, ...options };
    this.name = options.standsInFor ?? 'outbox';
  }

  async publish(request: PublishRequest, context: PublishContext): Promise<RemotePost> {
    const { storage, target } = this.#options;
    const keys = this.#keys(request);
    const video = await storage.head(request.renditionKey);
    if (!video) throw new RenditionMissingError(this.name, request.renditionKey);
    context.progress({ step: 'write', done: 0, total: video.size });
    // The same files again, if a newer attempt writes them too.
    await context.beforeCreate({ repeatable: true });
    await target.put(keys.caption, request.caption, { contentType: 'text/plain; charset=utf-8' });
    await target.put(keys.video, await storage.get(request.renditionKey), { contentType: 'video/mp4' });
    const post = {
      postId: request.postId,
      channel: this.name,
      preset: presetFor(this.name),
      caption: request.caption,
      account: request.account,
      aiGenerated: request.aiGenerated,
      options: request.options,
      rendition: {
        key: request.renditionKey,
        bytes: video.size,
        contentType: video.contentType ?? 'video/mp4',
      },
      files: keys,
      idempotencyKey: request.idempotencyKey,
      publishedAt: new Date().toISOString(),
    };
    await target.put(keys.post, JSON.stringify(post, null, 2), { contentType: 'application/json' });
    context.progress({ step: 'write', done: video.size, total: video.size });
    return this.#remote(request);
  }

  async reconcile(request: PublishRequest): Promise<RemotePost | undefined> {
    return (await this.#options.target.head(this.#keys(request).post)) ? this.#remote(request) : undefined;
  }

  #keys(request: PublishRequest): { caption: string; video: string; post: string } {
    const k = outboxKeys(request.postId, this.name);
    const p = this.#options.prefix;
    return { caption: p + k.caption, video: p + k.video, post: p + k.post };
  }

  async #remote(request: PublishRequest): Promise<RemotePost> {
    const key = this.#keys(request).post;
    const { target } = this.#options;
    // A presigned S3 link would expire inside the ledger; file URLs do not.
    return {
      remoteId: `outbox:${request.postId}`,
      url: target.kind === 'fs' ? await target.urlFor(key) : undefined,
    };
  }
}
