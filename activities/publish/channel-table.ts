import type { Platform } from './accounts';
import type { ChannelPostOptions } from './channel';
import type { PresetName } from '../media/presets';

/**
 * The channel table: everything Reelcast knows about each channel, in one place. The plan and
 * `validate`, the post workflow, the adapters, the transcode presets and the CLI all read it
 * (docs/ARCHITECTURE.md, "The channel table").
 * Pure data and pure functions (no Node APIs, no libraries): workflow code imports it.
 *
 * Sources, checked 2026-11 (../shared/PLATFORMS.md keeps the notes):
 * - X: 280 characters in twitter-text's weighted counting; video ≤ 140 s, ≤ 512 MB, ≤ 60 fps.
 * - Instagram Reels (Graph API): caption ≤ 2,200 characters, ≤ 30 hashtags, ≤ 20 @-mentions;
 *   3 s – 15 min, ≤ 1 GB; AI label `is_ai_generated` on the container.
 * - TikTok (Content Posting API): title (the caption) ≤ 2,200 UTF-16 units; 3–600 s; AI label
 *   `post_info.is_aigc`. Unaudited apps may only post SELF_ONLY, hence that default.
 * - YouTube (Data API v3, videos resource): title ≤ 100 characters, description ≤ 5,000 bytes,
 *   neither may contain < or >; Shorts ≤ 3 min; AI label `status.containsSyntheticMedia`.
 *   Unaudited projects upload private only, hence that default.
 */

export const CHANNEL_NAMES = ['x', 'reels', 'tiktok', 'shorts', 'outbox', 'webhook'] as const;
export type ChannelName = (typeof CHANNEL_NAMES)[number];

/** How a channel counts the length of a text. */
export type TextCounting =
  /** twitter-text v3: most CJK characters and emoji weigh 2, any URL 23 (see channel-text.ts). */
  | 'x-weighted'
  /** Unicode code points: an emoji is 1. */
  | 'code-points'
  /** UTF-16 code units, as JavaScript's `length`: an emoji outside the BMP is 2. */
  | 'utf16'
  /** Bytes of the UTF-8 encoding: a CJK character is 3. */
  | 'utf8-bytes';

export interface TextRules {
  maxLength: number;
  /** An empty text is refused (YouTube's title). */
  required?: boolean;
  counting: TextCounting;
  /** Characters the platform refuses anywhere in the text. */
  forbidden?: string;
  maxHashtags?: number;
  maxMentions?: number;
}

export interface VideoLimits {
  minSeconds?: number;
  maxSeconds?: number;
  maxBytes: number;
  maxFps?: number;
}

export interface ChannelSpec {
  /** Whose API publishes it; `none` for the outbox and the webhook (and no named accounts). */
  platform: Platform | 'none';
  /** The rendition this channel publishes (renditions/<hash>/<preset>.mp4). */
  preset: PresetName;
  /** The caption (on YouTube: the description). */
  caption: TextRules;
  /** A separate title the platform requires (YouTube). */
  title?: TextRules;
  video: VideoLimits;
  /** The platform's AI-generated label: the field the adapter sets when the calendar discloses AI. */
  aiLabel?: string;
  /** Post settings when the calendar says nothing (see calendars/README.md). */
  defaults: DefaultPostOptions;
}

export type TikTokPostOptions = NonNullable<ChannelPostOptions['tiktok']>;
export type YouTubePostOptions = NonNullable<ChannelPostOptions['youtube']>;
export type InstagramPostOptions = NonNullable<ChannelPostOptions['instagram']>;

/** The calendar-independent part of ChannelPostOptions (the YouTube title is per post). */
export interface DefaultPostOptions {
  tiktok?: TikTokPostOptions;
  youtube?: Omit<YouTubePostOptions, 'title'>;
  instagram?: InstagramPostOptions;
}

const MB = 1024 * 1024;

export const CHANNEL_TABLE = {
  x: {
    platform: 'x',
    preset: 'x',
    caption: { maxLength: 280, counting: 'x-weighted' },
    video: { minSeconds: 0.5, maxSeconds: 140, maxBytes: 512 * MB, maxFps: 60 },
    // X's API has no AI-generated label; the caption line is the disclosure there.
    defaults: {},
  },
  reels: {
    platform: 'instagram',
    preset: 'reels',
    caption: { maxLength: 2200, counting: 'code-points', maxHashtags: 30, maxMentions: 20 },
    video: { minSeconds: 3, maxSeconds: 900, maxBytes: 1024 * MB, maxFps: 60 },
    aiLabel: 'is_ai_generated',
    defaults: { instagram: { shareToFeed: true } },
  },
  tiktok: {
    platform: 'tiktok',
    preset: 'tiktok',
    caption: { maxLength: 2200, counting: 'utf16' },
    video: { minSeconds: 3, maxSeconds: 600, maxBytes: 1024 * MB, maxFps: 60 },
    aiLabel: 'post_info.is_aigc',
    // TikTok's guidelines: interactions are off until a person turns them on.
    defaults: {
      tiktok: {
        privacyLevel: 'SELF_ONLY',
        disableComment: true,
        disableDuet: true,
        disableStitch: true,
        brandContentToggle: false,
        brandOrganicToggle: false,
      },
    },
  },
  shorts: {
    platform: 'youtube',
    preset: 'shorts',
    caption: { maxLength: 5000, counting: 'utf8-bytes', forbidden: '<>' },
    title: { maxLength: 100, counting: 'utf16', forbidden: '<>', required: true },
    video: { minSeconds: 1, maxSeconds: 180, maxBytes: 1024 * MB, maxFps: 60 },
    aiLabel: 'status.containsSyntheticMedia',
    // Category 22 is "People & Blogs", YouTube's own default for uploads.
    defaults: { youtube: { privacyStatus: 'private', categoryId: '22', tags: [], madeForKids: false } },
  },
  // The outbox and the webhook hand over the generic 9:16 rendition that every platform accepts.
  outbox: {
    platform: 'none',
    preset: 'reels',
    caption: { maxLength: 2200, counting: 'code-points' },
    video: { maxBytes: 1024 * MB },
    defaults: {},
  },
  webhook: {
    platform: 'none',
    preset: 'reels',
    caption: { maxLength: 10_000, counting: 'code-points' },
    video: { maxBytes: 4096 * MB },
    defaults: {},
  },
} satisfies Record<ChannelName, ChannelSpec>;

export function channelSpec(channel: ChannelName): ChannelSpec {
  return CHANNEL_TABLE[channel];
}

export function isChannelName(value: string): value is ChannelName {
  return (CHANNEL_NAMES as readonly string[]).includes(value);
}

/** The rendition preset a channel publishes. */
export function presetFor(channel: ChannelName): PresetName {
  return CHANNEL_TABLE[channel].preset;
}

/** Channels that post through a platform's API, and so to one of its named accounts. */
export const ACCOUNT_CHANNELS = CHANNEL_NAMES.filter((c) => CHANNEL_TABLE[c].platform !== 'none');

/** The platform of a channel with named accounts, undefined for the outbox and the webhook. */
export function platformOf(channel: ChannelName): Platform | undefined {
  const platform = CHANNEL_TABLE[channel].platform;
  return platform === 'none' ? undefined : platform;
}
