import type { ChannelPostOptions, PublishRequest } from '../channel';
import { ChannelContentRejectedError } from '../errors';

/**
 * What a TikTok Direct Post says besides the video: built from the calendar's tiktok settings and
 * checked against what creator_info says the account allows right now. Pure module.
 */

export const PRIVACY_LEVELS = [
  'PUBLIC_TO_EVERYONE',
  'MUTUAL_FOLLOW_FRIENDS',
  'FOLLOWER_OF_CREATOR',
  'SELF_ONLY',
] as const;
export type PrivacyLevel = (typeof PRIVACY_LEVELS)[number];

/** POST /v2/post/publish/creator_info/query/ → data. */
export interface CreatorInfo {
  creator_username: string;
  creator_nickname?: string;
  privacy_level_options: string[];
  comment_disabled: boolean;
  duet_disabled: boolean;
  stitch_disabled: boolean;
  max_video_post_duration_sec: number;
}

/** post_info of /v2/post/publish/video/init/. */
export interface PostInfo {
  title: string;
  privacy_level: PrivacyLevel;
  disable_comment: boolean;
  disable_duet: boolean;
  disable_stitch: boolean;
  brand_content_toggle: boolean;
  brand_organic_toggle: boolean;
  is_aigc: boolean;
}

export type TikTokPostSettings = NonNullable<ChannelPostOptions['tiktok']>;

/** Without calendar settings a post is private: nobody sees it by accident. */
export const DEFAULT_POST_SETTINGS: TikTokPostSettings = {
  privacyLevel: 'SELF_ONLY',
  disableComment: false,
  disableDuet: false,
  disableStitch: false,
  brandContentToggle: false,
  brandOrganicToggle: false,
};

/**
 * The post_info for `request`, or ChannelContentRejectedError saying what to change when the
 * account does not allow it. `durationSeconds`: the rendition's length, when storage knows it.
 */
export function postInfoFor(
  request: Pick<PublishRequest, 'caption' | 'aiGenerated' | 'options'>,
  creator: CreatorInfo,
  durationSeconds?: number,
): PostInfo {
  const settings = { ...DEFAULT_POST_SETTINGS, ...request.options?.tiktok };
  const account = `the TikTok account @${creator.creator_username}`;
  if (!creator.privacy_level_options.includes(settings.privacyLevel)) {
    throw new ChannelContentRejectedError(
      'tiktok',
      `the calendar asks for privacy level ${settings.privacyLevel}, but ${account} allows only ${creator.privacy_level_options.join(', ') || 'none'}: change privacyLevel in the calendar's tiktok settings, then replay`,
    );
  }
  if (settings.brandContentToggle && settings.privacyLevel === 'SELF_ONLY') {
    throw new ChannelContentRejectedError(
      'tiktok',
      'TikTok does not allow branded content (paid partnership) to be private: choose another privacyLevel or turn brandContentToggle off, then replay',
    );
  }
  const max = creator.max_video_post_duration_sec;
  if (durationSeconds !== undefined && max > 0 && durationSeconds > max) {
    throw new ChannelContentRejectedError(
      'tiktok',
      `the clip lasts ${durationSeconds} s; ${account} can post at most ${max} s: shorten the clip, then replay`,
    );
  }
  return {
    title: request.caption,
    privacy_level: settings.privacyLevel,
    // What the creator switched off in TikTok stays off, whatever the calendar says.
    disable_comment: settings.disableComment || creator.comment_disabled,
    disable_duet: settings.disableDuet || creator.duet_disabled,
    disable_stitch: settings.disableStitch || creator.stitch_disabled,
    brand_content_toggle: settings.brandContentToggle,
    brand_organic_toggle: settings.brandOrganicToggle,
    is_aigc: request.aiGenerated ?? true,
  };
}
