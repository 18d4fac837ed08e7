/** Connected accounts and their tokens: the store, the token source, connecting, and status. */
export {
  connectAccount,
  ConnectError,
  DEFAULT_REDIRECT_PORT,
  REDIRECT_PATH,
  type ConnectOptions,
} from './connect';
export { accountTokenSources } from './for-channel';
export { mergeGrant, tokensFromGrant } from './grant';
export {
  grantFrom,
  pkcePair,
  randomState,
  redact,
  StandardOAuth2Provider,
  tokenEndpointError,
} from './oauth2';
export type { StandardOAuth2Options } from './oauth2';
export {
  accountState,
  REFRESH_POLICIES,
  refreshDecision,
  type AccountState,
  type RefreshPolicy,
} from './policy';
export { DEFAULT_SCOPES, oauthProviderFor } from './providers';
export { KEY_SETTING, parseTokenKey, TokenKeyError } from './seal';
export { StoredTokenSource, type StoredTokenSourceOptions } from './source';
export {
  StoredObjectDamagedError,
  TokenStore,
  type AccountSummary,
  type RefreshLock,
  type StoredAccount,
} from './store';
export { xAccountTokens, xCredentialsFor, xNewTokensFix } from './x-accounts';
export { accountStatuses, type AccountStatus } from './status';
