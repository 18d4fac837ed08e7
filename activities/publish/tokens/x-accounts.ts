import type { ReelcastConfig } from '../../../config';
import { checkAccountName, DEFAULT_ACCOUNT, reconnectCommand, type AccountTokens } from '../accounts';
import { AccountNotConnectedError, ChannelNotConfiguredError } from '../errors';
import { ENVIRONMENT_TOKENS_FIX, type XCredentials } from '../x';
import { KEY_SETTING, TokenKeyError } from './seal';
import type { TokenStore } from './store';

/**
 * X accounts use OAuth 1.0a user tokens, which do not expire: one app (X_APP_KEY, X_APP_SECRET)
 * and, per account, an access token and secret. The `default` account is still defined by
 * X_ACCESS_TOKEN and X_ACCESS_SECRET; more accounts are stored with
 * `reelcast channels connect x --account <name>` (the tokens from the X developer portal, or from
 * any OAuth 1.0a sign-in; Reelcast does not run X's three-legged sign-in itself).
 */
export async function xCredentialsFor(
  account: string,
  config: ReelcastConfig,
  store: TokenStore,
): Promise<XCredentials> {
  const x = config.channels.x;
  const app = [!x.appKey && 'X_APP_KEY', !x.appSecret && 'X_APP_SECRET'].filter(Boolean);
  if (app.length) throw new ChannelNotConfiguredError('x', app.join(' and '));
  const appKeys = { appKey: x.appKey!.reveal(), appSecret: x.appSecret!.reveal() };
  checkAccountName(account);
  if (fromEnvironment(account, config))
    return { ...appKeys, accessToken: x.accessToken!.reveal(), accessSecret: x.accessSecret!.reveal() };

  let stored: AccountTokens | undefined;
  try {
    stored = await store.read('x', account);
  } catch (err) {
    if (err instanceof TokenKeyError)
      throw new ChannelNotConfiguredError('x', `${KEY_SETTING} correctly: ${err.message}`);
    throw err;
  }
  if (stored?.accessSecret)
    return { ...appKeys, accessToken: stored.accessToken, accessSecret: stored.accessSecret };
  if (account === DEFAULT_ACCOUNT) {
    throw new ChannelNotConfiguredError(
      'x',
      `X_ACCESS_TOKEN and X_ACCESS_SECRET (or store them: \`${reconnectCommand('x', account)}\`)`,
    );
  }
  throw new AccountNotConnectedError('x', account, reconnectCommand('x', account));
}

/** The stored form of an X account's OAuth 1.0a user tokens. */
export function xAccountTokens(
  account: string,
  user: { accessToken: string; accessSecret: string },
  remote: { id?: string; username?: string } | undefined,
  now: Date,
): AccountTokens {
  return {
    platform: 'x',
    account: checkAccountName(account),
    accessToken: user.accessToken,
    accessSecret: user.accessSecret,
    scopes: [],
    remoteAccountId: remote?.id,
    remoteAccountName: remote?.username ? `@${remote.username}` : undefined,
    connectedAt: now.toISOString(),
  };
}

/** What a person does when X refuses the account's tokens: the environment's, or the store's. */
export function xNewTokensFix(account: string, config: ReelcastConfig): string {
  return fromEnvironment(account, config)
    ? ENVIRONMENT_TOKENS_FIX
    : `create a new access token for the account and run \`${reconnectCommand('x', account)}\``;
}

/** X_ACCESS_TOKEN and X_ACCESS_SECRET define the `default` account; the store has the others. */
function fromEnvironment(account: string, config: ReelcastConfig): boolean {
  const x = config.channels.x;
  return account === DEFAULT_ACCOUNT && !!(x.accessToken && x.accessSecret);
}
