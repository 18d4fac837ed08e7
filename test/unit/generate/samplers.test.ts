import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gaussianNoise } from '../../../activities/generate/noise';
import { createSampler, linspace } from '../../../activities/generate/samplers';
import type { SamplerKind } from '../../../activities/generate/manifest';

interface Case {
  kind: SamplerKind;
  steps: number;
  shift: number;
  noiseSeed: number;
  size: number;
  sigmas: number[];
  timesteps: number[];
  trajectory: number[][];
}

// Reference trajectories from an independent numpy implementation (fixtures/make_fixtures.py).
const { cases } = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'samplers.json'), 'utf8')) as {
  cases: Case[];
};

/** The same toy velocity field as make_fixtures.py: depends on the sample and the timestep. */
function toyVelocity(x: Float32Array, t: number): Float32Array {
  const v = new Float32Array(x.length);
  for (let j = 0; j < x.length; j++) v[j] = 0.9 * x[j] - 0.5 * Math.sin((3 * t) / 1000 + 0.1 * j);
  return v;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe('samplers match the numpy reference', () => {
  it.each(cases.map((c) => [c.kind, c.steps, c.shift, c] as const))(
    '%s, %i steps, shift %d',
    (_k, _s, _sh, c) => {
      const sampler = createSampler(c.kind, { steps: c.steps, shift: c.shift });
      expect(maxAbsDiff(sampler.sigmas, c.sigmas)).toBeLessThanOrEqual(1e-7);
      expect([...sampler.timesteps]).toEqual(
        c.timesteps.map((t) => (c.kind === 'euler' ? expect.closeTo(t, 4) : t)),
      );
      let x: Float32Array = gaussianNoise(c.noiseSeed, c.size);
      c.trajectory.forEach((expected, i) => {
        x = sampler.step(i, toyVelocity(x, sampler.timesteps[i]), x);
        expect(maxAbsDiff(x, expected)).toBeLessThanOrEqual(1e-5);
      });
    },
  );
});

describe('sampler behaviour', () => {
  it('ends at sigma 0 and starts near pure noise with the shift pushing sigmas up', () => {
    for (const kind of ['unipc', 'dpmpp', 'euler'] as const) {
      const s = createSampler(kind, { steps: 10, shift: 5 });
      expect(s.sigmas[s.sigmas.length - 1]).toBe(0);
      expect(s.sigmas[0]).toBeGreaterThan(0.99);
      for (let i = 1; i < s.sigmas.length; i++) expect(s.sigmas[i]).toBeLessThan(s.sigmas[i - 1]);
      // shift 5 keeps more steps at high noise than shift 1
      const flat = createSampler(kind, { steps: 10, shift: 1 });
      expect(s.sigmas[5]).toBeGreaterThan(flat.sigmas[5]);
    }
  });

  it('a perfect velocity field recovers the data in one Euler/DPM++ step and with UniPC', () => {
    // For x_t = (1 - s) x0 + s n, the exact flow is v = n - x0; every solver lands on x0.
    const x0 = Float32Array.from([0.25, -0.5, 1, 0]);
    const noise = Float32Array.from([1, 2, -1, 0.5]);
    for (const kind of ['euler', 'dpmpp', 'unipc'] as const) {
      const s = createSampler(kind, { steps: 8, shift: 5 });
      let x: Float32Array = new Float32Array(4).map(
        (_, j) => (1 - s.sigmas[0]) * x0[j] + s.sigmas[0] * noise[j],
      );
      for (let i = 0; i < 8; i++)
        x = s.step(
          i,
          new Float32Array(4).map((_, j) => noise[j] - x0[j]),
          x,
        );
      expect(maxAbsDiff(x, x0)).toBeLessThan(1e-5);
    }
  });

  it('multistep samplers refuse steps out of order (a retry must start a fresh sampler)', () => {
    const s = createSampler('unipc', { steps: 4, shift: 5 });
    const x = new Float32Array(2);
    s.step(0, x, x);
    expect(() => s.step(0, x, x)).toThrow(/out of order/);
  });

  it('rejects nonsense steps and shift', () => {
    expect(() => createSampler('euler', { steps: 0, shift: 5 })).toThrow(RangeError);
    expect(() => createSampler('euler', { steps: 4, shift: 0 })).toThrow(RangeError);
  });

  it('linspace matches numpy semantics (exact end point)', () => {
    expect([...linspace(0, 1, 5)]).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(linspace(0.999, 0, 4)[3]).toBe(0);
  });
});

describe('guidance folded into the step', () => {
  it.each(['unipc', 'dpmpp', 'euler'] as const)(
    '%s: same as stepping with uncond + g*(cond - uncond)',
    (kind) => {
      const folded = createSampler(kind, { steps: 6, shift: 5 });
      const separate = createSampler(kind, { steps: 6, shift: 5 });
      let a: Float32Array = gaussianNoise(3, 64);
      let b: Float32Array = a.slice();
      for (let i = 0; i < 6; i++) {
        const cond = toyVelocity(a, folded.timesteps[i]);
        const uncond = cond.map((v, j) => v * 0.5 + Math.cos(j));
        const guided = new Float32Array(64).map((_, j) => uncond[j] + 4 * (cond[j] - uncond[j]));
        a = folded.step(i, cond, a, { uncond, scale: 4 });
        b = separate.step(i, guided, b);
        expect(maxAbsDiff(a, b)).toBeLessThanOrEqual(1e-6);
      }
      expect(maxAbsDiff(a, gaussianNoise(3, 64))).toBeGreaterThan(0.1); // it did move
    },
  );
});
