import { createHash } from 'node:crypto';
import * as ort from 'onnxruntime-node';
import { classifyOrtError, GenerateRequestError, GenerationCancelledError } from './errors';
import { fromFloat16, toFloat16 } from './float16';
import { cacheInputs, type ModelManifest, type SamplerKind } from './manifest';
import type { LoadedModel } from './model';
import { gaussianNoise } from './noise';
import { createSampler } from './samplers';
import { cleanPrompt } from './tokenizer';

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
  /** Resolves when the caller has seen the progress; the next step's progress waits for it. */
  onProgress(p: Progress): Promise<void>;
  /** Frames as planar G,B,R bytes (ffmpeg's gbrp), `count` frames back to back. Resolves when taken. */
  emitFrames(planes: Uint8Array, count: number): Promise<void>;
  /** A byte buffer for frames; recycled ones when the caller gives them back. Default: new. */
  frameBuffer?(bytes: number): Uint8Array;
  /**
   * Sees the intermediate tensors (the parity test against diffusers): the text encoder's output
   * (prompt, then negative when guided) and the latents after each step. Read only, valid
   * during the call.
   */
  inspect?: {
    text?(hiddenStates: Float32Array, dims: readonly number[]): void;
    latents?(step: number, latents: Float32Array): void;
  };
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
  /** Part of stepMs spent waiting for the main thread to take the previous step's progress. */
  waitMs: number[];
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
  const t = Math.ceil((req.frames - 1) / st) + 1;
  // A decoder exported for a fixed number of latent frames decodes exactly that many: fewer
  // frames are fine (the rest are dropped), more are not. One that decodes a latent frame at a
  // time (Wan's VAE as models/export writes it now) takes any number.
  const fixed = m.graphs.vaeDecoderStep ? undefined : m.graphs.vaeDecoder.inputs.latents?.[2];
  if (typeof fixed === 'number' && t > fixed) {
    throw new GenerateRequestError(
      'frames',
      `this model's VAE decoder makes at most ${st * (fixed - 1) + 1} frames (it was exported for ${fixed} latent frames), got ${req.frames}`,
    );
  }
  return {
    channels: m.latentChannels,
    t: typeof fixed === 'number' ? fixed : t,
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
  const timing: StepTiming = { stepMs: [], runMs: [], waitMs: [], textMs: 0, decodeMs: 0 };
  // As diffusers' WanPipeline: classifier-free guidance only for a scale above 1.
  const guided = req.guidance > 1;

  // 1. Text: prompt and negative prompt through the encoder (one batch of 2 when allowed).
  const t0 = performance.now();
  const texts = guided ? [req.prompt, req.negative] : [req.prompt];
  const context = await encodeText(model, texts);
  timing.textMs = performance.now() - t0;
  hooks.inspect?.text?.(context.data, [texts.length, ...context.dims]);

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
  const ctxType = inputType(den, 'encoder_hidden_states');
  const ctxTensors =
    batchOk || !guided
      ? [floatTensor(ctxType, context.data, [texts.length, ...context.dims])]
      : splitBatch(ctxType, context);
  // Every per-step buffer is allocated once: the denoiser's inputs and outputs, the samplers' rings.
  const denoise = new DenoiserCall(den, dims, guided && batchOk ? 2 : 1, manifest.patch);
  const condCopy = new Float32Array(guided && !batchOk ? n : 0);
  const started = performance.now();
  let progressSeen = Promise.resolve();

  for (let i = 0; i < req.steps; i++) {
    if (hooks.isCancelled()) throw new GenerationCancelledError(i);
    const stepStart = performance.now();
    const runMsBefore = denoise.runMs;
    const t = sampler.timesteps[i];
    // Guidance is folded into the sampler's pass over the latents (uncond + g * (cond - uncond)).
    if (!guided) {
      latents = sampler.step(i, await denoise.run([latents], t, ctxTensors[0]), latents);
    } else if (batchOk) {
      const both = await denoise.run([latents, latents], t, ctxTensors[0]);
      const uncond = both.subarray(n);
      latents = sampler.step(i, both.subarray(0, n), latents, { uncond, scale: req.guidance });
    } else {
      condCopy.set(await denoise.run([latents], t, ctxTensors[0]));
      const uncond = await denoise.run([latents], t, ctxTensors[1]);
      latents = sampler.step(i, condCopy, latents, { uncond, scale: req.guidance });
    }
    hooks.inspect?.latents?.(i, latents);
    // The main thread's ack of the previous step's progress overlaps this step's compute: the
    // worker never idles on the hand-off, and a cancel sent on heartbeat k stops before step k+2.
    const w0 = performance.now();
    await progressSeen;
    timing.waitMs.push(performance.now() - w0);
    const perStep = (performance.now() - started) / (i + 1);
    progressSeen = hooks.onProgress({
      phase: 'denoise',
      step: i + 1,
      of: req.steps,
      etaSeconds: round1((perStep * (req.steps - i - 1)) / 1000),
    });
    timing.stepMs.push(performance.now() - stepStart);
    timing.runMs.push(denoise.runMs - runMsBefore);
  }
  await progressSeen;

  // 3. Decode in time windows and stream the frames out.
  const d0 = performance.now();
  const result = await decode(model, latents, shape, req, hooks);
  timing.decodeMs = performance.now() - d0;
  return { ...result, timing };
}

/**
 * One denoiser call shape (batch of 1 or 2), with its input and output tensors allocated once
 * and reused every step; onnxruntime writes the output into our buffer (pre-allocated fetch).
 */
class DenoiserCall {
  /** Time spent inside session.run alone (ms), summed over calls: what the bench sets against step time. */
  runMs = 0;
  readonly #latentType: string;
  readonly #timestepType: string;
  readonly #input: ort.Tensor;
  readonly #output: ort.Tensor;
  readonly #timestep: ort.Tensor;
  readonly #inputF32: Float32Array;
  readonly #outputF32: Float32Array;

  constructor(
    readonly session: ort.InferenceSession,
    dims: number[],
    readonly batch: number,
    patch: readonly number[],
  ) {
    const size = batch * dims.reduce((a, b) => a * b, 1);
    const shape = [batch, ...dims];
    this.#latentType = inputType(session, 'latents');
    this.#timestepType = inputType(session, 'timestep');
    const outType = outputType(session, 'noise_pred');
    this.#inputF32 = new Float32Array(size);
    this.#input =
      this.#latentType === 'float16'
        ? float16Tensor(new Uint16Array(size), shape)
        : new ort.Tensor('float32', this.#inputF32, shape);
    this.#output =
      outType === 'float16'
        ? float16Tensor(new Uint16Array(size), shape)
        : new ort.Tensor('float32', new Float32Array(size), shape);
    this.#outputF32 = outType === 'float16' ? new Float32Array(size) : (this.#output.data as Float32Array);
    // Wan2.2 TI2V takes one timestep per latent token (diffusers' expand_timesteps): [batch,
    // tokens] with tokens = T*(h/ph)*(w/pw), all equal here (text-to-video); others take [batch].
    const [, t, h, w] = dims;
    const perToken = inputShape(session, 'timestep')?.length === 2;
    const tsDims = perToken ? [batch, (t / patch[0]) * (h / patch[1]) * (w / patch[2])] : [batch];
    const tsSize = tsDims.reduce((a, b) => a * b, 1);
    this.#timestep =
      this.#timestepType === 'int64'
        ? new ort.Tensor('int64', new BigInt64Array(tsSize), tsDims)
        : this.#timestepType === 'float16'
          ? float16Tensor(new Uint16Array(tsSize), tsDims)
          : new ort.Tensor('float32', new Float32Array(tsSize), tsDims);
  }

  /** Velocity for each latent in `rows` (one batch row each) at timestep t. Valid until the next run. */
  async run(rows: Float32Array[], t: number, context: ort.Tensor): Promise<Float32Array> {
    const n = this.#inputF32.length / this.batch;
    rows.forEach((row, b) => this.#inputF32.set(row, b * n));
    if (this.#latentType === 'float16') toFloat16(this.#inputF32, float16Bits(this.#input));
    if (this.#timestepType === 'int64') (this.#timestep.data as BigInt64Array).fill(BigInt(Math.trunc(t)));
    else if (this.#timestepType === 'float16')
      toFloat16(new Float32Array(this.#timestep.size).fill(t), float16Bits(this.#timestep));
    else (this.#timestep.data as Float32Array).fill(t);
    const feeds = { latents: this.#input, timestep: this.#timestep, encoder_hidden_states: context };
    try {
      const r0 = performance.now();
      await this.session.run(feeds, { noise_pred: this.#output });
      this.runMs += performance.now() - r0;
    } catch (err) {
      throw classifyOrtError('denoiser', err);
    }
    if (this.#output.type === 'float16') fromFloat16(float16Bits(this.#output), this.#outputF32);
    return this.#outputF32;
  }
}

async function encodeText(
  model: LoadedModel,
  texts: string[],
): Promise<{ data: Float32Array; dims: number[] }> {
  const te = model.sessions.textEncoder;
  const encoded = texts.map((t) => model.tokenizer.encode(cleanPrompt(t)));
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
  const step = model.sessions.vaeDecoderStep;
  const { chunkLatentFrames, contextLatentFrames } = model.manifest.vaeDecode;
  const st = model.manifest.vaeStride[0];
  const chunk = step ? 1 : chunkLatentFrames > 0 && contextLatentFrames > 0 ? chunkLatentFrames : shape.t;
  const context = !step && chunk < shape.t ? contextLatentFrames : 0;
  const type = inputType(vae, 'latents');
  const hash = createHash('sha256');
  let emitted = 0;
  const plane = shape.h * model.manifest.vaeStride[1] * shape.w * model.manifest.vaeStride[2];

  // Output buffers per window length, reused: at 704x1280 one window is ~100 MB of float32,
  // and a fresh one per window would pile up as garbage faster than the collector frees it.
  const outType = outputType(vae, 'video');
  const [, sh, sw] = model.manifest.vaeStride;
  const outputs = new Map<number, { tensor: ort.Tensor; f32: Float32Array }>();
  const decodeWindow = async (window: Float32Array, k: number): Promise<Float32Array> => {
    let o = outputs.get(k);
    if (!o) {
      const dims = [1, 3, st * (k - 1) + 1, shape.h * sh, shape.w * sw];
      const size = dims.reduce((a, b) => a * b, 1);
      const tensor =
        outType === 'float16'
          ? float16Tensor(new Uint16Array(size), dims)
          : new ort.Tensor('float32', new Float32Array(size), dims);
      o = { tensor, f32: outType === 'float16' ? new Float32Array(size) : (tensor.data as Float32Array) };
      outputs.set(k, o);
    }
    try {
      await vae.run(
        { latents: floatTensor(type, window, [1, shape.channels, k, shape.h, shape.w]) },
        { video: o.tensor },
      );
    } catch (err) {
      throw classifyOrtError('VAE decoder', err);
    }
    if (outType === 'float16') fromFloat16(float16Bits(o.tensor), o.f32);
    return o.f32;
  };
  // A decoder that goes a latent frame at a time: `vaeDecoder` takes the first, `vaeDecoderStep`
  // each one after it, with the cache (next_cache_<k>) the call before it gave.
  const cacheNames = step ? cacheInputs(model.manifest.graphs.vaeDecoderStep!) : [];
  let cache: ort.InferenceSession.OnnxValueMapType = {};
  const decodeStep = async (window: Float32Array, index: number): Promise<Float32Array> => {
    const feeds: Record<string, ort.Tensor> = {
      latents: floatTensor(type, window, [1, shape.channels, 1, shape.h, shape.w]),
    };
    for (const name of index > 0 ? cacheNames : []) {
      const t = cache[`next_${name}`] as ort.Tensor;
      // onnxruntime hands float16 back in a form it cannot take in again (float16Tensor).
      feeds[name] = t.type === 'float16' ? float16Tensor(float16Bits(t), t.dims) : t;
    }
    try {
      cache = await (index === 0 ? vae : step!).run(feeds);
    } catch (err) {
      throw classifyOrtError('VAE decoder', err);
    }
    return float32Of(cache.video as ort.Tensor, 'video', 'VAE decoder');
  };
  let taken = Promise.resolve();
  const decodeStart = performance.now();
  for (let start = 0; start < shape.t && emitted < wanted; start += chunk) {
    if (hooks.isCancelled()) throw new GenerationCancelledError(req.steps);
    const from = Math.max(0, start - context);
    const to = Math.min(shape.t, start + chunk);
    const window = sliceTime(latents, shape, from, to);
    const video = step ? await decodeStep(window, start) : await decodeWindow(window, to - from);
    const decodedFrames = video.length / (3 * plane);
    // Frames of the context latents were emitted by the previous window: skip them.
    const skip = from === start ? 0 : st * (start - from - 1) + 1;
    const keep = Math.min(decodedFrames - skip, wanted - emitted);
    const planes = toGbrp(
      video,
      decodedFrames,
      plane,
      skip,
      keep,
      hooks.frameBuffer?.(keep * 3 * plane) ?? new Uint8Array(keep * 3 * plane),
    );
    hash.update(planes);
    // One window in flight: ffmpeg encodes this one while the next is decoded.
    await taken;
    taken = hooks.emitFrames(planes, keep);
    emitted += keep;
    const perLatent = (performance.now() - decodeStart) / to;
    await hooks.onProgress({
      phase: 'decode',
      step: to,
      of: shape.t,
      etaSeconds: round1((perLatent * (shape.t - to)) / 1000),
    });
  }
  await taken;
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

/**
 * video [1,3,F,H,W] in [-1,1] -> frames skip..skip+keep as G,B,R byte planes. The clamped array
 * does the clamp and the rounding (to nearest, ties to even) in one store.
 */
function toGbrp(
  video: Float32Array,
  frames: number,
  plane: number,
  skip: number,
  keep: number,
  out: Uint8Array,
): Uint8Array {
  const bytes = new Uint8ClampedArray(out.buffer, out.byteOffset, keep * 3 * plane);
  const order = [1, 2, 0]; // gbrp: G plane, B plane, R plane
  for (let f = 0; f < keep; f++) {
    for (let p = 0; p < 3; p++) {
      const src = (order[p] * frames + skip + f) * plane;
      const dst = (f * 3 + p) * plane;
      for (let k = 0; k < plane; k++) bytes[dst + k] = (video[src + k] + 1) * 127.5;
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
  return float32Of(result[output] as ort.Tensor, output, stage);
}

/** A float32 or float16 output's values as float32. */
function float32Of(t: ort.Tensor, output: string, stage: string): Float32Array {
  if (t.type === 'float16') return fromFloat16(float16Bits(t));
  if (t.type !== 'float32')
    throw classifyOrtError(stage, new Error(`output ${output} is ${t.type}, expected float32 or float16`));
  return t.data as Float32Array;
}

/**
 * A float16 tensor over our own bits. Where Node has Float16Array (Node 24), onnxruntime-common
 * swaps a Uint16Array for a Float16Array view of it, which onnxruntime-node's native binding
 * reads as 0 bytes ("not enough space: expected N, got 0"); so the tensor keeps handing out
 * the Uint16Array, the type the binding takes for float16 on every Node version.
 */
function float16Tensor(bits: Uint16Array, dims: readonly number[]): ort.Tensor {
  const tensor = new ort.Tensor('float16', bits, dims);
  if (tensor.data !== bits) Object.defineProperty(tensor, 'data', { get: () => bits });
  return tensor;
}

/** A float16 tensor's raw bits, whether onnxruntime gave a Uint16Array or a Float16Array. */
function float16Bits(tensor: ort.Tensor): Uint16Array {
  const data = tensor.data as ArrayBufferView & { length: number };
  return data instanceof Uint16Array ? data : new Uint16Array(data.buffer, data.byteOffset, data.length);
}

function floatTensor(type: string, data: Float32Array, dims: number[]): ort.Tensor {
  return type === 'float16' ? float16Tensor(toFloat16(data), dims) : new ort.Tensor('float32', data, dims);
}

function outputType(s: ort.InferenceSession, name: string): string {
  const i = s.outputNames.indexOf(name);
  const m = s.outputMetadata?.[i] as { isTensor?: boolean; type?: string } | undefined;
  return (m?.isTensor && m.type) || 'float32';
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
