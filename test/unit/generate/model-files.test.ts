import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  classifyOrtError,
  deserializeError,
  ManifestMismatchError,
  NON_RETRYABLE_GENERATE_ERRORS,
  OutOfMemoryError,
  serializeError,
} from '../../../activities/generate/errors';
import { fromFloat16, toFloat16 } from '../../../activities/generate/float16';
import { checkGraph, loadManifest, modelFiles } from '../../../activities/generate/manifest';
import { PromptTokenizer } from '../../../activities/generate/tokenizer';

const DEMO = resolve(__dirname, '../../../models/demo');
const WAN_TINY = resolve(__dirname, '../../fixtures/wan-tiny/model');
let tmp: string;
beforeAll(() => (tmp = mkdtempSync(join(tmpdir(), 'reelcast-model-'))));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('manifest', () => {
  it('loads the demo manifest with the Wan shape rules', () => {
    const m = loadManifest(DEMO);
    expect(m).toMatchObject({ latentChannels: 16, vaeStride: [4, 16, 16], patch: [1, 2, 2], textTokens: 32 });
    expect(m.scheduler).toMatchObject({ kind: 'unipc', shift: 5, steps: 50, guidance: 5 });
    expect(Object.keys(modelFiles(m, 'fp16'))).toEqual([
      'tokenizer',
      'textEncoder',
      'denoiser',
      'vaeDecoder',
    ]);
  });

  it('lists every problem of a broken manifest, not just the first', () => {
    const dir = join(tmp, 'broken');
    cpSync(DEMO, dir, { recursive: true });
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify({ id: 'x', graphs: {}, scheduler: { kind: 'ddim' } }),
    );
    const err = (() => {
      try {
        loadManifest(dir);
      } catch (e) {
        return e as ManifestMismatchError;
      }
    })();
    expect(err).toBeInstanceOf(ManifestMismatchError);
    expect(err!.problems).toEqual(
      expect.arrayContaining([
        'graphs.denoiser: missing',
        expect.stringMatching(/^scheduler.kind: expected one of unipc, euler, dpmpp/),
        expect.stringMatching(/^latentChannels: expected a whole number/),
      ]),
    );
    writeFileSync(join(dir, 'manifest.json'), '{ not json');
    expect(() => loadManifest(dir)).toThrow(/not valid JSON/);
  });

  it('a VAE that decodes a step at a time must hand its whole cache on from each graph to the next', () => {
    const dir = join(tmp, 'step-cache');
    cpSync(WAN_TINY, dir, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(Object.keys(modelFiles(loadManifest(dir), 'fp32'))).toContain('vaeDecoderStep');
    delete manifest.graphs.vaeDecoder.outputs.next_cache_3;
    delete manifest.graphs.vaeDecoderStep.inputs.cache_0;
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    expect(() => loadManifest(dir)).toThrow(ManifestMismatchError);
    expect(() => loadManifest(dir)).toThrow(
      /graphs\.vaeDecoderStep\.inputs: cache_0 is missing[\s\S]*graphs\.vaeDecoder\.outputs: expected next_cache_0\.\.next_cache_23 for the step graph's cache inputs/,
    );
  });

  it('compares graph inputs and outputs: names, rank, fixed sizes, element types', () => {
    const spec = {
      files: {},
      inputs: { latents: [1, 16, 't', 'h', 'w'] },
      outputs: { noise_pred: ['b', 16, 't', 'h', 'w'] },
    };
    expect(
      checkGraph(
        'denoiser',
        spec,
        [{ name: 'latents', type: 'float32', shape: [1, 16, 't', 'h', 'w'] }],
        [{ name: 'noise_pred', type: 'float16', shape: ['b', 16, 't', 'h', 'w'] }],
      ),
    ).toEqual([]);
    const problems = checkGraph(
      'denoiser',
      spec,
      [
        { name: 'latents', type: 'bfloat16', shape: [1, 48, 't', 'h'] },
        { name: 'extra', type: 'float32', shape: [1] },
      ],
      [{ name: 'velocity', type: 'float32', shape: [1] }],
    );
    expect(problems).toEqual([
      "denoiser: input 'latents' is bfloat16; the pipeline handles float32 or float16",
      "denoiser: input 'latents' has rank 4 [1,48,t,h], manifest says [1,16,t,h,w]",
      "denoiser: graph has input 'extra' that the manifest does not declare",
      "denoiser: manifest names output 'noise_pred' but the graph's outputs are 'velocity'",
      "denoiser: graph has output 'velocity' that the manifest does not declare",
    ]);
  });
});

describe('tokenizer', () => {
  const tok = new PromptTokenizer(join(DEMO, 'tokenizer.json'), 32);

  it('pads to the encoder length with a zero mask and ends the prompt with </s>', () => {
    const e = tok.encode('a bright summer sale');
    expect(e.ids).toHaveLength(32);
    expect(e.mask.slice(0, e.length)).toEqual(Array(e.length).fill(1));
    expect(e.mask.slice(e.length)).toEqual(Array(32 - e.length).fill(0));
    expect(e.ids[e.length - 1]).toBe(1); // </s>
    expect(e.ids.slice(e.length)).toEqual(Array(32 - e.length).fill(0)); // <pad>
  });

  it('cuts a long prompt to the encoder length and keeps </s> last', () => {
    const e = tok.encode('summer sale '.repeat(40));
    expect(e.length).toBeGreaterThan(32);
    expect(e.ids).toHaveLength(32);
    expect(e.mask).toEqual(Array(32).fill(1));
    expect(e.ids[31]).toBe(1);
  });

  it('different prompts give different ids (the clip depends on the prompt)', () => {
    expect(tok.encode('snow falling').ids).not.toEqual(tok.encode('fireworks over the city').ids);
  });
});

describe('float16', () => {
  it('rounds to nearest even and keeps zero, infinities and NaN', () => {
    const values = Float32Array.from([
      0,
      -0,
      1,
      -2.5,
      65504,
      70000,
      -70000,
      1e-8,
      6.1e-5,
      0.1,
      1 / 3,
      Infinity,
      NaN,
    ]);
    const back = fromFloat16(toFloat16(values));
    expect([...back.slice(0, 5)]).toEqual([0, -0, 1, -2.5, 65504]);
    expect(back[5]).toBe(Infinity);
    expect(back[6]).toBe(-Infinity);
    expect(back[7]).toBe(0);
    expect(Math.abs(back[8] - 6.1e-5)).toBeLessThanOrEqual(2 ** -25); // subnormal: within half a step of 2^-24
    expect(back[9]).toBe(0.0999755859375); // the float16 nearest to 0.1
    expect(back[10]).toBe(0.333251953125);
    expect(back[11]).toBe(Infinity);
    expect(back[12]).toBeNaN();
    // ties go to even: 2049 lies halfway between float16 2048 and 2050
    expect(fromFloat16(toFloat16(Float32Array.from([2049, 2051])))).toEqual(Float32Array.from([2048, 2052]));
  });
});

describe('errors across the thread boundary and retry policy', () => {
  it('an onnxruntime allocation failure is OutOfMemoryError, retryable; other failures InferenceError', () => {
    const oom = classifyOrtError(
      'denoiser',
      new Error('[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : CUDA failure 2: out of memory'),
    );
    expect(oom).toBeInstanceOf(OutOfMemoryError);
    expect(oom.message).toMatch(/Lower frames\/width\/height/);
    expect(NON_RETRYABLE_GENERATE_ERRORS).not.toContain(oom.name);
    expect(classifyOrtError('denoiser', new Error('Got invalid dimensions')).name).toBe('InferenceError');
  });

  it('errors keep their class, name and fields when they come back from the worker thread', () => {
    const original = new ManifestMismatchError('/m/manifest.json', ['a', 'b']);
    const back = deserializeError(JSON.parse(JSON.stringify(serializeError(original))));
    expect(back).toBeInstanceOf(ManifestMismatchError);
    expect(back).toMatchObject({
      name: 'ManifestMismatchError',
      file: '/m/manifest.json',
      problems: ['a', 'b'],
      message: original.message,
    });
  });
});
