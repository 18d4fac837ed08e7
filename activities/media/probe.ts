/**
 * ffprobe output turned into the few typed facts the transcode and its validation use.
 */
import { ffprobeJson, ProbeFailedError, type ProbeJson, type ProbeStream } from './ffmpeg';
import { CorruptMediaError } from './errors';

export interface SourceInfo {
  width: number;
  height: number;
  /** Display aspect of one pixel; 1 for square pixels. */
  sampleAspect: number;
  fps: number;
  durationSeconds: number;
  hasAudio: boolean;
  /** Demuxer and decoder names, as they appear in ffmpeg's log lines (`[matroska,webm @ 0x...]`). */
  formatName: string;
  codecNames: string[];
}

/** What a rendition is, as ffprobe sees it: small enough to keep in storage metadata and workflow history. */
export interface RenditionSummary {
  container: string;
  durationSeconds: number;
  bytes: number;
  video: {
    codec: string;
    profile: string;
    level: number;
    pixFmt: string;
    width: number;
    height: number;
    sar: string;
    frameRate: string;
    avgFrameRate: string;
    frames: number;
    bitrate: number;
  };
  audio?: { codec: string; profile: string; sampleRate: number; channels: number };
  comment?: string;
}

/** Probes a source clip; anything ffprobe cannot read, or a file without video, is a CorruptMediaError. */
export async function probeSource(
  path: string,
  label: string,
  options: { ffprobePath: string; signal?: AbortSignal },
): Promise<SourceInfo> {
  const json = await probeOrCorrupt(path, label, options);
  const video = json.streams?.find((s) => s.codec_type === 'video' && s.width && s.height);
  if (!video) throw new CorruptMediaError(label, 'it holds no video stream');
  const fps = rate(video.avg_frame_rate) || rate(video.r_frame_rate);
  const duration = Number(json.format?.duration ?? video.duration ?? NaN);
  if (!(fps > 0)) throw new CorruptMediaError(label, 'its frame rate is unknown');
  if (!(duration > 0)) throw new CorruptMediaError(label, 'its duration is unknown');
  return {
    width: video.width!,
    height: video.height!,
    sampleAspect: rate(video.sample_aspect_ratio, ':') || 1,
    fps,
    durationSeconds: duration,
    hasAudio: Boolean(json.streams?.some((s) => s.codec_type === 'audio')),
    formatName: json.format?.format_name ?? '',
    codecNames: (json.streams ?? []).map((s) => s.codec_name ?? '').filter(Boolean),
  };
}

/** Probes an image (watermark): width and height, or a CorruptMediaError naming the option. */
export async function probeImage(
  path: string,
  label: string,
  options: { ffprobePath: string; signal?: AbortSignal },
): Promise<{ width: number; height: number }> {
  const json = await probeOrCorrupt(path, label, options);
  const image = json.streams?.find((s) => s.codec_type === 'video' && s.width && s.height);
  if (!image) throw new CorruptMediaError(label, 'it is not an image');
  return { width: image.width!, height: image.height! };
}

export async function probeRendition(
  path: string,
  options: { ffprobePath: string; signal?: AbortSignal },
): Promise<RenditionSummary> {
  return summarize(await ffprobeJson(path, options));
}

export function summarize(json: ProbeJson): RenditionSummary {
  const v: ProbeStream = json.streams?.find((s) => s.codec_type === 'video') ?? { index: -1 };
  const a = json.streams?.find((s) => s.codec_type === 'audio');
  return {
    container: json.format?.format_name ?? '',
    durationSeconds: Number(json.format?.duration ?? 0),
    bytes: Number(json.format?.size ?? 0),
    video: {
      codec: v.codec_name ?? '',
      profile: v.profile ?? '',
      level: v.level ?? 0,
      pixFmt: v.pix_fmt ?? '',
      width: v.width ?? 0,
      height: v.height ?? 0,
      sar: v.sample_aspect_ratio ?? '',
      frameRate: v.r_frame_rate ?? '',
      avgFrameRate: v.avg_frame_rate ?? '',
      frames: Number(v.nb_frames ?? 0),
      bitrate: Number(v.bit_rate ?? 0),
    },
    audio: a && {
      codec: a.codec_name ?? '',
      profile: a.profile ?? '',
      sampleRate: Number(a.sample_rate ?? 0),
      channels: a.channels ?? 0,
    },
    comment: json.format?.tags?.comment,
  };
}

async function probeOrCorrupt(
  path: string,
  label: string,
  options: { ffprobePath: string; signal?: AbortSignal },
): Promise<ProbeJson> {
  try {
    return await ffprobeJson(path, options);
  } catch (err) {
    if (err instanceof ProbeFailedError) throw new CorruptMediaError(label, err.detail);
    throw err;
  }
}

/** "30/1" → 30; "0/0" or missing → 0. */
export function rate(text: string | undefined, sep = '/'): number {
  if (!text) return 0;
  const [n, d] = text.split(sep).map(Number);
  return d > 0 && n > 0 ? n / d : 0;
}
