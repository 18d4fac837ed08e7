import { loadConfig } from '../../../config';
import {
  ChannelNotConfiguredError,
  normalizeText,
  openChannels,
  OutboxChannel,
  signWebhook,
  verifyWebhookSignature,
  InstagramChannel,
  TikTokChannel,
} from '../../../activities/publish';
import { chunksOf } from '../../../activities/publish/x';
import { FsStorage } from '../../../activities/storage';
import { createHmac } from 'node:crypto';
import { Readable } from 'node:stream';

const storage = new FsStorage('/nonexistent-reelcast-test');
const base = { REELCAST_CONFIG: '/dev/null', REELCAST_DELIVERY: 'live' };

describe('channels from config', () => {
  it('a channel without its settings says which variables to set', () => {
    const channels = openChannels(loadConfig({ env: { ...base, X_APP_KEY: 'k' } }), storage);
    expect(() => channels.get('x')).toThrow(ChannelNotConfiguredError);
    expect(() => channels.get('x')).toThrow(/set X_APP_SECRET \(/);
    expect(() => channels.get('webhook')).toThrow(/WEBHOOK_URL and WEBHOOK_SECRET/);
    expect(() => channels.get('tiktok')).toThrow(
      /channel tiktok is not configured: set TIKTOK_CLIENT_KEY and TIKTOK_CLIENT_SECRET/,
    );
    expect(() => channels.get('shorts')).toThrow(
      /channel shorts is not configured: set YOUTUBE_CLIENT_ID and YOUTUBE_CLIENT_SECRET/,
    );
    expect(() => channels.get('reels')).toThrow(
      /channel reels is not configured: set INSTAGRAM_APP_ID and INSTAGRAM_APP_SECRET/,
    );
    expect(() => channels.get('myspace')).toThrow(
      /a known channel name \(reels, tiktok, shorts, x, outbox, webhook\)/,
    );
    expect(channels.get('outbox')).toBeInstanceOf(OutboxChannel);
  });

  it('delivery outbox (the embedded default) makes every channel a dry run into the outbox', () => {
    const channels = openChannels(loadConfig({ env: { REELCAST_CONFIG: '/dev/null' } }), storage);
    for (const name of ['x', 'reels', 'tiktok', 'shorts', 'webhook'] as const) {
      const channel = channels.get(name);
      expect(channel).toBeInstanceOf(OutboxChannel);
      expect(channel.name).toBe(name);
    }
  });

  it('builds X with the base URL and the windows from config', () => {
    const config = loadConfig({
      env: {
        ...base,
        X_APP_KEY: 'a',
        X_APP_SECRET: 'b',
        X_ACCESS_TOKEN: 'c',
        X_ACCESS_SECRET: 'd',
        X_API_BASE_URL: 'http://127.0.0.1:9/',
        X_RECONCILE_WINDOW_MINUTES: '30',
      },
    });
    expect(config.channels.x).toMatchObject({ reconcileWindowMinutes: 30, processingDeadlineSeconds: 600 });
    const x = openChannels(config, storage).get('x');
    expect(x).not.toBeInstanceOf(OutboxChannel);
    expect({ name: x.name, reconcileBy: x.reconcileBy }).toEqual({ name: 'x', reconcileBy: 'lookup' });
  });

  it('builds TikTok, YouTube and Instagram live channels once their apps are configured', () => {
    const config = loadConfig({
      env: {
        ...base,
        TIKTOK_CLIENT_KEY: 'k',
        TIKTOK_CLIENT_SECRET: 's',
        YOUTUBE_CLIENT_ID: 'i',
        YOUTUBE_CLIENT_SECRET: 's',
        INSTAGRAM_APP_ID: 'a',
        INSTAGRAM_APP_SECRET: 's',
      },
    });
    const channels = openChannels(config, storage);
    expect(channels.get('tiktok')).toBeInstanceOf(TikTokChannel);
    expect(channels.get('reels')).toBeInstanceOf(InstagramChannel);
    for (const name of ['tiktok', 'reels', 'shorts'] as const) {
      expect(channels.get(name)).not.toBeInstanceOf(OutboxChannel);
      expect(channels.get(name).name).toBe(name);
    }
  });
});

describe('X caption matching', () => {
  it('ignores what X adds or rewrites: the media link, t.co links, HTML escapes, spacing', () => {
    const sent = 'Spring sale 🌷 & more at https://example.com/sale  today';
    const stored = 'Spring sale 🌷 &amp; more at https://t.co/abc123 today https://t.co/media99';
    expect(normalizeText(stored)).toBe(normalizeText(sent));
    expect(normalizeText('Spring sale 🌷 & less')).not.toBe(normalizeText(sent));
  });
});

describe('upload chunks', () => {
  it('re-chunks any stream into exact sizes, the last one shorter', async () => {
    const source = Readable.from([Buffer.alloc(3, 1), Buffer.alloc(10, 2), Buffer.alloc(1, 3)]);
    const sizes: number[] = [];
    const all: Buffer[] = [];
    for await (const c of chunksOf(source, 4)) {
      sizes.push(c.length);
      all.push(c);
    }
    expect(sizes).toEqual([4, 4, 4, 2]);
    expect(Buffer.concat(all)).toEqual(
      Buffer.concat([Buffer.alloc(3, 1), Buffer.alloc(10, 2), Buffer.alloc(1, 3)]),
    );
  });
});

describe('webhook signature', () => {
  it('is HMAC-SHA256 over "<timestamp>.<body>" and checks freshness', () => {
    const sig = signWebhook('s3cret', 1_700_000_000, '{"a":1}');
    expect(sig).toBe('sha256=' + createHmac('sha256', 's3cret').update('1700000000.{"a":1}').digest('hex'));
    const headers = { signature: sig, timestamp: '1700000000' };
    expect(verifyWebhookSignature('s3cret', headers, '{"a":1}', { now: 1_700_000_100 })).toBe(true);
    expect(verifyWebhookSignature('s3cret', headers, '{"a":1}', { now: 1_700_000_400 })).toBe(false);
    expect(
      verifyWebhookSignature('s3cret', { ...headers, signature: 'sha256=00' }, '{"a":1}', {
        now: 1_700_000_000,
      }),
    ).toBe(false);
  });
});
