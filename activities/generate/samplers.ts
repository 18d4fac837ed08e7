import type { SamplerKind } from './manifest';

/**
 * The flow-matching samplers, pure: no I/O, no onnxruntime. `unipc` and `euler` follow the
 * schedulers of diffusers' WanPipeline (the reference the Wan2.2 export is checked against in
 * test/unit/generate/wan-parity.test.ts); `dpmpp` follows Wan2.2's own solver:
 *
 * - `unipc`  UniPCMultistepScheduler(flow_prediction, use_flow_sigmas): order 2, bh2, predict
 *            x0, lower-order final step, sigmas = shift(linspace(1, 1/1000, N+1)[:-1]) with the
 *            first nudged to 1 - 1e-6, then 0; timesteps int(sigma * 1000). Wan's default.
 * - `euler`  FlowMatchEulerDiscreteScheduler(shift): sigmas = shift(linspace(1, s_min, N)) then
 *            0, where s_min = shift(1/1000) (diffusers shifts the end points once at construction
 *            and the schedule again in set_timesteps); timesteps sigma * 1000 (float32).
 * - `dpmpp`  FlowDPMSolverMultistepScheduler (wan/utils/fm_solvers.py): DPM-Solver++ 2M
 *            midpoint, sigmas shift(linspace(1, 0, N+1)[:N]) then 0 (Wan's get_sampling_sigmas).
 *
 * The model predicts the flow velocity v; x0 = x - sigma * v. Latents and model outputs are
 * float32 (what onnxruntime takes); per-step coefficients are float64 from the float32 sigmas.
 * diffusers computes its coefficients in float32, so ours differ from it by float32 rounding only.
 */

export interface SamplerOptions {
  steps: number;
  shift: number;
  numTrainTimesteps?: number;
}

export interface Sampler {
  readonly kind: SamplerKind;
  /** sigma_0 .. sigma_{N-1} and the final 0: N+1 values, float32-rounded as Wan keeps them. */
  readonly sigmas: Float64Array;
  /** The timestep fed to the denoiser at step i (N values). */
  readonly timesteps: Float64Array;
  /**
   * Advances one step: `velocity` is the (guided) model output at `sample` for step `index`.
   * Returns the next sample in a buffer the sampler owns and reuses two steps later (no
   * allocation per step: at 121 frames a step would otherwise churn ~100 MB); the caller's
   * arrays are not changed. Pass the returned array back as the next `sample`.
   */
  step(index: number, velocity: Float32Array, sample: Float32Array, guidance?: Guidance): Float32Array;
}

/**
 * Classifier-free guidance folded into the step: the velocity used is
 * uncond + scale * (velocity - uncond), rounded to float32 as a separate guidance pass would
 * store it. Saves a pass over the latents per step.
 */
export interface Guidance {
  uncond: Float32Array;
  scale: number;
}

export function createSampler(kind: SamplerKind, options: SamplerOptions): Sampler {
  const { steps, shift } = options;
  const train = options.numTrainTimesteps ?? 1000;
  if (!Number.isInteger(steps) || steps < 1)
    throw new RangeError(`steps must be a whole number ≥ 1, got ${steps}`);
  if (!(shift > 0)) throw new RangeError(`shift must be > 0, got ${shift}`);
  switch (kind) {
    case 'unipc':
      return new UniPCSampler(steps, shift, train);
    case 'dpmpp':
      return new DpmSolverPPSampler(steps, shift, train);
    case 'euler':
      return new EulerSampler(steps, shift, train);
  }
}

/** numpy.linspace(start, stop, num): start + i*step, last value exactly stop. */
export function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  if (num === 1) return out.fill(start);
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  if (num > 1) out[num - 1] = stop;
  return out;
}

function shifted(sigma: number, shift: number): number {
  return (shift * sigma) / (1 + (shift - 1) * sigma);
}

/** Shifted sigmas (float64) for the N steps, before the final 0. */
function shiftedSigmas(start: number, steps: number, shift: number): Float64Array {
  const base = linspace(start, 0, steps + 1).subarray(0, steps);
  return base.map((s) => shifted(s, shift));
}

function withFinalZero(sigmas: Float64Array): Float64Array {
  const out = new Float64Array(sigmas.length + 1);
  for (let i = 0; i < sigmas.length; i++) out[i] = Math.fround(sigmas[i]);
  return out;
}

/** alpha = 1 - sigma; lambda = log(alpha) - log(sigma) (log-SNR/2 of the flow path). */
function lambdaOf(sigma: number): number {
  return Math.log(1 - sigma) - Math.log(sigma);
}

/** `size` buffers used in turn: a buffer handed out stays valid for the next size-1 takes. */
class BufferRing {
  #buffers: Float32Array[] = [];
  #next = 0;

  constructor(readonly size: number) {}

  take(length: number): Float32Array {
    let b = this.#buffers[this.#next];
    if (!b || b.length !== length) b = this.#buffers[this.#next] = new Float32Array(length);
    this.#next = (this.#next + 1) % this.size;
    return b;
  }
}

class EulerSampler implements Sampler {
  readonly kind = 'euler' as const;
  readonly sigmas: Float64Array;
  readonly timesteps: Float64Array;

  constructor(steps: number, shift: number, train: number) {
    // diffusers builds sigma_min in float32 at construction: shift(float32(1/train)).
    const f = Math.fround;
    const t0 = f(1 / train);
    const sigmaMin = f(f(shift * t0) / f(1 + f((shift - 1) * t0)));
    const base = linspace(1 * train, sigmaMin * train, steps).map((t) => t / train);
    this.sigmas = withFinalZero(base.map((s) => shifted(s, shift)));
    this.timesteps = this.sigmas.subarray(0, steps).map((x) => f(x * train));
  }

  readonly #out = new BufferRing(2);

  step(index: number, velocity: Float32Array, sample: Float32Array, guidance?: Guidance): Float32Array {
    const dt = this.sigmas[index + 1] - this.sigmas[index];
    const out = this.#out.take(sample.length);
    const [u, g] = guidance ? [guidance.uncond, guidance.scale] : [velocity, 1];
    for (let j = 0; j < out.length; j++)
      out[j] = sample[j] + dt * Math.fround(u[j] + g * (velocity[j] - u[j]));
    return out;
  }
}

/** Shared by the two multistep solvers: converts v to x0 and keeps the last two x0's. */
abstract class MultistepSampler implements Sampler {
  abstract readonly kind: SamplerKind;
  readonly sigmas: Float64Array;
  readonly timesteps: Float64Array;
  /** The last two x0 predictions, newest last. */
  protected history: Float32Array[] = [];
  protected lowerOrderNums = 0;
  protected readonly out = new BufferRing(2);
  // x0 of this step and the two before it are read in one UniPC step (corrector, then predictor).
  #x0 = new BufferRing(3);
  #next = 0;

  constructor(sigmas: Float64Array, train: number) {
    this.sigmas = withFinalZero(sigmas);
    // Timesteps are int64: sigma * 1000 truncated, from the float64 sigmas (diffusers and Wan).
    this.timesteps = sigmas.map((s) => Math.trunc(s * train));
  }

  get steps(): number {
    return this.timesteps.length;
  }

  step(index: number, velocity: Float32Array, sample: Float32Array, guidance?: Guidance): Float32Array {
    // Multistep state belongs to one trajectory in order; a skipped or repeated step is a bug.
    if (index !== this.#next)
      throw new Error(`sampler step ${index} called out of order (expected ${this.#next})`);
    this.#next++;
    const [u, g] = guidance ? [guidance.uncond, guidance.scale] : [velocity, 1];
    return this.fuse(index, this.sigmas[index], velocity, u, g, sample, this.#x0.take(sample.length));
  }

  /** The step itself: x0 = sample - sigma * velocity into `x0`, then the solver's update. */
  protected fuse(
    index: number,
    sigma: number,
    velocity: Float32Array,
    u: Float32Array,
    g: number,
    sample: Float32Array,
    x0: Float32Array,
  ): Float32Array {
    for (let j = 0; j < x0.length; j++)
      x0[j] = sample[j] - sigma * Math.fround(u[j] + g * (velocity[j] - u[j]));
    return this.update(index, x0, sample);
  }

  protected push(x0: Float32Array): void {
    this.history.push(x0);
    if (this.history.length > 2) this.history.shift();
  }

  protected update(_index: number, _x0: Float32Array, _sample: Float32Array): Float32Array {
    throw new Error('a multistep sampler overrides fuse or update');
  }
}

class UniPCSampler extends MultistepSampler {
  readonly kind = 'unipc' as const;
  #lastSample: Float32Array | undefined;
  #lastOrder = 1;
  // The corrected sample is read again by the next step's corrector: two in turn.
  readonly #corrected = new BufferRing(2);

  constructor(steps: number, shift: number, train: number) {
    const sigmas = linspace(1, 1 / train, steps + 1)
      .subarray(0, steps)
      .map((s) => shifted(s, shift));
    // diffusers keeps sigma_0 off 1 (alpha 0 would make lambda infinite).
    if (Math.abs(sigmas[0] - 1) < 1e-6) sigmas[0] -= 1e-6;
    super(sigmas, train);
  }

  /**
   * One UniPC step: UniC-bh2 corrects the sample at sigma_i with the x0 just predicted there,
   * then UniP-bh2 predicts the sample at sigma_{i+1}. Both are linear in (last sample, x0's), so
   * the coefficients are worked out first and the arrays are walked once.
   */
  protected override fuse(
    i: number,
    sigma: number,
    velocity: Float32Array,
    u: Float32Array,
    g: number,
    sample: Float32Array,
    x0: Float32Array,
  ): Float32Array {
    const prev = this.history[this.history.length - 1]; // x0 of step i-1 (m0 of the corrector)
    const prev2 = this.history[this.history.length - 2]; // x0 of step i-2
    const last = this.#lastSample;
    const correct = i > 0 && last !== undefined;
    const c = correct ? this.#correctorCoefficients(i, this.#lastOrder) : { last: 0, m0: 0, m1: 0, x0: 0 };
    const order = Math.min(2, this.steps - i, this.lowerOrderNums + 1);
    const p = this.#predictorCoefficients(i, order);

    const n = sample.length;
    const corrected = correct ? this.#corrected.take(n) : sample;
    const out = this.out.take(n);
    const lastA = last ?? sample;
    const m0 = prev ?? sample;
    const m1 = prev2 ?? m0;
    // Coefficients in locals and one loop per case: V8 keeps the loop tight (~4x faster than
    // reading them from objects or branching per element).
    const [cl, c0, c1, cx] = [c.last, c.m0, c.m1, c.x0];
    const [px, p0, pm] = [p.x, p.x0, p.prev];
    if (correct) {
      for (let j = 0; j < n; j++) {
        const x0j = Math.fround(sample[j] - sigma * Math.fround(u[j] + g * (velocity[j] - u[j])));
        const m0j = m0[j];
        const xj = Math.fround(cl * lastA[j] + c0 * m0j + c1 * m1[j] + cx * x0j);
        x0[j] = x0j;
        corrected[j] = xj;
        out[j] = px * xj + p0 * x0j + pm * m0j;
      }
    } else {
      for (let j = 0; j < n; j++) {
        const x0j = Math.fround(sample[j] - sigma * Math.fround(u[j] + g * (velocity[j] - u[j])));
        x0[j] = x0j;
        out[j] = px * sample[j] + p0 * x0j + pm * m0[j];
      }
    }
    this.push(x0);
    this.#lastOrder = order;
    this.#lastSample = corrected;
    if (this.lowerOrderNums < 2) this.lowerOrderNums++;
    return out;
  }

  /** UniP-bh2 from sigma_i to sigma_{i+1}: out = x*xi + x0*(this x0) + prev*(previous x0). */
  #predictorCoefficients(i: number, order: number): { x: number; x0: number; prev: number } {
    const sT = this.sigmas[i + 1];
    const sS0 = this.sigmas[i];
    const alphaT = 1 - sT;
    const h = lambdaOf(sT) - lambdaOf(sS0);
    const hPhi1 = Math.expm1(-h);
    const bH = hPhi1; // bh2: B(h) = expm1(-h)
    const a = sT / sS0;
    const b = alphaT * hPhi1;
    if (order === 1) return { x: a, x0: -b, prev: 0 };
    // order 2: rhos_p = [0.5], D1 = (prev - x0) / rk
    const rk = (lambdaOf(this.sigmas[i - 1]) - lambdaOf(sS0)) / h;
    const c = (alphaT * bH * 0.5) / rk;
    return { x: a, x0: -b + c, prev: -c };
  }

  /** UniC-bh2 at sigma_i (from sigma_{i-1}): corrected = last*L + m0*M0 + m1*M1 + x0*X. */
  #correctorCoefficients(i: number, order: number): { last: number; m0: number; m1: number; x0: number } {
    const sT = this.sigmas[i];
    const sS0 = this.sigmas[i - 1];
    const alphaT = 1 - sT;
    const h = lambdaOf(sT) - lambdaOf(sS0);
    const hh = -h;
    const hPhi1 = Math.expm1(hh);
    const bH = hPhi1;
    const a = sT / sS0;
    const b = alphaT * hPhi1;
    if (order === 1) {
      // rhos_c = [0.5]: corrected = a*last - b*m0 - c*(x0 - m0)
      const c = alphaT * bH * 0.5;
      return { last: a, m0: -b + c, m1: 0, x0: -c };
    }
    const rk = (lambdaOf(this.sigmas[i - 2]) - lambdaOf(sS0)) / h;
    // rhos_c solves R rho = b with R = [[1, 1], [rk, 1]], b_k = h_phi_k * k! / B(h).
    let hPhiK = hPhi1 / hh - 1;
    const b1 = hPhiK / bH;
    hPhiK = hPhiK / hh - 1 / 2;
    const b2 = (hPhiK * 2) / bH;
    const rho0 = (b1 - b2) / (1 - rk);
    const rho1 = b1 - rho0;
    const cD = (alphaT * bH * rho0) / rk; // times (m1 - m0)
    const cT = alphaT * bH * rho1; // times (x0 - m0)
    return { last: a, m0: -b + cD + cT, m1: -cD, x0: -cT };
  }
}

class DpmSolverPPSampler extends MultistepSampler {
  readonly kind = 'dpmpp' as const;

  constructor(steps: number, shift: number, train: number) {
    super(shiftedSigmas(1, steps, shift), train);
  }

  protected override update(i: number, x0: Float32Array, sample: Float32Array): Float32Array {
    this.push(x0);
    const n = this.steps;
    // Final step (sigma -> 0) is first order; with < 15 steps the one before is second order at most.
    const lowerOrderFinal = i === n - 1;
    const sT = this.sigmas[i + 1];
    const sS0 = this.sigmas[i];
    const alphaT = 1 - sT;
    const h = lambdaOf(sT) - lambdaOf(sS0);
    const a = sT / sS0;
    const b = alphaT * (Math.exp(-h) - 1);
    const out = this.out.take(sample.length);
    const m0 = this.history[this.history.length - 1];
    if (this.lowerOrderNums < 1 || lowerOrderFinal) {
      for (let j = 0; j < out.length; j++) out[j] = a * sample[j] - b * m0[j];
    } else {
      const m1 = this.history[this.history.length - 2];
      const h0 = lambdaOf(sS0) - lambdaOf(this.sigmas[i - 1]);
      const r0 = h0 / h;
      // midpoint: x = a*x - b*D0 - 0.5*b*D1, D1 = (m0 - m1) / r0.
      const c = (0.5 * b) / r0;
      for (let j = 0; j < out.length; j++) out[j] = a * sample[j] - b * m0[j] - c * (m0[j] - m1[j]);
    }
    if (this.lowerOrderNums < 2) this.lowerOrderNums++;
    return out;
  }
}
