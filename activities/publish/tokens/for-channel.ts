import type { ReelcastConfig } from '../../../config';
import type { ObjectStorage } from '../../storage';
import type { Platform, TokenSource } from '../accounts';
import { ChannelNotConfiguredError } from '../errors';
import { oauthProviderFor } from './providers';
import { KEY_SETTING, TokenKeyError } from './seal';
import { StoredTokenSource } from './source';
import { TokenStore } from './store';

/**
 * What a platform's channel holds: the token source of each account it posts to, made when first
 * asked for and kept (one per account per worker). Settings problems (no client id, a malformed
 * key) surface when a post needs the account, as non-retryable ChannelNotConfiguredError.
 */
export function accountTokenSources(
  platform: Exclude<Platform, 'x'>,
  config: ReelcastConfig,
  storage: ObjectStorage,
  /** The channel name errors carry (`shorts`, `reels`, `tiktok`); default: the platform. */
  channel: string = platform,
): (account: string) => TokenSource {
  const sources = new Map<string, TokenSource>();
  let shared: { store: TokenStore; provider: ReturnType<typeof oauthProviderFor> } | undefined;
  return (account) => {
    let source = sources.get(account);
    if (!source) {
      if (!shared) {
        try {
          shared = { store: TokenStore.open(config, storage), provider: oauthProviderFor(platform, config) };
        } catch (err) {
          if (err instanceof TokenKeyError)
            throw new ChannelNotConfiguredError(channel, `${KEY_SETTING}: ${err.message}`);
          throw err;
        }
      }
      source = new StoredTokenSource({ ...shared, platform, account, channel });
      sources.set(account, source);
    }
    return source;
  };
}
