/**
 * The transcode core, callable without Temporal:
 *  - renderRendition: local file in, rendition + poster + preview files out, validated.
 *  - transcodeRendition: master key in storage → rendition keys in storage; streams through temp
 *    files (never the whole clip in memory), reuses a rendition a previous attempt finished, and
 *    removes its temp files on success, failure and cancellation.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ReelcastConfig } from '../../config';
import {
  credentialsMetadata,
  signRendition,
  type ProvenanceFacts,
  type RenditionSigner,
} from '../provenance/signer';
import type { ObjectStorage } from '../storage';
import { captionFontFile, cleanCaption, wrapCaption } from './caption';
import {
  CorruptMediaError,
  InvalidMediaOptionsError,
  RenditionValidationError,
  TranscodeCancelledError,
  TruncatedMediaError,
} from './errors';
import { runFfmpeg, type FfmpegJob, type FfmpegPaths } from './ffmpeg';
import { isFastStart, readX264Settings, topLevelBoxes } from './mp4-boxes';
import {
  isFitMode,
  isFrameRateMode,
  isPresetName,
  PRESETS,
  type ChannelPreset,
  type FitMode,
  type FrameRateMode,
  type PresetName,
} from './presets';
import { probeImage, probeRendition, probeSource, type RenditionSummary, type SourceInfo } from './probe';
import {
  buildRenditionJob,
  captionLineEm,
  layoutCaption,
  layoutWatermark,
  MAX_CAPTION_LINES,
  outputFrameCount,
  WATERMARK_POSITIONS,
  type WatermarkLayout,
  type WatermarkPosition,
} from './rendition-job';
import { renditionKeys, type RenditionKeys } from './rendition-keys';
import { renditionProblems, sourceProblems, type RenditionFacts } from './validate';

export interface WatermarkPlacement {
  /** Corner of the channel's safe area. Default top-right (the bottom belongs to the platform UI). */
  position?: WatermarkPosition;
  /** Width as a fraction of the frame width, 0.05–0.5. Default 0.18. */
  scale?: number;
  /** 0–1. Default 0.85. */
  opacity?: number;
}

export interface TranscodeProgress {
  stage: 'download' | 'encode' | 'upload';
  /** 0–100 within the stage. */
  percent: number;
  frame?: number;
  totalFrames?: number;
  /** Encoding speed relative to real time. */
  speed?: number;
}

export interface RenderRequest {
  inputPath: string;
  /** How errors name the input (a storage key or a file path). */
  inputLabel?: string;
  preset: PresetName;
  fit?: FitMode;
  frameRate?: FrameRateMode;
  watermark?: WatermarkPlacement & { path: string };
  caption?: string;
  /** Extra container tags the MP4 muxer knows (title, description...). */
  metadata?: Record<string, string>;
  outputs: { video: string; poster: string; preview: string };
  /** What the Content Credentials say beyond the preset (model, disclosure); see RenderDeps.signer. */
  provenance?: ProvenanceFacts;
}

export interface RenderDeps {
  ffmpeg: FfmpegPaths;
  /** Folder for small working files (caption text); the caller owns and removes it. */
  workDir: string;
  signal?: AbortSignal;
  onProgress?: (progress: TranscodeProgress) => void;
  /** Signs the rendition with Content Credentials (activities/provenance); none: unsigned. */
  signer?: RenditionSigner;
}

export interface RenderResult {
  summary: RenditionSummary;
  job: FfmpegJob;
}

/** Makes and validates one rendition from a local file. Outputs that fail validation are deleted. */
export async function renderRendition(request: RenderRequest, deps: RenderDeps): Promise<RenderResult> {
  const preset = presetOrThrow(request.preset);
  const fit = fitOrThrow(request.fit);
  const frameRate = frameRateOrThrow(request.frameRate);
  const label = request.inputLabel ?? request.inputPath;
  const tools = { ffprobePath: deps.ffmpeg.ffprobePath, signal: deps.signal };

  const source = await probeSource(request.inputPath, label, tools);
  const unfit = sourceProblems(source.durationSeconds, preset);
  if (unfit.length > 0) throw new RenditionValidationError(preset.name, unfit);

  const watermark = request.watermark && (await planWatermark(preset, request.watermark, tools));
  const caption = request.caption ? await planCaption(preset, request.caption, deps.workDir) : undefined;
  const job = buildRenditionJob({
    sourcePath: request.inputPath,
    source,
    preset,
    fit,
    frameRate,
    watermark,
    caption,
    outputs: request.outputs,
    metadata: request.metadata,
  });

  const totalFrames = outputFrameCount(source, preset);
  try {
    await encode(job, { ...deps, source, label, totalFrames });
    // Content Credentials (activities/provenance), before the checks: what is validated is the signed file.
    await signRendition(request.outputs.video, { ...request.provenance, preset: preset.name }, deps.signer);

    const { facts, problems: fileProblems } = await renditionFacts(
      request.outputs,
      totalFrames,
      label,
      tools,
    );
    const problems = [...renditionProblems(facts, preset), ...fileProblems];
    if (problems.length > 0) throw new RenditionValidationError(preset.name, problems);
    const { summary } = facts;
    deps.onProgress?.({ stage: 'encode', percent: 100, frame: totalFrames, totalFrames });
    return { summary, job };
  } catch (err) {
    // A rendition that failed is never left where a caller could take it for a good one.
    await Promise.all(Object.values(request.outputs).map((p) => rm(p, { force: true })));
    throw err;
  }
}

/**
 * Runs an encode job, reporting progress by frames of the (first) output; an error line about the
 * source stops it at once as a CorruptMediaError or TruncatedMediaError.
 */
export async function encode(
  job: FfmpegJob,
  deps: Pick<RenderDeps, 'ffmpeg' | 'signal' | 'onProgress'> & {
    source: SourceInfo;
    label: string;
    totalFrames: number;
  },
): Promise<void> {
  const { source, label, totalFrames } = deps;
  await runFfmpeg(job, {
    ffmpegPath: deps.ffmpeg.ffmpegPath,
    signal: deps.signal,
    onStats: (s) =>
      deps.onProgress?.({
        stage: 'encode',
        percent: Math.min(100, (100 * s.frame) / totalFrames),
        frame: s.frame,
        totalFrames,
        speed: s.speed,
      }),
    inspectLog: (level, line) => (level === 'error' ? inputProblem(line, source, label) : undefined),
  });
}

/**
 * What a finished encode is: its ffprobe summary, fast start and x264 settings, for
 * renditionProblems against each preset that uses it, and the problems of the files themselves
 * (too few frames is a truncated source, so it throws).
 */
export async function renditionFacts(
  outputs: { video: string; poster: string; preview: string },
  totalFrames: number,
  label: string,
  tools: { ffprobePath: string; signal?: AbortSignal },
): Promise<{ facts: RenditionFacts; problems: string[] }> {
  const summary = await probeRendition(outputs.video, tools);
  // A source that ends early still encodes "fine": count the frames that came out.
  if (summary.video.frames < totalFrames * 0.98) {
    throw new TruncatedMediaError(label, `${summary.video.frames} of ${totalFrames} frames could be decoded`);
  }
  const boxes = await topLevelBoxes(outputs.video);
  const x264 = await readX264Settings(outputs.video, boxes);
  const problems: string[] = [];
  if (!(await startsWith(outputs.poster, JPEG_MAGIC, 0))) problems.push('poster is missing or not a JPEG');
  if (!(await startsWith(outputs.preview, WEBP_MAGIC, 8))) problems.push('preview is missing or not a WebP');
  return { facts: { summary, fastStart: isFastStart(boxes), x264 }, problems };
}

const JPEG_MAGIC = Buffer.from([0xff, 0xd8, 0xff]);
const WEBP_MAGIC = Buffer.from('WEBP', 'latin1');

async function startsWith(path: string, magic: Buffer, offset: number): Promise<boolean> {
  const file = await open(path, 'r').catch(() => undefined);
  if (!file) return false;
  try {
    const buf = Buffer.alloc(magic.length);
    const { bytesRead } = await file.read(buf, 0, magic.length, offset);
    return bytesRead === magic.length && buf.equals(magic);
  } finally {
    await file.close();
  }
}

/**
 * Classifies an error line ffmpeg logged while reading the source. Lines from the source's
 * demuxer or decoders, and decoding failures, mean the input is damaged: stop now.
 */
function inputProblem(line: string, source: SourceInfo, label: string): Error | undefined {
  const context = /^\[([^\]@]+?) @ 0x[0-9a-f]+\]/.exec(line)?.[1]?.trim();
  const fromInput =
    context !== undefined && (context === source.formatName || source.codecNames.includes(context));
  const detail = line.replace(/^\[[^\]]*\]\s*/, '').trim();
  if (/ended prematurely|truncat/i.test(line) && (fromInput || context === undefined)) {
    return new TruncatedMediaError(label, detail);
  }
  if (fromInput || /error while decoding|invalid data found when processing input/i.test(line)) {
    return new CorruptMediaError(label, detail);
  }
  return undefined;
}

async function planWatermark(
  preset: ChannelPreset,
  watermark: WatermarkPlacement & { path: string },
  tools: { ffprobePath: string; signal?: AbortSignal },
): Promise<WatermarkLayout> {
  const placement = placementOrThrow(watermark);
  const image = await probeImage(watermark.path, `watermark ${watermark.path}`, tools);
  return layoutWatermarkOrThrow(preset, { path: watermark.path, ...image }, placement);
}

export function layoutWatermarkOrThrow(...args: Parameters<typeof layoutWatermark>): WatermarkLayout {
  const layout = layoutWatermark(...args);
  if (typeof layout === 'string') throw new InvalidMediaOptionsError('watermark', layout);
  return layout;
}

export async function planCaption(
  preset: ChannelPreset,
  text: string,
  workDir: string,
): Promise<ReturnType<typeof layoutCaption> | undefined> {
  const lines = wrapCaption(text, captionLineEm(preset));
  if (lines.length === 0) return undefined;
  if (lines.length > MAX_CAPTION_LINES) {
    throw new InvalidMediaOptionsError(
      'caption',
      `needs ${lines.length} lines on ${preset.name}; at most ${MAX_CAPTION_LINES} fit above the platform's controls. Shorten it.`,
    );
  }
  const fontFile = captionFontFile();
  const files: string[] = [];
  for (const [i, line] of lines.entries()) {
    const file = join(workDir, `caption-${i}.txt`);
    await writeFile(file, line, 'utf8');
    files.push(file);
  }
  return layoutCaption(preset, files, fontFile);
}

export function presetOrThrow(name: string): ChannelPreset {
  if (!isPresetName(name))
    throw new InvalidMediaOptionsError(
      'preset',
      `unknown preset ${JSON.stringify(name)}; use one of ${Object.keys(PRESETS).join(', ')}`,
    );
  return PRESETS[name];
}

export function fitOrThrow(fit: string | undefined): FitMode {
  if (fit === undefined) return 'blur';
  if (!isFitMode(fit))
    throw new InvalidMediaOptionsError(
      'fit',
      `unknown fit mode ${JSON.stringify(fit)}; use blur, crop or pad`,
    );
  return fit;
}

export function frameRateOrThrow(mode: string | undefined): FrameRateMode {
  if (mode === undefined) return 'duplicate';
  if (!isFrameRateMode(mode))
    throw new InvalidMediaOptionsError(
      'frameRate',
      `unknown mode ${JSON.stringify(mode)}; use duplicate or blend`,
    );
  return mode;
}

export function placementOrThrow(w: WatermarkPlacement): Required<WatermarkPlacement> {
  const position = w.position ?? 'top-right';
  const scale = w.scale ?? 0.18;
  const opacity = w.opacity ?? 0.85;
  if (!WATERMARK_POSITIONS.includes(position)) {
    throw new InvalidMediaOptionsError('watermark.position', `use one of ${WATERMARK_POSITIONS.join(', ')}`);
  }
  if (!(scale >= 0.05 && scale <= 0.5))
    throw new InvalidMediaOptionsError('watermark.scale', `${scale} is outside 0.05–0.5`);
  if (!(opacity > 0 && opacity <= 1))
    throw new InvalidMediaOptionsError('watermark.opacity', `${opacity} is outside 0–1`);
  return { position, scale, opacity };
}

// ---------------------------------------------------------------------------------------------
// Storage in, storage out.

export interface TranscodeRequest {
  /** The master clip, e.g. `masters/<hash>.mkv`. */
  masterKey: string;
  preset: PresetName;
  fit?: FitMode;
  /** How the model's frame rate becomes 30 fps; default duplicate. */
  frameRate?: FrameRateMode;
  /** A brand image in storage (PNG with alpha works best) and where to put it. */
  watermark?: WatermarkPlacement & { key: string };
  caption?: string;
  /** Recorded in the rendition's metadata; not part of its key. */
  postId?: string;
  /** The campaign's AI disclosure line, for the Content Credentials (activities/provenance/disclosure.ts). */
  aiDisclosure?: string;
}

export interface TranscodeDeps {
  storage: ObjectStorage;
  config: Pick<ReelcastConfig, 'ffmpeg'>;
  onProgress?: (progress: TranscodeProgress) => void;
  signal?: AbortSignal;
  /** Parent of the per-job temp folder; default the OS temp dir. */
  tmpRoot?: string;
  /** Signs every rendition with Content Credentials (activities/provenance); none: unsigned. */
  signer?: RenditionSigner;
}

export interface TranscodeResult {
  renditionKey: string;
  posterKey: string;
  previewKey: string;
  preset: PresetName;
  fit: FitMode;
  /** True when an earlier attempt had already stored this exact rendition. */
  reused: boolean;
  summary: RenditionSummary;
}

const SUMMARY_META = 'reelcast-summary';
export const WORK_DIR_PREFIX = 'reelcast-media-';

/**
 * Removes job folders a killed worker left behind (a SIGKILL skips every finally). Only folders
 * older than `maxAgeMs` go, so jobs still running on another worker of the same host are safe.
 * Returns the folders removed.
 */
export async function sweepStaleWorkDirs(tmpRoot = tmpdir(), maxAgeMs = 6 * 3600_000): Promise<string[]> {
  const removed: string[] = [];
  const entries = await readdir(tmpRoot, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isDirectory() || !entry.name.startsWith(WORK_DIR_PREFIX)) continue;
    const path = join(tmpRoot, entry.name);
    const info = await stat(path).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > maxAgeMs) {
      await rm(path, { recursive: true, force: true });
      removed.push(path);
    }
  }
  return removed;
}

export async function transcodeRendition(
  request: TranscodeRequest,
  deps: TranscodeDeps,
): Promise<TranscodeResult> {
  const preset = presetOrThrow(request.preset);
  const fit = fitOrThrow(request.fit);
  const frameRate = frameRateOrThrow(request.frameRate);
  const { storage, signal } = deps;
  const caption = request.caption ? cleanCaption(request.caption) || undefined : undefined;
  const workDir = await mkdtemp(join(deps.tmpRoot ?? tmpdir(), WORK_DIR_PREFIX));
  try {
    let watermark: RenderRequest['watermark'];
    let watermarkIdentity: { sha256: string; position: string; scale: number; opacity: number } | undefined;
    if (request.watermark) {
      const placement = placementOrThrow(request.watermark);
      const path = join(workDir, `watermark${extname(request.watermark.key) || '.png'}`);
      await download(storage, request.watermark.key, path, signal);
      watermark = { path, ...placement };
      watermarkIdentity = { sha256: await sha256File(path), ...placement };
    }
    const keys = renditionKeys({
      masterKey: request.masterKey,
      preset,
      fit,
      frameRate,
      watermark: watermarkIdentity,
      caption,
      provenance: deps.signer?.identity(request.aiDisclosure),
    });

    const existing = await findFinished(storage, keys);
    if (existing) return { ...keys, preset: preset.name, fit, reused: true, summary: existing };

    const { path: masterPath, modelId } = await downloadMaster(request.masterKey, workDir, deps);

    const outputs = {
      video: join(workDir, 'rendition.mp4'),
      poster: join(workDir, 'poster.jpg'),
      preview: join(workDir, 'preview.webp'),
    };
    const { summary } = await renderRendition(
      {
        inputPath: masterPath,
        inputLabel: request.masterKey,
        preset: preset.name,
        fit,
        frameRate,
        watermark,
        caption,
        outputs,
        provenance: { modelId, aiDisclosure: request.aiDisclosure },
      },
      { ffmpeg: deps.config.ffmpeg, workDir, signal, onProgress: deps.onProgress, signer: deps.signer },
    );

    const metadata = renditionMetadata([preset.name], fit, request, deps.signer);
    await storeRendition(storage, keys, outputs, { summary, metadata }, deps);
    return { ...keys, preset: preset.name, fit, reused: false, summary };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/**
 * Stores one finished rendition: poster, preview, then the video with its summary. Every
 * rendition file, whichever activity made it, is stored here.
 */
export async function storeRendition(
  storage: ObjectStorage,
  keys: RenditionKeys,
  outputs: { video: string; poster: string; preview: string },
  stored: { summary: RenditionSummary; metadata: Record<string, string> },
  deps: Pick<TranscodeDeps, 'signal' | 'onProgress'>,
): Promise<void> {
  const { metadata } = stored;
  deps.onProgress?.({ stage: 'upload', percent: 0 });
  await storage.put(keys.posterKey, createReadStream(outputs.poster), {
    contentType: 'image/jpeg',
    metadata,
  });
  await storage.put(keys.previewKey, createReadStream(outputs.preview), {
    contentType: 'image/webp',
    metadata,
  });
  checkAborted(deps.signal);
  // The video goes last: its presence (with the summary) tells a retry the whole set is stored.
  // putFile: multipart from the file with one part buffer, so memory stays flat at any size.
  // A heartbeat every few seconds while it uploads, so a slow link is not taken for a dead worker.
  const stillUploading = setInterval(() => deps.onProgress?.({ stage: 'upload', percent: 0 }), 5000);
  try {
    await storage.putFile(keys.renditionKey, outputs.video, {
      contentType: 'video/mp4',
      metadata: { ...metadata, [SUMMARY_META]: JSON.stringify(stored.summary) },
    });
  } finally {
    clearInterval(stillUploading);
  }
  deps.onProgress?.({ stage: 'upload', percent: 100 });
}

/**
 * What a stored rendition (and its poster and preview) says about itself: the presets it serves,
 * its master and post, that it is AI-made, and its Content Credentials in brief (Studio shows them).
 */
export function renditionMetadata(
  presets: string[],
  fit: FitMode,
  request: { masterKey: string; postId?: string; aiDisclosure?: string },
  signer: RenditionSigner | undefined,
): Record<string, string> {
  return {
    'reelcast-preset': presets.join(','),
    'reelcast-fit': fit,
    'reelcast-master': encodeURIComponent(request.masterKey),
    'ai-generated': 'true',
    ...(request.postId ? { 'reelcast-post': encodeURIComponent(request.postId) } : {}),
    ...credentialsMetadata(signer, request.aiDisclosure),
  };
}

/**
 * Downloads the master into the job's folder, reporting download progress; returns its path and
 * the model that made it (for the Content Credentials).
 */
export async function downloadMaster(
  masterKey: string,
  workDir: string,
  deps: TranscodeDeps,
): Promise<{ path: string; modelId?: string }> {
  const masterPath = join(workDir, `master${extname(masterKey) || '.mkv'}`);
  const master = await deps.storage.head(masterKey);
  const masterSize = master?.size ?? 0;
  await download(deps.storage, masterKey, masterPath, deps.signal, (bytes) =>
    deps.onProgress?.({
      stage: 'download',
      percent: masterSize ? Math.min(100, (100 * bytes) / masterSize) : 0,
    }),
  );
  return { path: masterPath, modelId: master?.metadata['model-id'] };
}

export async function findFinished(
  storage: ObjectStorage,
  keys: RenditionKeys,
): Promise<RenditionSummary | undefined> {
  const video = await storage.head(keys.renditionKey);
  const summary = video?.metadata[SUMMARY_META];
  if (!summary) return undefined;
  const [poster, preview] = await Promise.all([storage.head(keys.posterKey), storage.head(keys.previewKey)]);
  if (!poster || !preview) return undefined;
  try {
    return JSON.parse(summary) as RenditionSummary;
  } catch {
    return undefined;
  }
}

export async function download(
  storage: ObjectStorage,
  key: string,
  path: string,
  signal: AbortSignal | undefined,
  onBytes?: (bytes: number) => void,
): Promise<void> {
  checkAborted(signal);
  const body = await storage.get(key);
  let bytes = 0;
  let lastReport = 0;
  body.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (onBytes && bytes - lastReport >= 4 * 1024 * 1024) {
      lastReport = bytes;
      onBytes(bytes);
    }
  });
  try {
    await pipeline(body, createWriteStream(path), { signal });
  } catch (err) {
    if (signal?.aborted) throw cancelled(signal);
    throw err;
  }
  onBytes?.(bytes);
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelled(signal);
}

function cancelled(signal: AbortSignal): Error {
  // Temporal's cancellationSignal carries a CancelledFailure: rethrowing it marks the activity cancelled.
  return signal.reason instanceof Error ? signal.reason : new TranscodeCancelledError();
}
