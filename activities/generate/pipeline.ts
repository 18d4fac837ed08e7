import { createHash } from 'node:crypto';
import * as ort from 'onnxruntime-node';
import { classifyOrtError, GenerateRequestError, GenerationCancelledError } from './errors';
import { fromFloat16, toFloat16 } from './float16';
import type { ModelManifest, SamplerKind } from './manifest';
import type { LoadedModel } from './model';
import { gaussianNoise } from './noise';
import { createSampler } from './samplers';

/**
 * Text -> latents -> frames, for one clip, on sessions that are already open. Runs inside the
 * inference worker thread (session.run blocks its thread). Pure of storage and ffmpeg: frames go
 * out through `emitFrames`, a window at a time, so the whole video never sits in memory.
 */

/** A request with every parameter decided (defaults applied by the caller). */
export interface ResolvedRequest {
  prompt: string;
  negative: string;
  seed: number;
  frames: number;
  width: number;
  height: number;
  steps: number;
  guidance: number;
  sampler: SamplerKind;
  shift: number;
}

export interface Progress {
  /** 'denoise' while sampling (step of steps), then 'decode' (latent frames decoded of total). */
  phase: 'denoise' | 'decode';
  step: number;
  of: number;
  etaSeconds: number;
}

export interface PipelineHooks {
  isCancelled(): boolean;
  /** Resolves when the caller has seen the progress, so a cancel sent on it lands before the next step. */
  onProgress(p: Progress): Promise<void>;
  /** Frames as planar G,B,R bytes (ffmpeg's gbrp), `count` frames back to back. Resolves when taken. */
  emitFrames(planes: Uint8Array, count: number): Promise<void>;
}

export interface PipelineResult {
  frames: number;
  /** sha256 of all frame bytes as emitted: equal for equal clips, whatever the container. */
  framesSha256: string;
  timing: StepTiming;
}

/** Per denoising step: wall time of the step and of the session.run calls inside it (ms). */
export interface StepTiming {
  stepMs: number[];
  runMs: number[];
  textMs: number;
  decodeMs: number;
}

export interface LatentShape {
  channels: number;
  t: number;
  h: number;
  w: number;
}

/** Latent grid for a clip, or a GenerateRequestError naming the field that does not fit. */
export function latentShape(
  m: ModelManifest,
  req: Pick<ResolvedRequest, 'frames' | 'width' | 'height'>,
): LatentShape {
  const [st, sh, sw] = m.vaeStride;
  const [, ph, pw] = m.patch;
  if (!Number.isInteger(req.frames) || req.frames < 1)
    throw new GenerateRequestError('frames', `expected a whole number ≥ 1, got ${req.frames}`);
  for (const [field, value, stride, patch] of [
    ['height', req.height, sh, ph],
    ['width', req.width, sw, pw],
  ] as const) {
    const unit = stride * patch;
    if (!Number.isInteger(value) || value < unit || value % unit !== 0) {
      throw new GenerateRequestError(
        field,
        `must be a positive multiple of ${unit} for this model (VAE stride ${stride} x patch ${patch}), got ${value}`,
      );
    }
  }
  // Frames decode as st*(T-1)+1; ask for more and the extra frames at the end are dropped.
  return {
    channels: m.latentChannels,
    t: Math.ceil((req.frames - 1) / st) + 1,
    h: req.height / sh,
    w: req.width / sw,
  };
}

export async function runPipeline(
  model: LoadedModel,
  req: ResolvedRequest,
  hooks: PipelineHooks,
): Promise<PipelineResult> {
  const shape = latentShape(model.manifest, req);
  const { sessions, manifest } = model;
  const timing: StepTiming = { stepMs: [], runMs: [], textMs: 0, decodeMs: 0 };
  const guided = req.guidance !== 1;

  // 1. Text: prompt and negative prompt through the encoder (one batch of 2 when allowed).
  const t0 = performance.now();
  const texts = guided ? [req.prompt, req.negative] : [req.prompt];
  const context = await encodeText(model, texts);
  timing.textMs = performance.now() - t0;

  // 2. Denoise from seeded noise.
  const n = shape.channels * shape.t * shape.h * shape.w;
  const dims = [shape.channels, shape.t, shape.h, shape.w];
  let latents: Float32Array = gaussianNoise(req.seed, n);
  const sampler = createSampler(req.sampler, {
    steps: req.steps,
    shift: req.shift,
    numTrainTimesteps: manifest.scheduler.numTrainTimesteps,
  });
  const den = sessions.denoiser;
  const batchOk = manifest.graphs.denoiser.guidanceBatch !== 1 && inputShape(den, 'latents')?.[0] !== 1;
  const latentType = inputType(den, 'latents');
  const ctxType = inputType(den, 'encoder_hidden_states');
  const tType = inputType(den, 'timestep');
  const ctxTensors =
    batchOk || !guided
      ? [floatTensor(ctxType, context.data, [texts.length, ...context.dims])]
      : splitBatch(ctxType, context);
  const batched = new Float32Array(batchOk && guided ? 2 * n : 0);
  const started = performance.now();

  for (let i = 0; i < req.steps; i++) {
    if (hooks.isCancelled()) throw new GenerationCancelledError(i);
    const stepStart = performance.now();
    let runMs = 0;
    const t = sampler.timesteps[i];
    const run = async (x: Float32Array, batch: number, ctx: ort.Tensor): Promise<Float32Array> => {
      const feeds = {
        latents: floatTensor(latentType, x, [batch, ...dims]),
        timestep: timestepTensor(tType, t, batch),
        encoder_hidden_states: ctx,
      };
      const r0 = performance.now();
      const out = await runSession(den, feeds, 'noise_pred', 'denoiser');
      runMs += performance.now() - r0;
      return out;
    };
    let velocity: Float32Array;
    if (!guided) {
      velocity = await run(latents, 1, ctxTensors[0]);
    } else if (batchOk) {
      batched.set(latents, 0);
      batched.set(latents, n);
      const both = await run(batched, 2, ctxTensors[0]);
      velocity = guide(both.subarray(0, n), both.subarray(n), req.guidance);
    } else {
      const cond = await run(latents, 1, ctxTensors[0]);
      const uncond = await run(latents, 1, ctxTensors[1]);
      velocity = guide(cond, uncond, req.guidance);
    }
    latents = sampler.step(i, velocity, latents);
    const perStep = (performance.now() - started) / (i + 1);
    await hooks.onProgress({
      phase: 'denoise',
      step: i + 1,
      of: req.steps,
      etaSeconds: round1((perStep * (req.steps - i - 1)) / 1000),
    });
    // Step time includes the progress hand-off to the main thread: all of it is overhead we pay.
    timing.stepMs.push(performance.now() - stepStart);
    timing.runMs.push(runMs);
  }

  // 3. Decode in time windows and stream the frames out.
  const d0 = performance.now();
  const result = await decode(model, latents, shape, req, hooks);
  timing.decodeMs = performance.now() - d0;
  return { ...result, timing };
}

/** Classifier-free guidance: uncond + g * (cond - uncond), as Wan does it. */
function guide(cond: Float32Array, uncond: Float32Array, g: number): Float32Array {
  const out = new Float32Array(cond.length);
  for (let j = 0; j < out.length; j++) out[j] = uncond[j] + g * (cond[j] - uncond[j]);
  return out;
}

async function encodeText(
  model: LoadedModel,
  texts: string[],
): Promise<{ data: Float32Array; dims: number[] }> {
  const te = model.sessions.textEncoder;
  const encoded = texts.map((t) => model.tokenizer.encode(t));
  const L = model.manifest.textTokens;
  const idsType = inputType(te, 'input_ids');
  const maskType = inputType(te, 'attention_mask');
  const ints = (type: string, rows: number[][]): ort.Tensor =>
    type === 'int32'
      ? new ort.Tensor('int32', Int32Array.from(rows.flat()), [rows.length, L])
      : new ort.Tensor(
          'int64',
          BigInt64Array.from(rows.flat(), (v) => BigInt(v)),
          [rows.length, L],
        );
  const runOne = (rows: typeof encoded) =>
    runSession(
      te,
      {
        input_ids: ints(
          idsType,
          rows.map((e) => e.ids),
        ),
        attention_mask: ints(
          maskType,
          rows.map((e) => e.mask),
        ),
      },
      'hidden_states',
      'text encoder',
    );
  const D = model.manifest.textDim;
  if (inputShape(te, 'input_ids')?.[0] !== 1) return { data: await runOne(encoded), dims: [L, D] };
  const parts = [];
  for (const e of encoded) parts.push(await runOne([e]));
  const data = new Float32Array(parts.length * L * D);
  parts.forEach((p, i) => data.set(p, i * L * D));
  return { data, dims: [L, D] };
}

function splitBatch(type: string, ctx: { data: Float32Array; dims: number[] }): ort.Tensor[] {
  const size = ctx.dims.reduce((a, b) => a * b, 1);
  return [0, 1].map((b) => floatTensor(type, ctx.data.slice(b * size, (b + 1) * size), [1, ...ctx.dims]));
}

async function decode(
  model: LoadedModel,
  latents: Float32Array,
  shape: LatentShape,
  req: ResolvedRequest,
  hooks: PipelineHooks,
): Promise<Omit<PipelineResult, 'timing'>> {
  const wanted = req.frames;
  const vae = model.sessions.vaeDecoder;
  const { chunkLatentFrames, contextLatentFrames } = model.manifest.vaeDecode;
  const st = model.manifest.vaeStride[0];
  const chunk = chunkLatentFrames > 0 && contextLatentFrames > 0 ? chunkLatentFrames : shape.t;
  const context = chunk < shape.t ? contextLatentFrames : 0;
  const type = inputType(vae, 'latents');
  const hash = createHash('sha256');
  let emitted = 0;
  const plane = shape.h * model.manifest.vaeStride[1] * shape.w * model.manifest.vaeStride[2];

  for (let start = 0; start < shape.t && emitted < wanted; start += chunk) {
    if (hooks.isCancelled()) throw new GenerationCancelledError(req.steps);
    const from = Math.max(0, start - context);
    const to = Math.min(shape.t, start + chunk);
    const window = sliceTime(latents, shape, from, to);
    const video = await runSession(
      vae,
      { latents: floatTensor(type, window, [1, shape.channels, to - from, shape.h, shape.w]) },
      'video',
      'VAE decoder',
    );
    const decodedFrames = video.length / (3 * plane);
    // Frames of the context latents were emitted by the previous window: skip them.
    const skip = from === start ? 0 : st * (start - from - 1) + 1;
    const keep = Math.min(decodedFrames - skip, wanted - emitted);
    const planes = toGbrp(video, decodedFrames, plane, skip, keep);
    hash.update(planes);
    await hooks.emitFrames(planes, keep);
    emitted += keep;
    await hooks.onProgress({ phase: 'decode', step: to, of: shape.t, etaSeconds: 0 });
  }
  return { frames: emitted, framesSha256: hash.digest('hex') };
}

/** latents[:, :, from:to] as its own array. */
function sliceTime(x: Float32Array, s: LatentShape, from: number, to: number): Float32Array {
  const frame = s.h * s.w;
  const out = new Float32Array(s.channels * (to - from) * frame);
  for (let c = 0; c < s.channels; c++) {
    out.set(x.subarray((c * s.t + from) * frame, (c * s.t + to) * frame), c * (to - from) * frame);
  }
  return out;
}

/** video [1,3,F,H,W] in [-1,1] -> frames skip..skip+keep as G,B,R byte planes (round half up, like Wan's saver). */
function toGbrp(video: Float32Array, frames: number, plane: number, skip: number, keep: number): Uint8Array {
  const out = new Uint8Array(keep * 3 * plane);
  const order = [1, 2, 0]; // gbrp: G plane, B plane, R plane
  for (let f = 0; f < keep; f++) {
    for (let p = 0; p < 3; p++) {
      const src = (order[p] * frames + skip + f) * plane;
      const dst = (f * 3 + p) * plane;
      for (let k = 0; k < plane; k++) {
        const v = (video[src + k] + 1) * 127.5 + 0.5;
        out[dst + k] = v <= 0 ? 0 : v >= 255 ? 255 : v; // Uint8Array stores truncated
      }
    }
  }
  return out;
}

async function runSession(
  session: ort.InferenceSession,
  feeds: Record<string, ort.Tensor>,
  output: string,
  stage: string,
): Promise<Float32Array> {
  let result: ort.InferenceSession.OnnxValueMapType;
  try {
    result = await session.run(feeds, [output]);
  } catch (err) {
    throw classifyOrtError(stage, err);
  }
  const t = result[output] as ort.Tensor;
  if (t.type === 'float16') return fromFloat16(t.data as Uint16Array);
  if (t.type !== 'float32')
    throw classifyOrtError(stage, new Error(`output ${output} is ${t.type}, expected float32 or float16`));
  return t.data as Float32Array;
}

function floatTensor(type: string, data: Float32Array, dims: number[]): ort.Tensor {
  return type === 'float16'
    ? new ort.Tensor('float16', toFloat16(data), dims)
    : new ort.Tensor('float32', data, dims);
}

function timestepTensor(type: string, t: number, batch: number): ort.Tensor {
  if (type === 'int64')
    return new ort.Tensor('int64', new BigInt64Array(batch).fill(BigInt(Math.trunc(t))), [batch]);
  return floatTensor(type, new Float32Array(batch).fill(t), [batch]);
}

function inputMeta(
  s: ort.InferenceSession,
  name: string,
): { type?: string; shape?: ReadonlyArray<number | string> } {
  const i = s.inputNames.indexOf(name);
  const m = s.inputMetadata?.[i] as
    { isTensor?: boolean; type?: string; shape?: ReadonlyArray<number | string> } | undefined;
  return m?.isTensor ? m : {};
}

function inputType(s: ort.InferenceSession, name: string): string {
  return inputMeta(s, name).type ?? 'float32';
}

function inputShape(s: ort.InferenceSession, name: string): ReadonlyArray<number | string> | undefined {
  return inputMeta(s, name).shape;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
