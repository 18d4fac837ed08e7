import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startWorker } from '../../../activities/generate/inference-thread';
import { loadManifest, type SamplerKind } from '../../../activities/generate/manifest';
import { gaussianNoise } from '../../../activities/generate/noise';
import { latentShape, type ResolvedRequest } from '../../../activities/generate/pipeline';
import { cleanPrompt } from '../../../activities/generate/tokenizer';

/**
 * Parity with diffusers' own WanPipeline. test/fixtures/wan-tiny holds a tiny Wan2.2-TI2V-shaped
 * checkpoint (models/export/build_tiny.py) exported by models/export/export.py, and what
 * WanPipeline produced from the same initial latents (models/export/reference.py): the text
 * embeddings, the latents after every step and the decoded frames. Reelcast's pipeline on the
 * exported graphs must match: the exporter's rewrites (RoPE, RMSNorm, per-token timestep, VAE
 * frame loop, mean/std folded in) and our samplers, prompt cleaning and guidance together.
 * The same holds for a brand style: `lora/` is that checkpoint exported with a tiny random LoRA
 * merged in (`model export --lora`), against WanPipeline running with the LoRA applied.
 * `fp16/` is the same checkpoint exported in fp16 (the VAE's cache then passes from call to call
 * in float16), against the same (float32) references.
 * `make test-export` rebuilds the fixture from scratch into WAN_TINY_DIR and runs this file on it.
 */

const ROOT_FIXTURE = resolve(process.env.WAN_TINY_DIR ?? join(__dirname, '../../fixtures/wan-tiny'));
const FIXTURES = [ROOT_FIXTURE, join(ROOT_FIXTURE, 'lora')];

interface Tensor {
  file: string;
  shape: number[];
}
interface Case {
  name: string;
  sampler: SamplerKind;
  guidance: number;
  timesteps: number[];
  latents: string[];
  frames: string;
}
interface Reference {
  prompt: string;
  negative: string;
  request: { seed: number; frames: number; height: number; width: number; steps: number; shift: number };
  cases: Case[];
  tensors: Record<string, Tensor>;
  /** The LoRA WanPipeline ran with (the `lora/` fixture). */
  lora?: { file: string; scale: number; layers: number };
}

interface Fixture {
  dir: string;
  ref: Reference;
  tensor(name: string): Float32Array;
}

function fixture(dir: string): Fixture {
  const ref = JSON.parse(readFileSync(join(dir, 'reference', 'reference.json'), 'utf8')) as Reference;
  const tensor = (name: string): Float32Array => {
    const buf = readFileSync(join(dir, 'reference', ref.tensors[name].file));
    return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  };
  return { dir, ref, tensor };
}

/** max |a - b| / max |b|: the error relative to the tensor's scale. */
function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

/** PSNR (dB) of our 8-bit planar G,B,R frames against diffusers' [F,H,W,3] floats in [0, 1]. */
function psnr(gbrp: Uint8Array, frames: Float32Array, [f, h, w]: number[]): number {
  const plane = h * w;
  const channelOfPlane = [1, 2, 0]; // gbrp plane p holds RGB channel channelOfPlane[p]
  let se = 0;
  for (let k = 0; k < f; k++)
    for (let p = 0; p < 3; p++)
      for (let i = 0; i < plane; i++) {
        const d = gbrp[(k * 3 + p) * plane + i] - frames[(k * plane + i) * 3 + channelOfPlane[p]] * 255;
        se += d * d;
      }
  return 10 * Math.log10((255 * 255) / (se / (f * 3 * plane)));
}

const figures: string[] = [];
afterAll(() => {
  if (figures.length) process.stdout.write(`wan parity (${ROOT_FIXTURE}):\n${figures.join('\n')}\n`);
});

interface Run {
  text: Float32Array;
  steps: Float32Array[];
  frames: Uint8Array[];
}

/** Reelcast's pipeline on the exported model, in a worker thread (wan-parity-run.ts). */
function run(dir: string, request: ResolvedRequest, precision: 'fp32' | 'fp16' = 'fp32'): Promise<Run> {
  const worker = startWorker(join(__dirname, 'wan-parity-run.ts'), {
    dir: join(dir, 'model'),
    request,
    precision,
  });
  return new Promise<Run>((resolve, reject) => {
    worker.once('message', (m: Run & { error?: string }) =>
      m.error ? reject(new Error(m.error)) : resolve(m),
    );
    worker.once('error', reject);
  }).finally(() => void worker.terminate());
}

function request(ref: Reference, c: Case): ResolvedRequest {
  const r = ref.request;
  return {
    prompt: ref.prompt,
    negative: ref.negative,
    seed: r.seed,
    frames: r.frames,
    width: r.width,
    height: r.height,
    steps: r.steps,
    guidance: c.guidance,
    sampler: c.sampler,
    shift: r.shift,
  };
}

describe.each(
  FIXTURES.map(
    (dir) => [dir.endsWith('lora') ? 'with a LoRA merged' : 'as published', fixture(dir)] as const,
  ),
)(
  'Reelcast pipeline on the exported tiny Wan2.2 (%s) matches diffusers WanPipeline',
  (label, { dir, ref, tensor }) => {
    it('starts from the same initial latents for the seed', () => {
      const noise = tensor('noise');
      expect(relError(gaussianNoise(ref.request.seed, noise.length), noise)).toBeLessThan(1e-6);
    });

    it('cleans prompts as WanPipeline does (HTML entities twice, whitespace)', () => {
      expect(cleanPrompt(ref.prompt)).toBe('a dog running on the beach at sunset & waves, golden hour');
      expect(cleanPrompt('&lt;b&gt;\tsale&nbsp;&#33;')).toBe('<b> sale\u00a0!'.replace(/\s+/g, ' '));
    });

    it.each(ref.cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      const { text, steps, frames: planes } = await run(dir, request(ref, c));

      const prompt = tensor('text.prompt');
      const errors = [relError(text.subarray(0, prompt.length), prompt)];
      if (c.guidance > 1) errors.push(relError(text.subarray(prompt.length), tensor('text.negative')));
      else expect(text.length).toBe(prompt.length); // no guidance: the negative prompt is not encoded
      for (const e of errors) expect(e).toBeLessThan(1e-4);

      expect(steps).toHaveLength(c.latents.length);
      const perStep = c.latents.map((name, i) => relError(steps[i], tensor(name)));
      for (const e of perStep) expect(e).toBeLessThan(1e-4);

      const frames = ref.tensors[c.frames].shape;
      const video = new Uint8Array(planes.reduce((n, p) => n + p.length, 0));
      planes.reduce((at, p) => (video.set(p, at), at + p.length), 0);
      const db = psnr(video, tensor(c.frames), frames);
      expect(db).toBeGreaterThanOrEqual(45);

      figures.push(
        `  ${label.padEnd(18)} ${c.name.padEnd(9)} text ${errors.map((e) => e.toExponential(1)).join('/')}, ` +
          `latents per step ${perStep.map((e) => e.toExponential(1)).join(' ')}, frames ${db.toFixed(1)} dB`,
      );
    });

    if (ref.lora) {
      it('is a style of its own: the manifest records the LoRA, and the clips differ from the base model', () => {
        const manifest = JSON.parse(readFileSync(join(dir, 'model', 'manifest.json'), 'utf8')) as {
          lora?: { file: string; scale: number; layers: number; sha256: string };
        };
        expect(manifest.lora).toMatchObject(ref.lora!);
        expect(manifest.lora!.sha256).toMatch(/^[0-9a-f]{64}$/);
        // Far beyond the 1e-4 tolerance: matching diffusers here means the LoRA is really in the graph.
        const base = fixture(ROOT_FIXTURE);
        for (const c of ref.cases) {
          const last = c.latents[c.latents.length - 1];
          expect(relError(tensor(last), base.tensor(last))).toBeGreaterThan(0.05);
        }
      });
    }

    it('decodes a clip of any length a latent frame at a time, streaming the frames as they come', async () => {
      const manifest = loadManifest(join(dir, 'model'));
      const { width, height } = ref.request;
      expect(latentShape(manifest, { frames: 17, width, height }).t).toBe(5);
      const c = ref.cases[0];
      // 14 frames: 4 latent frames make 13, a fifth makes 17, and the last 3 are dropped.
      const out = await run(dir, { ...request(ref, c), frames: 14, steps: 2 });
      const plane = width * height;
      expect(out.frames.map((f) => f.length / (3 * plane))).toEqual([1, 4, 4, 4, 1]);
    });
  },
);

describe('the fp16 export of the tiny Wan2.2 (graphs and the VAE cache in float16)', () => {
  const { ref, tensor } = fixture(ROOT_FIXTURE);
  it.each(ref.cases.map((c) => [c.name, c] as const))(
    '%s: the clip diffusers makes, to fp16 precision',
    async (_name, c) => {
      const { frames: planes } = await run(join(ROOT_FIXTURE, 'fp16'), request(ref, c), 'fp16');
      const video = new Uint8Array(planes.reduce((n, p) => n + p.length, 0));
      planes.reduce((at, p) => (video.set(p, at), at + p.length), 0);
      const db = psnr(video, tensor(c.frames), ref.tensors[c.frames].shape);
      figures.push(`  fp16 export        ${c.name.padEnd(9)} frames ${db.toFixed(1)} dB`);
      expect(db).toBeGreaterThanOrEqual(45);
    },
  );
});
