export { InstagramChannel, INSTAGRAM_DEFAULTS, type InstagramChannelOptions } from './channel';
export { InstagramOAuth, INSTAGRAM_SCOPES, type InstagramOAuthOptions } from './oauth';
export { CAPTION_LIMITS, captionLength, captionProblem, hashtagsIn, mentionsIn } from './caption';
export { containerError, CONTAINER_STATUS_CODES, type ContainerStatusCode } from './status';
