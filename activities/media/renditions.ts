/**
 * A post's renditions from one decode of its master:
 *  - presets that share an encode (reels, tiktok: the same frame, encoder and audio settings) get
 *    one rendition file, keyed by the encode (rendition-keys.ts sharedRenditionKeys), not by the
 *    preset's name;
 *  - one ffmpeg process decodes the master once and encodes every distinct rendition from the
 *    same frames, each with its poster and preview (rendition-job.ts buildRenditionsJob);
 *  - each rendition is validated against every preset that uses it, since the channels' limits
 *    (duration, size) differ even where the encode is the same.
 * Like transcodeRendition: storage in, storage out, temp files removed on every exit, a rendition
 * an earlier attempt stored is reused, and an abort kills ffmpeg.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { cleanCaption, wrapCaption } from './caption';
import { InvalidMediaOptionsError, RenditionValidationError } from './errors';
import type { ChannelPreset, FitMode, FrameRateMode, PresetName } from './presets';
import { probeImage, probeSource, type RenditionSummary } from './probe';
import { buildRenditionsJob, captionLineEm, outputFrameCount, type RenditionBranch } from './rendition-job';
import { signRendition } from '../provenance/signer';
import {
  encodeSettings,
  sharedRenditionKeys,
  type RenditionKeys,
  type SharedRenditionIdentity,
} from './rendition-keys';
import {
  checkAborted,
  download,
  downloadMaster,
  encode,
  findFinished,
  fitOrThrow,
  frameRateOrThrow,
  layoutWatermarkOrThrow,
  placementOrThrow,
  planCaption,
  presetOrThrow,
  renditionFacts,
  renditionMetadata,
  sha256File,
  storeRendition,
  WORK_DIR_PREFIX,
  type TranscodeDeps,
  type TranscodeRequest,
  type TranscodeResult,
  type WatermarkPlacement,
} from './transcode';
import { renditionProblems, sourceProblems } from './validate';

/** A post's presets from one decode: the one-preset request with every preset it needs. */
export interface TranscodeRenditionsRequest extends Omit<TranscodeRequest, 'preset'> {
  /** Each preset once; presets that share an encode share one rendition. */
  presets: PresetName[];
}

/** One encode and the presets it serves. */
interface PlannedEncode {
  keys: RenditionKeys;
  presets: ChannelPreset[];
  branch: RenditionBranch;
  /** The summary of a rendition an earlier attempt stored; then nothing is encoded. */
  stored?: RenditionSummary;
}

/**
 * Master key in storage → one validated rendition per preset, in the request's order. Presets
 * that share an encode come back with the same keys.
 */
export async function transcodeRenditions(
  request: TranscodeRenditionsRequest,
  deps: TranscodeDeps,
): Promise<TranscodeResult[]> {
  const presets = [...new Set(request.presets)].map(presetOrThrow);
  if (presets.length === 0) throw new InvalidMediaOptionsError('presets', 'name at least one preset');
  const fit = fitOrThrow(request.fit);
  const frameRate = frameRateOrThrow(request.frameRate);
  const caption = request.caption ? cleanCaption(request.caption) || undefined : undefined;
  const { storage, signal } = deps;
  const tools = { ffprobePath: deps.config.ffmpeg.ffprobePath, signal };
  const workDir = await mkdtemp(join(deps.tmpRoot ?? tmpdir(), WORK_DIR_PREFIX));
  try {
    let watermark: Watermark | undefined;
    if (request.watermark) {
      const placement = placementOrThrow(request.watermark);
      const path = join(workDir, `watermark${extname(request.watermark.key) || '.png'}`);
      await download(storage, request.watermark.key, path, signal);
      const image = await probeImage(path, `watermark ${request.watermark.key}`, tools);
      watermark = { path, placement, image, sha256: await sha256File(path) };
    }

    const encodes = new Map<string, PlannedEncode>();
    const encodeOf = new Map<PresetName, PlannedEncode>();
    for (const preset of presets) {
      const planned = await planEncode(
        request.masterKey,
        preset,
        { fit, frameRate, watermark, caption, provenance: deps.signer?.identity(request.aiDisclosure) },
        workDir,
      );
      const encode = encodes.get(planned.keys.renditionKey) ?? planned;
      encodes.set(encode.keys.renditionKey, encode);
      encode.presets.push(preset);
      encodeOf.set(preset.name, encode);
    }
    for (const encode of encodes.values()) encode.stored = await findFinished(storage, encode.keys);

    const reused = new Set([...encodes.values()].filter((e) => e.stored));
    const failed: RenditionValidationError[] = [];
    const toMake = [...encodes.values()].filter((e) => !e.stored);
    if (toMake.length > 0) failed.push(...(await makeRenditions(request, toMake, workDir, deps)));
    for (const encode of reused) {
      // The stored rendition was checked as a whole when it was made; the limits are per channel.
      for (const preset of encode.presets) {
        const problems = renditionProblems({ summary: encode.stored!, fastStart: true }, preset);
        if (problems.length > 0) failed.push(new RenditionValidationError(preset.name, problems));
      }
    }
    if (failed.length > 0) throw failed[0];

    return presets.map((preset) => {
      const encode = encodeOf.get(preset.name)!;
      return {
        ...encode.keys,
        preset: preset.name,
        fit,
        reused: reused.has(encode),
        summary: encode.stored!,
      };
    });
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

interface Watermark {
  path: string;
  placement: Required<WatermarkPlacement>;
  image: { width: number; height: number };
  sha256: string;
}

/** A preset's encode: its overlays laid out in its safe area, and the keys that identity gives. */
async function planEncode(
  masterKey: string,
  preset: ChannelPreset,
  options: {
    fit: FitMode;
    frameRate: FrameRateMode;
    watermark?: Watermark;
    caption?: string;
    /** RenditionSigner.identity: a rendition stored unsigned or by another signer is not reused. */
    provenance?: string;
  },
  workDir: string,
): Promise<PlannedEncode> {
  const { fit, frameRate, watermark, caption, provenance } = options;
  const wm =
    watermark &&
    layoutWatermarkOrThrow(preset, { path: watermark.path, ...watermark.image }, watermark.placement);
  // Each preset's caption lines in its own folder: the wrap width differs per safe area.
  const captionDir = join(workDir, `caption-${preset.name}`);
  const drawn = caption
    ? await mkdir(captionDir).then(() => planCaption(preset, caption, captionDir))
    : undefined;
  const identity: SharedRenditionIdentity = {
    masterKey,
    encode: encodeSettings(preset),
    fit,
    frameRate,
    ...(wm && watermark
      ? {
          watermark: {
            sha256: watermark.sha256,
            x: wm.x,
            y: wm.y,
            width: wm.width,
            height: wm.height,
            opacity: wm.opacity,
          },
        }
      : {}),
    ...(drawn && caption
      ? {
          caption: {
            lines: wrapCaption(caption, captionLineEm(preset)),
            font: basename(drawn.fontFile),
            fontSize: drawn.fontSize,
            x: drawn.x,
            width: drawn.width,
            y: drawn.lines.map((l) => l.y),
          },
        }
      : {}),
    ...(provenance ? { provenance } : {}),
  };
  const keys = sharedRenditionKeys(identity);
  const name = basename(keys.renditionKey, '.mp4');
  return {
    keys,
    presets: [],
    branch: {
      preset,
      fit,
      frameRate,
      watermark: wm,
      caption: drawn,
      outputs: {
        video: join(workDir, `${name}.mp4`),
        poster: join(workDir, `${name}.jpg`),
        preview: join(workDir, `${name}.webp`),
      },
    },
  };
}

/**
 * Downloads the master, encodes every rendition in `encodes` from one decode, validates each
 * against each of its presets and stores those valid for at least one. Returns the failures.
 */
async function makeRenditions(
  request: TranscodeRenditionsRequest,
  encodes: PlannedEncode[],
  workDir: string,
  deps: TranscodeDeps,
): Promise<RenditionValidationError[]> {
  const { storage, signal } = deps;
  const label = request.masterKey;
  const tools = { ffprobePath: deps.config.ffmpeg.ffprobePath, signal };
  const { path: masterPath, modelId } = await downloadMaster(request.masterKey, workDir, deps);

  const source = await probeSource(masterPath, label, tools);
  for (const preset of encodes.flatMap((e) => e.presets)) {
    const unfit = sourceProblems(source.durationSeconds, preset);
    if (unfit.length > 0) throw new RenditionValidationError(preset.name, unfit);
  }
  const job = buildRenditionsJob({
    sourcePath: masterPath,
    source,
    renditions: encodes.map((e) => e.branch),
  });
  // Every preset runs at the same frame rate, so every output has this many frames.
  const totalFrames = outputFrameCount(source, encodes[0].branch.preset);
  await encode(job, {
    ffmpeg: deps.config.ffmpeg,
    signal,
    onProgress: deps.onProgress,
    source,
    label,
    totalFrames,
  });
  deps.onProgress?.({ stage: 'encode', percent: 100, frame: totalFrames, totalFrames });

  const failed: RenditionValidationError[] = [];
  for (const planned of encodes) {
    const { outputs } = planned.branch;
    // Content Credentials (activities/provenance), before the checks: what is validated is the
    // signed file. A shared rendition names every preset it serves.
    await signRendition(
      outputs.video,
      { modelId, aiDisclosure: request.aiDisclosure, preset: planned.presets.map((p) => p.name).join(',') },
      deps.signer,
    );
    const { facts, problems: fileProblems } = await renditionFacts(outputs, totalFrames, label, tools);
    const valid: ChannelPreset[] = [];
    for (const preset of planned.presets) {
      const problems = [...renditionProblems(facts, preset), ...fileProblems];
      if (problems.length > 0) failed.push(new RenditionValidationError(preset.name, problems));
      else valid.push(preset);
    }
    if (valid.length === 0) continue;
    checkAborted(signal);
    const metadata = renditionMetadata(
      valid.map((p) => p.name),
      planned.branch.fit,
      request,
      deps.signer,
    );
    await storeRendition(storage, planned.keys, outputs, { summary: facts.summary, metadata }, deps);
    planned.stored = facts.summary;
  }
  return failed;
}
