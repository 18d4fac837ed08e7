/**
 * Builds the single ffmpeg job that makes one rendition: the 9:16 frame (fit mode, watermark,
 * caption), constant frame rate, the AAC track, and from the same decoded frames the poster JPEG
 * and the animated WebP preview. Pure: every size and position is computed here, so the filter
 * graph holds numbers, not expressions, and a table test can read it.
 */
import type { FfmpegJob } from './ffmpeg';
import { safeRect, type ChannelPreset, type FitMode, type FrameRateMode } from './presets';
import type { SourceInfo } from './probe';
import { AI_DISCLOSURE } from './validate';

export const WATERMARK_POSITIONS = ['top-left', 'top-right', 'bottom-left', 'bottom-right'] as const;
export type WatermarkPosition = (typeof WATERMARK_POSITIONS)[number];

export interface WatermarkLayout {
  path: string;
  /** Pixel size and position in the output frame, all even. */
  width: number;
  height: number;
  x: number;
  y: number;
  opacity: number;
}

export interface CaptionLayout {
  fontFile: string;
  fontSize: number;
  /** One text file per line (drawtext reads text from a file: no escaping of the caption itself). */
  lines: Array<{ textFile: string; y: number }>;
  /** Horizontal band the lines are centred in. */
  x: number;
  width: number;
  boxBorder: number;
}

export interface RenditionJobSpec {
  sourcePath: string;
  source: SourceInfo;
  preset: ChannelPreset;
  fit: FitMode;
  /** Default duplicate. */
  frameRate?: FrameRateMode;
  watermark?: WatermarkLayout;
  caption?: CaptionLayout;
  outputs: { video: string; poster: string; preview: string };
  /** Extra container tags (post id...). */
  metadata?: Record<string, string>;
}

/** Preview: first seconds, small, slow frame rate: enough to recognise the clip in a list. */
export const PREVIEW = { seconds: 3, fps: 10, width: 270 } as const;

const even = (n: number): number => Math.max(2, 2 * Math.round(n / 2));

/**
 * The poster frame of a clip of `frames` frames: 30 % in, past an opening fade. The content gate
 * (activities/safety) samples the master's frame at the same place.
 */
export function posterFrameIndex(frames: number): number {
  return Math.min(frames - 1, Math.floor(frames * 0.3));
}

/** Frames in the rendition: the source duration at the preset's constant rate. */
export function outputFrameCount(source: SourceInfo, preset: ChannelPreset): number {
  return Math.max(1, Math.round(source.durationSeconds * preset.fps));
}

/**
 * Escapes a value for a filter option inside a filter graph: first for the option parser
 * (\ ' :), then for the graph parser (\ ' [ ] , ;). See ffmpeg-filters, "Notes on filtergraph escaping".
 */
export function escapeFilterValue(value: string): string {
  const optionLevel = value.replace(/[\\':]/g, (c) => `\\${c}`);
  return optionLevel.replace(/[\\'[\],;]/g, (c) => `\\${c}`);
}

export function buildRenditionJob(spec: RenditionJobSpec): FfmpegJob {
  const { sourcePath, source, ...rendition } = spec;
  return buildRenditionsJob({ sourcePath, source, renditions: [rendition] });
}

/** One output of a multi-rendition job: everything of RenditionJobSpec but the source. */
export type RenditionBranch = Omit<RenditionJobSpec, 'sourcePath' | 'source'>;

export interface RenditionsJobSpec {
  sourcePath: string;
  source: SourceInfo;
  renditions: RenditionBranch[];
}

/**
 * One ffmpeg job that decodes the source once and makes every rendition from the same frames:
 * the decoded video (and audio) is split into one branch per rendition, each with its own fit,
 * overlays, frame rate, poster and preview. With a single rendition the graph is exactly the one
 * this builder has always made (no split, unprefixed labels).
 */
export function buildRenditionsJob(spec: RenditionsJobSpec): FfmpegJob {
  const { source, renditions } = spec;
  const single = renditions.length === 1;
  const graph: string[] = [];
  const inputs: FfmpegJob['inputs'] = [{ path: spec.sourcePath }];
  const outputs: FfmpegJob['outputs'] = [];
  if (!single) {
    const n = renditions.length;
    graph.push(`[0:v]split=${n}${renditions.map((_, i) => `[src${i}]`).join('')}`);
    if (source.hasAudio) graph.push(`[0:a:0]asplit=${n}${renditions.map((_, i) => `[asrc${i}]`).join('')}`);
  }
  renditions.forEach((rendition, i) => {
    const label = (name: string): string => (single ? name : `${name}${i}`);
    const branch = renditionBranch(rendition, {
      source,
      video: single ? '0:v' : `src${i}`,
      audio: single ? '0:a:0' : `asrc${i}`,
      watermarkInput: rendition.watermark ? inputs.push({ path: rendition.watermark.path }) - 1 : -1,
      label,
    });
    graph.push(...branch.graph);
    outputs.push(...branch.outputs);
  });
  return { inputs, filterGraph: graph.join(';'), outputs };
}

function renditionBranch(
  spec: RenditionBranch,
  io: {
    source: SourceInfo;
    video: string;
    audio: string;
    watermarkInput: number;
    label: (name: string) => string;
  },
): { graph: string[]; outputs: FfmpegJob['outputs'] } {
  const { preset, fit } = spec;
  const { source, label: l } = io;
  const W = preset.width;
  const H = preset.height;
  const frames = outputFrameCount(source, preset);
  const seconds = frames / preset.fps;
  const displayWidth = source.width * source.sampleAspect;
  const toBt709 = 'out_color_matrix=bt709:out_range=tv';

  const graph: string[] = [];
  // Contain: the whole source visible; cover: the frame filled, edges cut.
  const contain = Math.min(W / displayWidth, H / source.height);
  const cover = Math.max(W / displayWidth, H / source.height);
  const fitW = Math.min(W, even(displayWidth * contain));
  const fitH = Math.min(H, even(source.height * contain));
  const coverW = Math.max(W, even(displayWidth * cover));
  const coverH = Math.max(H, even(source.height * cover));

  if (fit === 'blur') {
    // The background is blurred at 1/8 size and scaled up: the same look as a full-size blur at a
    // small fraction of the cost.
    const bw = even(W / 8);
    const bh = even(H / 8);
    graph.push(
      `[${io.video}]split=2[${l('bgsrc')}][${l('fgsrc')}]`,
      `[${l('bgsrc')}]scale=${even(coverW / 8)}:${even(coverH / 8)}:${toBt709},crop=${bw}:${bh},boxblur=10:2,` +
        `scale=${W}:${H}:flags=bilinear,setsar=1,format=yuv420p[${l('bg')}]`,
      `[${l('fgsrc')}]scale=${fitW}:${fitH}:${toBt709},setsar=1,format=yuv420p[${l('fg')}]`,
      `[${l('bg')}][${l('fg')}]overlay=${(W - fitW) / 2}:${(H - fitH) / 2}:format=yuv420[${l('base')}]`,
    );
  } else if (fit === 'crop') {
    graph.push(
      `[${io.video}]scale=${coverW}:${coverH}:${toBt709},crop=${W}:${H},setsar=1,format=yuv420p[${l('base')}]`,
    );
  } else {
    graph.push(
      `[${io.video}]scale=${fitW}:${fitH}:${toBt709},setsar=1,format=yuv420p,` +
        `pad=${W}:${H}:${(W - fitW) / 2}:${(H - fitH) / 2}:color=black[${l('base')}]`,
    );
  }

  let last = l('base');
  if (spec.watermark) {
    const wm = spec.watermark;
    graph.push(
      `[${io.watermarkInput}:v]scale=${wm.width}:${wm.height},format=rgba,colorchannelmixer=aa=${wm.opacity.toFixed(3)}[${l('wm')}]`,
      `[${last}][${l('wm')}]overlay=${wm.x}:${wm.y}:format=yuv420[${l('marked')}]`,
    );
    last = l('marked');
  }
  if (spec.caption) {
    const c = spec.caption;
    const font = escapeFilterValue(c.fontFile);
    const draws = c.lines.map(
      (line) =>
        `drawtext=fontfile=${font}:textfile=${escapeFilterValue(line.textFile)}:expansion=none:` +
        `fontsize=${c.fontSize}:fontcolor=white:box=1:boxcolor=black@0.55:boxborderw=${c.boxBorder}:` +
        `x=${c.x}+(${c.width}-text_w)/2:y=${line.y}`,
    );
    graph.push(`[${last}]${draws.join(',')}[${l('captioned')}]`);
    last = l('captioned');
  }

  // Constant frame rate: fps repeats (or drops) frames to the preset rate, framerate blends
  // neighbours; tpad clones the last frame once so the final output frame exists, and trim makes
  // the count exact.
  const toRate = spec.frameRate === 'blend' ? `framerate=fps=${preset.fps}` : `fps=${preset.fps}`;
  const posterFrame = posterFrameIndex(frames);
  const previewFrames = Math.min(frames, PREVIEW.seconds * preset.fps);
  const previewH = even((PREVIEW.width * H) / W);
  graph.push(
    `[${last}]tpad=stop_mode=clone:stop=1,${toRate},trim=end_frame=${frames},setpts=PTS-STARTPTS,` +
      `setsar=1,format=yuv420p,split=3[${l('main')}][${l('posterin')}][${l('previewin')}]`,
    `[${l('posterin')}]trim=start_frame=${posterFrame}:end_frame=${posterFrame + 1},setpts=PTS-STARTPTS[${l('poster')}]`,
    `[${l('previewin')}]trim=end_frame=${previewFrames},fps=${PREVIEW.fps},scale=${PREVIEW.width}:${previewH},setsar=1[${l('preview')}]`,
  );

  // Audio: the source's first track resampled to 48 kHz stereo, or silence; padded or cut to the
  // video's exact length so players never see the tracks end apart.
  const samples = Math.round(seconds * preset.audio.sampleRate);
  graph.push(
    source.hasAudio
      ? `[${io.audio}]aresample=${preset.audio.sampleRate},aformat=sample_fmts=fltp:channel_layouts=stereo,apad,` +
          `atrim=end_sample=${samples},asetpts=PTS-STARTPTS[${l('aout')}]`
      : `anullsrc=r=${preset.audio.sampleRate}:cl=stereo,atrim=end_sample=${samples}[${l('aout')}]`,
  );

  const v = preset.video;
  const metadata = { comment: AI_DISCLOSURE, ...spec.metadata };
  return {
    graph,
    outputs: [
      {
        path: spec.outputs.video,
        options: [
          ...['-map', `[${l('main')}]`, '-map', `[${l('aout')}]`],
          ...['-c:v', 'libx264', '-preset', v.x264Preset, '-crf', String(v.crf)],
          ...['-profile:v', 'high', '-level:v', `${Math.floor(v.level / 10)}.${v.level % 10}`],
          ...['-maxrate', String(v.maxBitrate), '-bufsize', String(v.bufferSize)],
          ...['-g', String(v.gopFrames), '-bf', String(v.bFrames), '-x264-params', 'open-gop=0'],
          ...['-pix_fmt', 'yuv420p', '-r', String(preset.fps)],
          ...[
            '-colorspace',
            'bt709',
            '-color_primaries',
            'bt709',
            '-color_trc',
            'bt709',
            '-color_range',
            'tv',
          ],
          ...['-c:a', 'aac', '-profile:a', 'aac_low', '-b:a', String(preset.audio.bitrate)],
          ...['-ar', String(preset.audio.sampleRate), '-ac', String(preset.audio.channels)],
          ...Object.entries(metadata).flatMap(([k, val]) => ['-metadata', `${k}=${val}`]),
          ...['-movflags', '+faststart', '-f', 'mp4'],
        ],
      },
      {
        path: spec.outputs.poster,
        options: [
          '-map',
          `[${l('poster')}]`,
          '-frames:v',
          '1',
          '-c:v',
          'mjpeg',
          '-q:v',
          '3',
          '-update',
          '1',
          '-f',
          'image2',
        ],
      },
      {
        path: spec.outputs.preview,
        options: [
          '-map',
          `[${l('preview')}]`,
          '-c:v',
          'libwebp_anim',
          '-q:v',
          '60',
          '-loop',
          '0',
          '-an',
          '-f',
          'webp',
        ],
      },
    ],
  };
}

/** Places the watermark in a corner of the safe area; returns the reason instead when it cannot fit. */
export function layoutWatermark(
  preset: ChannelPreset,
  image: { path: string; width: number; height: number },
  options: { position: WatermarkPosition; scale: number; opacity: number },
): WatermarkLayout | string {
  const safe = safeRect(preset);
  const width = even(preset.width * options.scale);
  const height = even((width * image.height) / image.width);
  if (width > safe.width || height > safe.height / 3) {
    return `a ${width}x${height} watermark does not fit the ${preset.name} safe area (${safe.width}x${safe.height}); use a smaller scale`;
  }
  const [vertical, horizontal] = options.position.split('-');
  const x = horizontal === 'left' ? safe.x : safe.x + safe.width - width;
  const y = vertical === 'top' ? safe.y : safe.y + safe.height - height;
  return { path: image.path, width, height, x, y, opacity: options.opacity };
}

/** Caption font size and line layout for a preset, bottom-aligned in the safe area. */
export function layoutCaption(preset: ChannelPreset, lineFiles: string[], fontFile: string): CaptionLayout {
  const safe = safeRect(preset);
  const fontSize = captionFontSize(preset);
  const lineHeight = Math.round(fontSize * 1.6);
  const boxBorder = Math.round(fontSize * 0.25);
  const firstY = safe.y + safe.height - lineFiles.length * lineHeight;
  return {
    fontFile,
    fontSize,
    boxBorder,
    x: safe.x,
    width: safe.width,
    lines: lineFiles.map((textFile, i) => ({ textFile, y: firstY + i * lineHeight + boxBorder })),
  };
}

export function captionFontSize(preset: ChannelPreset): number {
  return Math.round(preset.width * 0.05);
}

/** How many em fit on one caption line inside the safe area, leaving room for the box border. */
export function captionLineEm(preset: ChannelPreset): number {
  const fontSize = captionFontSize(preset);
  return (safeRect(preset).width - 2 * Math.round(fontSize * 0.25)) / fontSize;
}

export const MAX_CAPTION_LINES = 4;
