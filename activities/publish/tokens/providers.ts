import type { ReelcastConfig } from '../../../config';
import type { OAuthProvider, Platform } from '../accounts';
import { ChannelNotConfiguredError } from '../errors';
import { InstagramOAuth } from '../instagram/oauth';
import { TikTokOAuth } from '../tiktok/oauth';
import { StandardOAuth2Provider } from './oauth2';

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
 * Each OAuth platform's provider, built from the config. The platform adapters' own providers
 * (activities/publish/<platform>/oauth.ts) replace the stand-ins here as they land; until then
 * YouTube is served by the standard OAuth 2 provider, which Google speaks as is.
 */
export function oauthProviderFor(platform: Platform, config: ReelcastConfig): OAuthProvider {
  switch (platform) {
    case 'youtube':
      return googleProvider(config);
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

function googleProvider(config: ReelcastConfig): OAuthProvider {
  const yt = config.channels.youtube;
  requireSettings('youtube', [
    !yt.clientId && 'YOUTUBE_CLIENT_ID',
    !yt.clientSecret && 'YOUTUBE_CLIENT_SECRET',
  ]);
  const base = yt.oauthBaseUrl?.replace(/\/+$/, '');
  // The stand-in reads the channel name from the same base in tests (the fake plays all of Google).
  const channelsUrl = `${base ?? 'https://www.googleapis.com'}/youtube/v3/channels?part=snippet&mine=true`;
  return new StandardOAuth2Provider({
    platform: 'youtube',
    authorizeUrl: base ? `${base}/o/oauth2/v2/auth` : 'https://accounts.google.com/o/oauth2/v2/auth',
    tokenUrl: base ? `${base}/token` : 'https://oauth2.googleapis.com/token',
    clientId: yt.clientId!.reveal(),
    clientSecret: yt.clientSecret!.reveal(),
    defaultScopes: DEFAULT_SCOPES.youtube,
    // A refresh token only comes with offline access, and again only when consent is asked.
    authorizeParams: { access_type: 'offline', prompt: 'consent' },
    describeAccount: async (accessToken) => {
      const res = await fetch(channelsUrl, {
        headers: { authorization: `Bearer ${accessToken}` },
        signal: AbortSignal.timeout(30_000),
      });
      if (!res.ok) return {};
      const body = (await res.json()) as { items?: Array<{ id?: string; snippet?: { title?: string } }> };
      return { id: body.items?.[0]?.id, name: body.items?.[0]?.snippet?.title };
    },
  });
}
