import type { ReelcastConfig } from '../../config';
import { FsStorage, type ObjectStorage } from '../storage';
import { DEFAULT_ACCOUNT, type Platform, type TokenSource } from './accounts';
import {
  CHANNEL_NAMES,
  type Channel,
  type ChannelName,
  type PublishContext,
  type PublishRequest,
  type RemotePost,
} from './channel';
import { ChannelAuthError, ChannelNotConfiguredError } from './errors';
import { InstagramChannel } from './instagram';
import { OutboxChannel } from './outbox';
import { TikTokChannel } from './tiktok';
import { accountTokenSources, oauthProviderFor, TokenStore, xCredentialsFor, xNewTokensFix } from './tokens';
import { WebhookChannel } from './webhook';
import { XChannel } from './x';
import { YouTubeChannel } from './youtube';

/** The channels a config can publish to; one that lacks settings explains which when asked for. */
export class ChannelSet {
  readonly #channels = new Map<string, Channel | ChannelNotConfiguredError>();

  constructor(channels: Array<Channel | ChannelNotConfiguredError>) {
    for (const c of channels)
      this.#channels.set(c instanceof ChannelNotConfiguredError ? c.channel : c.name, c);
  }

  get(name: string): Channel {
    const found = this.#channels.get(name);
    if (!found) {
      throw new ChannelNotConfiguredError(
        name,
        `a known channel name (${[...this.#channels.keys()].join(', ')})`,
      );
    }
    if (found instanceof ChannelNotConfiguredError) throw found;
    return found;
  }
}

/**
 * Builds every channel from the config. Secrets are revealed here, at the point of use.
 * Delivery `outbox` (the embedded default) makes every channel an outbox stand-in: a dry run that
 * writes exactly what would be published, under `<postId>/<channel>/`, and posts nothing.
 */
export function openChannels(config: ReelcastConfig, storage: ObjectStorage): ChannelSet {
  const outboxDir = config.channels.outbox.dir;
  const target = outboxDir
    ? { storage, target: new FsStorage(outboxDir, 'channels.outbox.dir (REELCAST_OUTBOX_DIR)'), prefix: '' }
    : { storage, target: storage };
  if (config.channels.delivery === 'outbox') {
    return new ChannelSet(CHANNEL_NAMES.map((name) => new OutboxChannel({ ...target, standsInFor: name })));
  }
  return liveChannels(config, storage, target);
}

function liveChannels(
  config: ReelcastConfig,
  storage: ObjectStorage,
  outboxTarget: ConstructorParameters<typeof OutboxChannel>[0],
): ChannelSet {
  const webhook = config.channels.webhook;
  const tt = config.channels.tiktok;
  const ig = config.channels.instagram;
  const yt = config.channels.youtube;
  const x = config.channels.x;
  /** A platform whose accounts sign in with OAuth 2: its channel, or the settings it lacks. */
  const oauthChannel = (
    platform: Exclude<Platform, 'x'>,
    channel: ChannelName,
    make: (tokens: (account: string) => TokenSource) => Channel,
  ): Channel | ChannelNotConfiguredError => {
    try {
      oauthProviderFor(platform, config);
    } catch (err) {
      if (err instanceof ChannelNotConfiguredError)
        return new ChannelNotConfiguredError(channel, err.missing);
      throw err;
    }
    return make(accountTokenSources(platform, config, storage, channel));
  };
  let tokenStore: TokenStore | undefined;
  return new ChannelSet([
    oauthChannel(
      'instagram',
      'reels',
      (tokens) =>
        new InstagramChannel({
          storage,
          tokens,
          graphBaseUrl: ig.graphBaseUrl,
          uploadBaseUrl: ig.uploadBaseUrl,
          apiVersion: ig.apiVersion,
          // Only S3 storage gives a link Instagram can fetch; local files stay uploaded.
          publicVideoUrl:
            ig.publicStorage && storage.kind === 's3' ? (key) => storage.urlFor(key, 24 * 3600) : undefined,
        }),
    ),
    oauthChannel(
      'tiktok',
      'tiktok',
      (tokens) =>
        new TikTokChannel({
          storage,
          tokens,
          apiBaseUrl: tt.apiBaseUrl,
          processingDeadlineMs: tt.processingDeadlineSeconds * 1000,
          reconcileWindowMs: tt.reconcileWindowMinutes * 60_000,
        }),
    ),
    oauthChannel(
      'youtube',
      'shorts',
      // A YouTube channel object keeps its account's uploads playlist: one per account.
      (tokens) =>
        new PerAccountChannel(
          'shorts',
          'lookup',
          async (account) =>
            new YouTubeChannel({
              storage,
              tokens: tokens(account),
              apiBaseUrl: yt.apiBaseUrl,
              chunkBytes: yt.chunkMiB * 1024 * 1024,
              reconcileWindowMs: yt.reconcileWindowMinutes * 60_000,
            }),
        ),
    ),
    x.appKey && x.appSecret
      ? new PerAccountChannel('x', 'lookup', async (account) => {
          tokenStore ??= TokenStore.open(config, storage);
          return new XChannel({
            storage,
            apiBaseUrl: x.apiBaseUrl,
            credentials: await xCredentialsFor(account, config, tokenStore),
            newTokensFix: xNewTokensFix(account, config),
            reconcileWindowMs: x.reconcileWindowMinutes * 60_000,
            processingDeadlineMs: x.processingDeadlineSeconds * 1000,
          });
        })
      : new ChannelNotConfiguredError(
          'x',
          [!x.appKey && 'X_APP_KEY', !x.appSecret && 'X_APP_SECRET'].filter(Boolean).join(', '),
        ),
    new OutboxChannel(outboxTarget),
    webhook.url && webhook.secret
      ? new WebhookChannel({ storage, url: webhook.url, secret: webhook.secret.reveal() })
      : new ChannelNotConfiguredError(
          'webhook',
          webhook.url ? 'WEBHOOK_SECRET' : 'WEBHOOK_URL and WEBHOOK_SECRET',
        ),
  ]);
}

/**
 * One channel for every account of a platform whose client is bound to one account (X's OAuth
 * 1.0a user tokens, YouTube's uploads playlist): the account's own channel is made on first use
 * and kept until the platform refuses the account.
 */
class PerAccountChannel implements Channel {
  readonly #byAccount = new Map<string, Promise<Channel>>();

  constructor(
    readonly name: ChannelName,
    readonly reconcileBy: Channel['reconcileBy'],
    private readonly make: (account: string) => Promise<Channel>,
  ) {}

  async publish(request: PublishRequest, context: PublishContext): Promise<RemotePost> {
    return this.#with(request, (channel) => channel.publish(request, context));
  }

  async reconcile(request: PublishRequest, since: Date, ignore: readonly string[]) {
    return this.#with(request, (channel) => channel.reconcile(request, since, ignore));
  }

  /**
   * Calls the account's channel. A refused account's channel is dropped: the person connects the
   * account again, and the replay that follows reads the new tokens without a worker restart.
   */
  async #with<T>(request: PublishRequest, call: (channel: Channel) => Promise<T>): Promise<T> {
    const account = request.account ?? DEFAULT_ACCOUNT;
    const made = this.#for(account);
    try {
      return await call(await made);
    } catch (err) {
      if (err instanceof ChannelAuthError && this.#byAccount.get(account) === made)
        this.#byAccount.delete(account);
      throw err;
    }
  }

  #for(account: string): Promise<Channel> {
    let channel = this.#byAccount.get(account);
    if (!channel) {
      channel = this.make(account);
      // A failure (an account not connected yet) is not kept: the next attempt asks again.
      channel.catch(() => this.#byAccount.delete(account));
      this.#byAccount.set(account, channel);
    }
    return channel;
  }
}

export type { ChannelName };
