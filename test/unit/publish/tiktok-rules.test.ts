import { ChannelContentRejectedError } from '../../../activities/publish';
import { parseJsonKeepingIds } from '../../../activities/publish/tiktok/api';
import { postInfoFor, type CreatorInfo } from '../../../activities/publish/tiktok/post-info';
import { errorReason, failReason } from '../../../activities/publish/tiktok/reasons';

const creator: CreatorInfo = {
  creator_username: 'brand_us',
  privacy_level_options: ['PUBLIC_TO_EVERYONE', 'FOLLOWER_OF_CREATOR', 'SELF_ONLY'],
  comment_disabled: false,
  duet_disabled: true,
  stitch_disabled: false,
  max_video_post_duration_sec: 60,
};
const tiktok = {
  privacyLevel: 'PUBLIC_TO_EVERYONE' as const,
  disableComment: true,
  disableDuet: false,
  disableStitch: false,
  brandContentToggle: false,
  brandOrganicToggle: true,
};

describe('TikTok processing fail_reason, as a marketer reads it', () => {
  it.each([
    ['file_format_check_failed', 'media', /MP4 \(H\.264, AAC\)/],
    ['duration_check_failed', 'media', /longer \(or shorter\) than TikTok allows/],
    ['frame_rate_check_failed', 'media', /frame rate .*30 fps/],
    ['picture_size_check_failed', 'media', /picture size .*1080x1920/],
    ['internal', 'retry', /internal problem/],
    ['publish_cancelled', 'content', /cancelled on TikTok/],
    ['auth_removed', 'auth', /removed Reelcast’s access/],
    ['spam_risk_too_many_posts', 'content', /limit of posts for today; replay the post tomorrow/],
    ['spam_risk_user_banned_from_posting', 'content', /blocked the account from posting/],
    ['spam_risk_something_new', 'content', /flagged the post as spam/],
    ['video_pull_failed', 'retry', /could not download/],
    ['a_reason_from_2027', 'media', /reason "a_reason_from_2027"/],
  ])('%s → %s: %s', (code, kind, text) => {
    const reason = failReason(code);
    expect(reason.kind).toBe(kind);
    expect(reason.text).toMatch(text);
    // No raw codes, except an unknown one, quoted.
    expect(reason.text.replace(/"[a-z_0-9]+"/, '')).not.toMatch(/_/);
  });

  it('init refusals read as what to do', () => {
    expect(errorReason('unaudited_client_can_only_post_to_private_accounts')?.text).toMatch(
      /only privately until TikTok audits it: set the privacy level to SELF_ONLY/,
    );
    expect(errorReason('privacy_level_option_mismatch')?.text).toMatch(/pick one the account allows/);
    expect(errorReason('spam_risk_too_many_posts')?.kind).toBe('content');
    expect(errorReason('rate_limit_exceeded')).toBeUndefined();
  });
});

describe('TikTok post_info from the calendar and creator_info', () => {
  it('defaults to a private post labelled as AI-generated, titled with the caption', () => {
    expect(postInfoFor({ caption: 'Hello 🌷' }, creator)).toEqual({
      title: 'Hello 🌷',
      privacy_level: 'SELF_ONLY',
      disable_comment: false,
      disable_duet: true, // the creator switched duets off
      disable_stitch: false,
      brand_content_toggle: false,
      brand_organic_toggle: false,
      is_aigc: true,
    });
  });

  it('takes the calendar settings and the disclosure policy', () => {
    const info = postInfoFor({ caption: 'c', aiGenerated: false, options: { tiktok } }, creator, 30);
    expect(info).toMatchObject({
      privacy_level: 'PUBLIC_TO_EVERYONE',
      disable_comment: true,
      disable_duet: true,
      brand_organic_toggle: true,
      is_aigc: false,
    });
  });

  it('refuses a privacy level the account does not offer, naming the ones it does', () => {
    const call = () =>
      postInfoFor(
        { caption: 'c', options: { tiktok: { ...tiktok, privacyLevel: 'MUTUAL_FOLLOW_FRIENDS' } } },
        creator,
      );
    expect(call).toThrow(ChannelContentRejectedError);
    expect(call).toThrow(
      /privacy level MUTUAL_FOLLOW_FRIENDS, but the TikTok account @brand_us allows only PUBLIC_TO_EVERYONE, FOLLOWER_OF_CREATOR, SELF_ONLY/,
    );
  });

  it('refuses a clip longer than the account may post', () => {
    expect(() => postInfoFor({ caption: 'c' }, creator, 75)).toThrow(
      /the clip lasts 75 s; the TikTok account @brand_us can post at most 60 s/,
    );
  });

  it('refuses private branded content', () => {
    expect(() =>
      postInfoFor(
        {
          caption: 'c',
          options: { tiktok: { ...tiktok, privacyLevel: 'SELF_ONLY', brandContentToggle: true } },
        },
        creator,
      ),
    ).toThrow(/branded content .* to be private/);
  });
});

describe('reading TikTok JSON', () => {
  it('keeps int64 post ids exact and leaves everything else alone', () => {
    const text =
      '{"data":{"publicaly_available_post_id":[7400000000000000001],"uploaded_bytes":12,"caption":"call 12345678901234567890, ok"}}';
    expect(parseJsonKeepingIds(text)).toEqual({
      data: {
        publicaly_available_post_id: ['7400000000000000001'],
        uploaded_bytes: 12,
        caption: 'call 12345678901234567890, ok',
      },
    });
  });
});
