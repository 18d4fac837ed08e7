/** Vertical renditions per channel: presets, the transcode core, its activities and errors. */
export { createMediaActivities, type MediaActivities, type MediaActivityDeps } from './activities';
export * from './errors';
export { checkMasterEncoder, checkMediaTools, type MediaToolsInfo } from './ffmpeg';
export {
  FIT_MODES,
  FRAME_RATE_MODES,
  PRESET_NAMES,
  PRESETS,
  isFitMode,
  isPresetName,
  type ChannelPreset,
  type FitMode,
  type FrameRateMode,
  type PresetName,
} from './presets';
export type { RenditionSummary } from './probe';
export { WATERMARK_POSITIONS, type WatermarkPosition } from './rendition-job';
export { renditionKeys, sharedRenditionKeys } from './rendition-keys';
export { transcodeRenditions, type TranscodeRenditionsRequest } from './renditions';
export {
  renderRendition,
  sweepStaleWorkDirs,
  transcodeRendition,
  type RenderRequest,
  type TranscodeProgress,
  type TranscodeRequest,
  type TranscodeResult,
  type WatermarkPlacement,
} from './transcode';
export { AI_DISCLOSURE } from './validate';
