import type { ReelcastConfig } from '../../config';
import { FsStorage, type ObjectStorage } from '../storage';
import { CHANNEL_NAMES, type Channel, type ChannelName } from './channel';
import { ChannelNotConfiguredError } from './errors';
import { OutboxChannel } from './outbox';
import { WebhookChannel } from './webhook';
import { XChannel } from './x';

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
    ? { storage, target: new FsStorage(outboxDir), prefix: '' }
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
  const x = config.channels.x;
  const missingX = (['appKey', 'appSecret', 'accessToken', 'accessSecret'] as const)
    .filter((k) => !x[k])
    .map((k) => `X_${k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`);
  const webhook = config.channels.webhook;
  const noLivePublisher = (name: ChannelName) =>
    new ChannelNotConfiguredError(
      name,
      `REELCAST_DELIVERY=outbox (Reelcast has no live publisher for ${name} yet)`,
    );
  return new ChannelSet([
    noLivePublisher('reels'),
    noLivePublisher('tiktok'),
    noLivePublisher('shorts'),
    missingX.length
      ? new ChannelNotConfiguredError('x', missingX.join(', '))
      : new XChannel({
          storage,
          apiBaseUrl: x.apiBaseUrl,
          credentials: {
            appKey: x.appKey!.reveal(),
            appSecret: x.appSecret!.reveal(),
            accessToken: x.accessToken!.reveal(),
            accessSecret: x.accessSecret!.reveal(),
          },
          reconcileWindowMs: x.reconcileWindowMinutes * 60_000,
          processingDeadlineMs: x.processingDeadlineSeconds * 1000,
        }),
    new OutboxChannel(outboxTarget),
    webhook.url && webhook.secret
      ? new WebhookChannel({ storage, url: webhook.url, secret: webhook.secret.reveal() })
      : new ChannelNotConfiguredError(
          'webhook',
          webhook.url ? 'WEBHOOK_SECRET' : 'WEBHOOK_URL and WEBHOOK_SECRET',
        ),
  ]);
}

export type { ChannelName };
