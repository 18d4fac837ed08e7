export { YouTubeChannel, YOUTUBE_API_BASE_URL, videoUrl, type YouTubeChannelOptions } from './channel';
export { YouTubeOAuth, YOUTUBE_SCOPES, type YouTubeOAuthOptions } from './oauth';
export { nextQuotaReset, QUOTA_ZONE } from './errors';
export { titleFromCaption, videoResource, metadataProblems, type VideoResource } from './metadata';
export { chunkAt, checkChunkBytes, receivedBytes, UPLOAD_GRANULARITY } from './resumable';
