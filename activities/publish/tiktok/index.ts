/** TikTok: Content Posting API (Direct Post) channel and Login Kit OAuth. */
export { TIKTOK_API_BASE_URL, TikTokApiError } from './api';
export { planChunks, type ChunkPlan } from './chunks';
export { TikTokChannel, normalizeCaption, type TikTokChannelOptions } from './channel';
export { TIKTOK_AUTH_BASE_URL, TIKTOK_SCOPES, TikTokOAuth, type TikTokOAuthOptions } from './oauth';
