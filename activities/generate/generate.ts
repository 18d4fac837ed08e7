import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReelcastConfig } from '../../config';
import type { ObjectStorage } from '../storage';
import { GenerateRequestError, GenerationCancelledError } from './errors';
import { sharedInferenceThread, type InferenceThread } from './inference-thread';
import { masterKey } from './key';
import {
  loadManifest,
  SAMPLER_KINDS,
  type ModelManifest,
  type Precision,
  type SamplerKind,
  modelDir,
} from './manifest';
import { MASTER_CONTENT_TYPE, MasterWriter } from './master';
import type { ModelOptions } from './model';
import { latentShape, type Progress, type ResolvedRequest, type StepTiming } from './pipeline';
import type { ProviderKind } from './providers';

/** What to generate. Unset parameters come from the model's manifest (steps, guidance, sampler, shift) or the defaults below. */
export interface GenerateRequest {
  /**
   * The campaign's model directory (calendar `video.model`, e.g. a brand style exported with
   * `reelcast model export --lora`): absolute, or relative to the folder holding model.dir.
   * Absent: model.dir.
   */
  model?: string;
  prompt: string;
  negative?: string;
  seed: number;
  frames?: number;
  width?: number;
  height?: number;
  steps?: number;
  guidance?: number;
  sampler?: SamplerKind;
  shift?: number;
}

export const DEFAULT_SIZE = { frames: 16, width: 640, height: 480 } as const;

export interface GenerateResult {
  /** Storage key of the master clip: `masters/<sha256>.mkv`. */
  key: string;
  /** True when the clip already existed and nothing was generated. */
  cached: boolean;
  /** Execution provider that generated the clip (for a cache hit: the one that made it then). */
  provider: ProviderKind;
  modelId: string;
  frames: number;
  width: number;
  height: number;
  fps: number;
  seconds: number;
  /** sha256 of the decoded frames (planar RGB bytes), equal for equal clips. */
  framesSha256: string;
  /** Timings of this run (ms); absent for a cache hit. */
  timing?: GenerateTiming;
}

export interface GenerateTiming extends StepTiming {
  /** ffmpeg finishing the file after the last frame. */
  finishMs: number;
  /** Copying the master into storage. */
  storeMs: number;
}

export interface GenerateDeps {
  storage: ObjectStorage;
  config: ReelcastConfig;
  onProgress?(p: Progress): void;
  onWarning?(message: string): void;
  signal?: AbortSignal;
  /** Defaults to the process's shared inference thread. */
  inference?: InferenceThread;
}

/** The model settings of a config (and a campaign's `video.model`), as the inference thread takes them. */
// modelDir lives with the manifest code, so `validate` can resolve a campaign's model without loading onnxruntime.
export { modelDir };

export function modelOptions(config: ReelcastConfig, model?: string): ModelOptions {
  const m = config.model;
  return {
    dir: modelDir(config, model),
    precision: m.precision ?? 'fp32',
    threads: m.threads ?? 0,
    memoryLimitMb: m.memoryLimitMb ?? 0,
    provider: {
      kind: m.provider,
      deviceId: m.deviceId,
      tensorrtCacheDir: m.tensorrtCacheDir ?? join(config.dataDir, 'tensorrt'),
    },
  };
}

/** Applies defaults and checks every field; throws GenerateRequestError naming the field. */
export function resolveRequest(req: GenerateRequest, manifest: ModelManifest): ResolvedRequest {
  const s = manifest.scheduler;
  const out: ResolvedRequest = {
    prompt: req.prompt,
    negative: req.negative ?? '',
    seed: req.seed,
    frames: req.frames ?? DEFAULT_SIZE.frames,
    width: req.width ?? DEFAULT_SIZE.width,
    height: req.height ?? DEFAULT_SIZE.height,
    steps: req.steps ?? s.steps,
    guidance: req.guidance ?? s.guidance,
    sampler: req.sampler ?? s.kind,
    shift: req.shift ?? s.shift,
  };
  if (typeof out.prompt !== 'string' || !out.prompt.trim())
    throw new GenerateRequestError('prompt', 'must not be empty');
  if (typeof out.negative !== 'string') throw new GenerateRequestError('negative', 'must be text');
  if (!Number.isSafeInteger(out.seed) || out.seed < 0)
    throw new GenerateRequestError('seed', `expected a whole number from 0 to 2^53-1, got ${out.seed}`);
  if (!Number.isInteger(out.steps) || out.steps < 1 || out.steps > 1000)
    throw new GenerateRequestError('steps', `expected 1 to 1000, got ${out.steps}`);
  if (!Number.isFinite(out.guidance) || out.guidance < 0 || out.guidance > 50)
    throw new GenerateRequestError('guidance', `expected 0 to 50, got ${out.guidance}`);
  if (!(out.shift > 0) || out.shift > 100)
    throw new GenerateRequestError('shift', `expected a number above 0 up to 100, got ${out.shift}`);
  if (!SAMPLER_KINDS.includes(out.sampler))
    throw new GenerateRequestError(
      'sampler',
      `expected one of ${SAMPLER_KINDS.join(', ')}, got ${out.sampler}`,
    );
  latentShape(manifest, out); // frames, width, height against the model's stride and patch
  return out;
}

/**
 * Generates the master clip for a request, or finds it: the core of the generate activity,
 * callable without Temporal. Content-hash key; a clip that exists is never generated again.
 */
export async function generateMaster(request: GenerateRequest, deps: GenerateDeps): Promise<GenerateResult> {
  const options = modelOptions(deps.config, request.model);
  const manifest = loadManifest(options.dir);
  const req = resolveRequest(request, manifest);
  const key = masterKey(manifest, options.precision as Precision, req);

  // The same clip already being looked up or generated in this process (a replay racing its
  // original): wait for it and answer as the cache hit it becomes, instead of generating twice.
  const running = inFlight.get(key);
  if (running) {
    const first = await untilAborted(running, deps.signal).catch((err: Error) => {
      if (err.name === 'GenerationCancelledError' && deps.signal?.aborted) throw err; // we were cancelled
      return undefined; // the first one failed or was cancelled: try on our own
    });
    if (first) {
      const { timing: _timing, ...made } = first;
      return { ...made, cached: true };
    }
  }
  const work = findOrGenerate(key, manifest, options, req, deps);
  inFlight.set(key, work);
  try {
    return await work;
  } finally {
    if (inFlight.get(key) === work) inFlight.delete(key);
  }
}

/** `work`, or a GenerationCancelledError as soon as `signal` aborts (the work goes on for its owner). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(new GenerationCancelledError(0));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new GenerationCancelledError(0));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

async function findOrGenerate(
  key: string,
  manifest: ModelManifest,
  options: ModelOptions,
  req: ResolvedRequest,
  deps: GenerateDeps,
): Promise<GenerateResult> {
  const existing = await deps.storage.head(key);
  if (existing) {
    const md = existing.metadata;
    const frames = Number(md.frames ?? req.frames);
    const fps = Number(md.fps ?? manifest.fps);
    return {
      key,
      cached: true,
      provider: (md.provider as ProviderKind) ?? 'cpu',
      modelId: manifest.id,
      frames,
      width: req.width,
      height: req.height,
      fps,
      seconds: frames / fps,
      framesSha256: md['frames-sha256'] ?? '',
    };
  }
  if (deps.signal?.aborted) throw new GenerationCancelledError(0);
  return generate(key, manifest, options, req, deps);
}

const inFlight = new Map<string, Promise<GenerateResult>>();

async function generate(
  key: string,
  manifest: ModelManifest,
  options: ModelOptions,
  req: ResolvedRequest,
  deps: GenerateDeps,
): Promise<GenerateResult> {
  const dir = await mkdtemp(join(tmpdir(), 'reelcast-master-'));
  const file = join(dir, 'master.mkv');
  // Starting ffmpeg blocks this thread for tens of milliseconds: do it once the inference thread
  // is busy with the first step, not before the job is handed to it.
  let writer: MasterWriter | undefined;
  const startWriter = (): MasterWriter =>
    (writer ??= new MasterWriter({
      ffmpegPath: deps.config.ffmpeg.ffmpegPath,
      width: req.width,
      height: req.height,
      fps: manifest.fps,
      file,
    }));
  try {
    const inference = deps.inference ?? sharedInferenceThread();
    const result = await inference.run(options, req, {
      onProgress: (p) => {
        startWriter();
        deps.onProgress?.(p);
      },
      onWarning: deps.onWarning ?? ((w) => process.emitWarning(w, 'ReelcastGenerateWarning')),
      onFrames: (planes) => startWriter().write(planes),
      signal: deps.signal,
    });
    const f0 = performance.now();
    await startWriter().finish();
    const finishMs = performance.now() - f0;
    const metadata = {
      'model-id': manifest.id,
      precision: options.precision,
      provider: result.provider,
      frames: String(result.frames),
      fps: String(manifest.fps),
      width: String(req.width),
      height: String(req.height),
      seed: String(req.seed),
      sampler: req.sampler,
      steps: String(req.steps),
      'frames-sha256': result.framesSha256,
    };
    const s0 = performance.now();
    await deps.storage.putFile(key, file, { contentType: MASTER_CONTENT_TYPE, metadata });
    const storeMs = performance.now() - s0;
    return {
      key,
      cached: false,
      provider: result.provider,
      modelId: manifest.id,
      frames: result.frames,
      width: req.width,
      height: req.height,
      fps: manifest.fps,
      seconds: result.frames / manifest.fps,
      framesSha256: result.framesSha256,
      timing: { ...result.timing, finishMs, storeMs },
    };
  } catch (err) {
    await writer?.abort();
    throw err;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
