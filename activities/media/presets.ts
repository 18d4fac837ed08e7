import { CHANNEL_TABLE } from '../publish/channel-table';

/**
 * One rendition preset per channel: the frame, the encoder settings and the limits a rendition is
 * validated against. Pure data; the numbers come from the platforms' published upload specs
 * (checked 2026-11):
 *
 * - X media best practices: MP4, H.264 High, ≤ 1280x1024 landscape / 720x1280 portrait
 *   recommended, ≤ 60 fps, 0.5–140 s, ≤ 512 MB, 1:1 pixel aspect, mono or stereo audio.
 * - Instagram Reels (Graph API): H.264, progressive, closed GOP, 4:2:0, 23–60 fps, VBR ≤ 25 Mbps,
 *   AAC ≤ 48 kHz mono/stereo at 128 kbps, 3 s – 15 min, ≤ 1 GB.
 * - TikTok (Content Posting API): MP4/H.264, 23–60 fps, 360–4096 px per side, 3–600 s.
 *   The API accepts up to 4 GB; 1 GB is the figure schedulers publish, so we keep that.
 * - YouTube Shorts: square or vertical, ≤ 3 min (since 2024-10-15); upload recommendations:
 *   moov first, AAC-LC 48 kHz, H.264 High, 2 consecutive B-frames, closed GOP of half the frame
 *   rate, 8 Mbps for 1080p at 30 fps.
 *
 * The limits (duration, size, frame rate) are the channel table's: ../publish/channel-table.ts.
 *
 * Levels: 1080x1920 is 8160 macroblocks, 244,800 per second at 30 fps: inside level 4.1
 * (8192 / 245,760). 720x1280 at 30 fps is exactly level 3.1's limits (3600 / 108,000).
 */

export const PRESET_NAMES = ['x', 'reels', 'tiktok', 'shorts'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export const FIT_MODES = ['blur', 'crop', 'pad'] as const;
/** How a source that is not 9:16 fills the frame. */
export type FitMode = (typeof FIT_MODES)[number];

/** Fractions of the frame kept clear of the platform's own overlays (buttons, caption, progress bar). */
export interface SafeArea {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

export interface ChannelPreset {
  name: PresetName;
  width: number;
  height: number;
  fps: number;
  video: {
    /** ffprobe's spelling, e.g. `High`. */
    profile: 'High';
    /** H.264 level as ffprobe reports it: 41 for 4.1. */
    level: number;
    /** VBV cap, bits per second. */
    maxBitrate: number;
    bufferSize: number;
    /** Keyframe interval in frames; every GOP is closed. */
    gopFrames: number;
    bFrames: number;
    /** x264 speed preset and constant-quality factor, chosen with bench/transcode.bench.ts. */
    x264Preset: string;
    crf: number;
  };
  audio: { sampleRate: 48000; channels: 2; bitrate: number };
  limits: { minSeconds: number; maxSeconds: number; maxBytes: number; maxFps: number };
  safeArea: SafeArea;
}

/** Shared by the three 1080x1920 channels; they differ in limits, GOP and overlays. */
const FULL_HD_VIDEO = {
  profile: 'High',
  level: 41,
  maxBitrate: 8_000_000,
  bufferSize: 16_000_000,
  gopFrames: 60,
  bFrames: 2,
  x264Preset: 'superfast',
  crf: 21,
} as const;

const AUDIO = { sampleRate: 48000, channels: 2, bitrate: 128_000 } as const;

export const PRESETS: Readonly<Record<PresetName, ChannelPreset>> = {
  x: {
    name: 'x',
    width: 720,
    height: 1280,
    fps: 30,
    video: { ...FULL_HD_VIDEO, level: 31, maxBitrate: 5_000_000, bufferSize: 10_000_000 },
    audio: AUDIO,
    limits: CHANNEL_TABLE.x.video,
    // X's player draws its controls along the bottom edge only.
    safeArea: { top: 0.05, bottom: 0.12, left: 0.05, right: 0.05 },
  },
  reels: {
    name: 'reels',
    width: 1080,
    height: 1920,
    fps: 30,
    video: FULL_HD_VIDEO,
    audio: AUDIO,
    limits: CHANNEL_TABLE.reels.video,
    // Meta's guidance: keep the top 14 % and bottom 35 % free of text and logos.
    safeArea: { top: 0.14, bottom: 0.35, left: 0.06, right: 0.12 },
  },
  tiktok: {
    name: 'tiktok',
    width: 1080,
    height: 1920,
    fps: 30,
    video: FULL_HD_VIDEO,
    audio: AUDIO,
    limits: CHANNEL_TABLE.tiktok.video,
    // TikTok's in-feed UI: ~130 px on top, ~480 px of caption and music at the bottom, the
    // like/comment/share column on the right.
    safeArea: { top: 0.08, bottom: 0.25, left: 0.06, right: 0.14 },
  },
  shorts: {
    name: 'shorts',
    width: 1080,
    height: 1920,
    fps: 30,
    // YouTube asks for a closed GOP of half the frame rate.
    video: { ...FULL_HD_VIDEO, gopFrames: 15 },
    audio: AUDIO,
    limits: CHANNEL_TABLE.shorts.video,
    safeArea: { top: 0.12, bottom: 0.25, left: 0.06, right: 0.14 },
  },
};

export const FRAME_RATE_MODES = ['duplicate', 'blend'] as const;
/**
 * How the model's frame rate (16 or 24 fps) becomes the channel's 30: repeat frames (sharp, a
 * slight judder), or blend neighbouring frames (smoother motion, a little softness on fast moves).
 */
export type FrameRateMode = (typeof FRAME_RATE_MODES)[number];

export function isPresetName(value: string): value is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(value);
}

export function isFrameRateMode(value: string): value is FrameRateMode {
  return (FRAME_RATE_MODES as readonly string[]).includes(value);
}

export function isFitMode(value: string): value is FitMode {
  return (FIT_MODES as readonly string[]).includes(value);
}

/** The safe area in pixels, rounded inward to even numbers (yuv420p needs even offsets). */
export function safeRect(preset: ChannelPreset): { x: number; y: number; width: number; height: number } {
  const even = (n: number, up: boolean): number => 2 * (up ? Math.ceil(n / 2) : Math.floor(n / 2));
  const x = even(preset.width * preset.safeArea.left, true);
  const y = even(preset.height * preset.safeArea.top, true);
  const right = even(preset.width * (1 - preset.safeArea.right), false);
  const bottom = even(preset.height * (1 - preset.safeArea.bottom), false);
  return { x, y, width: right - x, height: bottom - y };
}
