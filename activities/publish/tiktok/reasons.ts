/**
 * TikTok's error codes and processing fail_reasons, as sentences a marketer can act on, and what
 * kind of failure each is. Sources: Content Posting API reference (Direct Post error codes) and
 * Get Post Status (fail_reason). Pure module.
 */

/**
 * media: the video itself was refused (fix the rendition); content: the account or the post
 * settings were refused (a retry cannot help); auth: reconnect the account; retry: TikTok's own
 * trouble, a later attempt may succeed.
 */
export type ReasonKind = 'media' | 'content' | 'auth' | 'retry';

export interface Reason {
  kind: ReasonKind;
  text: string;
}

const SPAM_AND_ACCOUNT: Record<string, Reason> = {
  spam_risk_too_many_posts: {
    kind: 'content',
    text: 'the TikTok account reached its limit of posts for today; replay the post tomorrow',
  },
  spam_risk_user_banned_from_posting: {
    kind: 'content',
    text: 'TikTok has blocked the account from posting; check the account in the TikTok app before replaying',
  },
  spam_risk_too_many_pending_share: {
    kind: 'content',
    text: 'the TikTok account has too many posts waiting to be published; wait for them, then replay',
  },
  spam_risk_text: {
    kind: 'content',
    text: 'TikTok flagged the caption as spam; change the caption template, then replay',
  },
  spam_risk: {
    kind: 'content',
    text: 'TikTok flagged the post as spam; change the caption or wait a day, then replay',
  },
  reached_active_user_cap: {
    kind: 'content',
    text: "the Reelcast TikTok app reached TikTok's daily limit of posting accounts (5 a day until TikTok audits the app); replay tomorrow or get the app audited",
  },
  unaudited_client_can_only_post_to_private_accounts: {
    kind: 'content',
    text: 'TikTok lets this Reelcast app post only privately until TikTok audits it: set the privacy level to SELF_ONLY and make the TikTok account private, or get the app audited, then replay',
  },
  privacy_level_option_mismatch: {
    kind: 'content',
    text: "the privacy level is not one this TikTok account offers (the creator's settings changed); pick one the account allows in the calendar, then replay",
  },
  url_ownership_unverified: {
    kind: 'content',
    text: 'TikTok has not verified that Reelcast owns the video URL; verify the domain in the TikTok developer portal',
  },
  scope_not_authorized: {
    kind: 'auth',
    text: 'the TikTok account did not allow Reelcast to post (the video.publish permission is missing)',
  },
  access_token_invalid: {
    kind: 'auth',
    text: 'TikTok no longer accepts the account’s authorization',
  },
  auth_removed: {
    kind: 'auth',
    text: 'the TikTok account removed Reelcast’s access while the video was being published',
  },
};

const PROCESSING: Record<string, Reason> = {
  file_format_check_failed: {
    kind: 'media',
    text: 'TikTok could not read the video file: the tiktok rendition must be MP4 (H.264, AAC)',
  },
  duration_check_failed: {
    kind: 'media',
    text: 'the video is longer (or shorter) than TikTok allows for this account',
  },
  frame_rate_check_failed: {
    kind: 'media',
    text: 'TikTok does not accept the video’s frame rate (the tiktok preset makes 30 fps)',
  },
  picture_size_check_failed: {
    kind: 'media',
    text: 'TikTok does not accept the video’s picture size (the tiktok preset makes 1080x1920)',
  },
  video_pull_failed: {
    kind: 'retry',
    text: 'TikTok could not download the video',
  },
  publish_cancelled: {
    kind: 'content',
    text: 'the post was cancelled on TikTok before it was published (deleted in the app?); replay to post it again',
  },
  internal: {
    kind: 'retry',
    text: 'TikTok had an internal problem processing the video',
  },
};

/** A processing fail_reason from status/fetch. */
export function failReason(code: string): Reason {
  return (
    PROCESSING[code] ??
    SPAM_AND_ACCOUNT[code] ??
    (code.startsWith('spam_risk')
      ? SPAM_AND_ACCOUNT.spam_risk
      : { kind: 'media', text: `TikTok could not publish the video (reason "${code || 'none given'}")` })
  );
}

/** An error code from an API answer (init, creator_info, status), when it has a known meaning. */
export function errorReason(code: string): Reason | undefined {
  return SPAM_AND_ACCOUNT[code] ?? (code.startsWith('spam_risk') ? SPAM_AND_ACCOUNT.spam_risk : undefined);
}
