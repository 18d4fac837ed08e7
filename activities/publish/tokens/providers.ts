import type { ReelcastConfig } from '../../../config';
import type { OAuthProvider, Platform } from '../accounts';
import { ChannelNotConfiguredError } from '../errors';
import { InstagramOAuth } from '../instagram/oauth';
import { TikTokOAuth } from '../tiktok/oauth';
import { YouTubeOAuth } from '../youtube/oauth';

/**
 * The scopes `reelcast channels connect` asks for when the provider names none: what publishing
 * needs, plus the read that shows which account was connected.
 */
export const DEFAULT_SCOPES: Record<Exclude<Platform, 'x'>, readonly string[]> = {
  tiktok: ['user.info.basic', 'video.publish'],
  youtube: [
    'https://www.googleapis.com/auth/youtube.upload',
    'https://www.googleapis.com/auth/youtube.readonly',
  ],
  instagram: ['instagram_business_basic', 'instagram_business_content_publish'],
};

/**
 * Each OAuth platform's provider (its adapter's, in activities/publish/<platform>/oauth.ts), built
 * from the config; throws ChannelNotConfiguredError naming the app settings it lacks.
 */
export function oauthProviderFor(platform: Platform, config: ReelcastConfig): OAuthProvider {
  switch (platform) {
    case 'youtube': {
      const yt = config.channels.youtube;
      requireSettings('youtube', [
        !yt.clientId && 'YOUTUBE_CLIENT_ID',
        !yt.clientSecret && 'YOUTUBE_CLIENT_SECRET',
      ]);
      return new YouTubeOAuth({
        clientId: yt.clientId!.reveal(),
        clientSecret: yt.clientSecret!.reveal(),
        oauthBaseUrl: yt.oauthBaseUrl,
        apiBaseUrl: yt.apiBaseUrl,
      });
    }
    case 'tiktok': {
      const tt = config.channels.tiktok;
      requireSettings('tiktok', [
        !tt.clientKey && 'TIKTOK_CLIENT_KEY',
        !tt.clientSecret && 'TIKTOK_CLIENT_SECRET',
      ]);
      return new TikTokOAuth({
        clientKey: tt.clientKey!.reveal(),
        clientSecret: tt.clientSecret!.reveal(),
        apiBaseUrl: tt.apiBaseUrl,
        authBaseUrl: tt.authBaseUrl,
      });
    }
    case 'instagram': {
      const ig = config.channels.instagram;
      requireSettings('instagram', [
        !ig.appId && 'INSTAGRAM_APP_ID',
        !ig.appSecret && 'INSTAGRAM_APP_SECRET',
      ]);
      return new InstagramOAuth({
        appId: ig.appId!.reveal(),
        appSecret: ig.appSecret!.reveal(),
        graphBaseUrl: ig.graphBaseUrl,
        apiVersion: ig.apiVersion,
        // One replacement host for the log-in page and the code exchange (a proxy, or the fake).
        ...(ig.oauthBaseUrl ? { authorizeBaseUrl: ig.oauthBaseUrl, apiBaseUrl: ig.oauthBaseUrl } : {}),
      });
    }
    case 'x':
      throw new ChannelNotConfiguredError(
        'x',
        'the account with OAuth 1.0a user tokens: X accounts are connected with `reelcast channels connect x --account <name>` reading an access token and secret, not a browser sign-in',
      );
    default:
      throw new ChannelNotConfiguredError(
        platform,
        `a ${platform} adapter: this build of Reelcast cannot connect ${platform} accounts yet`,
      );
  }
}

/** Throws the settings a platform's app lacks (its OAuth client id and secret), by name. */
function requireSettings(platform: Platform, missing: Array<string | false | undefined>): void {
  const names = missing.filter((m): m is string => Boolean(m));
  if (names.length) throw new ChannelNotConfiguredError(platform, names.join(' and '));
}
