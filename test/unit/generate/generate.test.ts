import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { loadConfig, type ReelcastConfig } from '../../../config';
import { FsStorage } from '../../../activities/storage';
import {
  createGenerateActivities,
  generateMaster,
  InferenceThread,
  NON_RETRYABLE_GENERATE_ERRORS,
  type GenerateRequest,
  type Progress,
} from '../../../activities/generate';

const ROOT = resolve(__dirname, '../../..');
const DEMO = join(ROOT, 'models/demo');
const FFMPEG = process.env.FFMPEG_PATH ?? 'ffmpeg';
const FFPROBE = process.env.FFPROBE_PATH ?? 'ffprobe';
const small: GenerateRequest = {
  prompt: 'a bright summer sale banner',
  negative: 'blurry',
  seed: 1,
  frames: 9,
  width: 128,
  height: 96,
  steps: 4,
};

let tmp: string;
const inference = new InferenceThread();

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'reelcast-gen-'));
});
afterAll(async () => {
  await inference.close();
  rmSync(tmp, { recursive: true, force: true });
});

let n = 0;
/** A fresh data dir (own storage) with the demo model, one onnxruntime thread, real ffmpeg. */
function setup(env: Record<string, string> = {}): { storage: FsStorage; config: ReelcastConfig } {
  const dataDir = join(tmp, `data-${++n}`);
  const config = loadConfig({
    cwd: ROOT,
    env: {
      REELCAST_DATA_DIR: dataDir,
      REELCAST_MODEL_DIR: DEMO,
      REELCAST_MODEL_THREADS: '1',
      FFMPEG_PATH: FFMPEG,
      ...env,
    },
  });
  return { storage: new FsStorage(join(dataDir, 'storage')), config };
}

/** The frames of a stored master as a player sees them (ffmpeg decodes it back to RGB). */
function decodedFrames(storage: FsStorage, key: string): Buffer {
  return execFileSync(
    FFMPEG,
    ['-v', 'error', '-i', join(storage.root, key), '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
    {
      maxBuffer: 1 << 28,
    },
  );
}

async function storedMasters(storage: FsStorage): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of storage.list('masters/')) keys.push(o.key);
  return keys;
}

/** A copy of the demo model directory with its manifest edited. */
interface EditableManifest {
  latentChannels: number;
  vaeDecode: { chunkLatentFrames: number; contextLatentFrames: number };
  graphs: Record<string, { inputs: Record<string, Array<number | string>> }>;
}

function modelCopy(edit: (manifest: EditableManifest) => void): string {
  const dir = join(tmp, `model-${++n}`);
  cpSync(DEMO, dir, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as EditableManifest;
  edit(manifest);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

describe('generating a master clip', () => {
  it('writes a lossless H.264 4:4:4 Matroska master at the model fps, with heartbeats of increasing step', async () => {
    const { storage, config } = setup();
    const progress: Progress[] = [];
    const r = await generateMaster(small, {
      storage,
      config,
      inference,
      onProgress: (p) => progress.push(p),
    });
    expect(r).toMatchObject({
      cached: false,
      provider: 'cpu',
      frames: 9,
      width: 128,
      height: 96,
      fps: 8,
      seconds: 9 / 8,
    });
    expect(r.key).toMatch(/^masters\/[0-9a-f]{64}\.mkv$/);
    const probe = JSON.parse(
      execFileSync(FFPROBE, [
        '-v',
        'error',
        '-show_streams',
        '-of',
        'json',
        join(storage.root, r.key),
      ]).toString(),
    ) as { streams: Array<Record<string, unknown>> };
    expect(probe.streams).toHaveLength(1); // no audio
    expect(probe.streams[0]).toMatchObject({
      codec_name: 'h264',
      profile: 'High 4:4:4 Intra', // every frame a keyframe: the content gate seeks cheaply
      pix_fmt: 'yuv444p', // no chroma subsampling
      color_space: 'bt709',
      width: 128,
      height: 96,
      r_frame_rate: '8/1',
    });
    expect(decodedFrames(storage, r.key).length).toBe(9 * 128 * 96 * 3);
    expect((await storage.head(r.key))?.metadata).toMatchObject({
      provider: 'cpu',
      frames: '9',
      'model-id': 'reelcast-demo-tiny-ti2v-v1',
    });
    const steps = progress.filter((p) => p.phase === 'denoise');
    expect(steps.map((p) => p.step)).toEqual([1, 2, 3, 4]);
    expect(steps.every((p) => p.of === 4 && p.etaSeconds >= 0)).toBe(true);
    expect(progress[progress.length - 1]).toMatchObject({ phase: 'decode' });
  });

  it('the same seed gives byte-identical frames twice; another seed gives different frames', async () => {
    const a = setup();
    const b = setup();
    const first = await generateMaster(small, { ...a, inference });
    const again = await generateMaster(small, { ...b, inference });
    const other = await generateMaster({ ...small, seed: 2 }, { ...b, inference });
    expect(again.cached).toBe(false);
    expect(decodedFrames(b.storage, again.key).equals(decodedFrames(a.storage, first.key))).toBe(true);
    expect(
      readFileSync(join(b.storage.root, again.key)).equals(readFileSync(join(a.storage.root, first.key))),
    ).toBe(true);
    expect(other.key).not.toBe(first.key);
    expect(decodedFrames(b.storage, other.key).equals(decodedFrames(a.storage, first.key))).toBe(false);
  });

  it('a clip already in storage is a cache hit: no inference runs', async () => {
    const { storage, config } = setup();
    const made = await generateMaster(small, { storage, config, inference });
    const refusing = {
      run: () => Promise.reject(new Error('inference must not run on a cache hit')),
    } as unknown as InferenceThread;
    const progress: Progress[] = [];
    const hit = await generateMaster(small, {
      storage,
      config,
      inference: refusing,
      onProgress: (p) => progress.push(p),
    });
    expect(hit).toMatchObject({
      key: made.key,
      cached: true,
      provider: 'cpu',
      frames: 9,
      fps: 8,
      framesSha256: made.framesSha256,
    });
    expect(progress).toEqual([]);
    // Any parameter that changes the frames changes the key, so it is generated, not found.
    await expect(
      generateMaster({ ...small, steps: 5 }, { storage, config, inference: refusing }),
    ).rejects.toThrow(/must not run/);
  });

  it('the same clip asked for twice at once is generated once', async () => {
    const { storage, config } = setup();
    const steps: number[] = [];
    const [a, b] = await Promise.all([
      generateMaster(small, {
        storage,
        config,
        inference,
        onProgress: (p) => p.phase === 'denoise' && steps.push(p.step),
      }),
      generateMaster(small, {
        storage,
        config,
        inference,
        onProgress: (p) => p.phase === 'denoise' && steps.push(p.step),
      }),
    ]);
    expect(a.key).toBe(b.key);
    expect([a.cached, b.cached].sort()).toEqual([false, true]);
    expect(steps).toEqual([1, 2, 3, 4]);
  });

  it('a caller waiting on the same clip can still cancel its own wait', async () => {
    const { storage, config } = setup();
    const abort = new AbortController();
    const first = generateMaster({ ...small, steps: 8 }, { storage, config, inference });
    const second = generateMaster(
      { ...small, steps: 8 },
      { storage, config, inference, signal: abort.signal },
    );
    abort.abort();
    await expect(second).rejects.toMatchObject({ name: 'GenerationCancelledError' });
    await expect(first).resolves.toMatchObject({ cached: false });
  });

  it('cancellation stops within one step, stores nothing, and the next run starts clean', async () => {
    const { storage, config } = setup();
    const abort = new AbortController();
    const seen: number[] = [];
    const request = { ...small, steps: 12 };
    const cancelled = generateMaster(request, {
      storage,
      config,
      inference,
      signal: abort.signal,
      onProgress: (p) => {
        if (p.phase !== 'denoise') return;
        seen.push(p.step);
        if (p.step === 3) abort.abort();
      },
    });
    await expect(cancelled).rejects.toMatchObject({ name: 'GenerationCancelledError' });
    // The step that was running when the cancel landed is the last one.
    expect(Math.max(...seen)).toBeLessThanOrEqual(4);
    expect(((await cancelled.catch((e: unknown) => e)) as { atStep: number }).atStep).toBeLessThanOrEqual(4);
    expect(await storedMasters(storage)).toEqual([]);
    // The retry on the same thread gives exactly the clip an uninterrupted run gives.
    const retry = await generateMaster(request, { storage, config, inference });
    const fresh = new InferenceThread();
    const clean = await generateMaster(request, { ...setup(), inference: fresh }).finally(() =>
      fresh.close(),
    );
    expect(retry.framesSha256).toBe(clean.framesSha256);
  });

  it('a failed run (ffmpeg dies) is a clear error, leaves nothing stored, and the retry starts clean', async () => {
    const broken = setup({ FFMPEG_PATH: '/bin/false' });
    const err = await generateMaster(small, { ...broken, inference }).catch((e: Error) => e);
    expect(err).toMatchObject({ name: 'MasterEncodeError' });
    expect(NON_RETRYABLE_GENERATE_ERRORS).not.toContain('MasterEncodeError');
    expect(await storedMasters(broken.storage)).toEqual([]);
    // Same thread object: its worker was discarded, the retry loads fresh sessions.
    const retry = await generateMaster(small, { ...setup(), inference });
    const clean = await generateMaster(small, { ...setup(), inference });
    expect(retry.framesSha256).toBe(clean.framesSha256);
  });

  it('decoding in streamed windows gives the same frames as decoding the whole clip at once', async () => {
    const whole = modelCopy((m) => (m.vaeDecode = { chunkLatentFrames: 0, contextLatentFrames: 0 }));
    const request = { ...small, frames: 21 }; // 6 latent frames: 3 windows of 2
    const streamed = await generateMaster(request, { ...setup(), inference });
    const oneShot = await generateMaster(request, { ...setup({ REELCAST_MODEL_DIR: whole }), inference });
    expect(streamed.frames).toBe(21);
    expect(oneShot.framesSha256).toBe(streamed.framesSha256);
  });

  it('runs the fp16 graphs (float16 tensors in and out) close to fp32, under its own key', async () => {
    const fp32 = setup();
    const fp16 = setup({ REELCAST_MODEL_PRECISION: 'fp16' });
    const a = await generateMaster(small, { ...fp32, inference });
    const b = await generateMaster(small, { ...fp16, inference });
    expect(b.key).not.toBe(a.key);
    const fa = decodedFrames(fp32.storage, a.key);
    const fb = decodedFrames(fp16.storage, b.key);
    let diff = 0;
    for (let i = 0; i < fa.length; i++) diff += Math.abs(fa[i] - fb[i]);
    expect(diff / fa.length).toBeLessThan(4); // mean |Δ| under 4 of 255 levels
    expect(diff).toBeGreaterThan(0);
  });

  it('a GPU provider that is not installed falls back to CPU with a warning, and the clip records it', async () => {
    const warnings: string[] = [];
    const thread = new InferenceThread();
    try {
      const r = await generateMaster(small, {
        ...setup({ REELCAST_EXECUTION_PROVIDER: 'cuda' }),
        inference: thread,
        onWarning: (w) => warnings.push(w),
      });
      if (r.provider === 'cpu') expect(warnings.join('\n')).toMatch(/cuda.*running on CPU/s);
      else expect(r.provider).toBe('cuda'); // a machine with CUDA installed
    } finally {
      await thread.close();
    }
  });
});

describe('errors a person can act on', () => {
  it('a manifest that names an input the graph lacks fails before any step, naming both', async () => {
    const dir = modelCopy((m) => {
      m.graphs.denoiser.inputs.latent_video = m.graphs.denoiser.inputs.latents;
      delete m.graphs.denoiser.inputs.latents;
    });
    const err = await generateMaster(small, { ...setup({ REELCAST_MODEL_DIR: dir }), inference }).catch(
      (e: Error) => e,
    );
    expect(err).toMatchObject({ name: 'ManifestMismatchError' });
    expect((err as Error).message).toMatch(/contract needs 'latents'/);
  });

  it('a shape the graph does not have (latent channels) is reported with the axis', async () => {
    const dir = modelCopy((m) => {
      m.latentChannels = 48;
      m.graphs.denoiser.inputs.latents[1] = 48;
    });
    const err = await generateMaster(small, { ...setup({ REELCAST_MODEL_DIR: dir }), inference }).catch(
      (e: Error) => e,
    );
    expect(err).toMatchObject({ name: 'ManifestMismatchError' });
    expect((err as Error).message).toMatch(/denoiser: input 'latents' axis 1 is 16, manifest says 48/);
  });

  it('a missing graph file names the file', async () => {
    const dir = modelCopy(() => undefined);
    rmSync(join(dir, 'vae_decoder.onnx'));
    const err = await generateMaster(small, { ...setup({ REELCAST_MODEL_DIR: dir }), inference }).catch(
      (e: Error) => e,
    );
    expect(err).toMatchObject({ name: 'ModelFileMissingError' });
    expect((err as Error).message).toContain(join(dir, 'vae_decoder.onnx'));
  });

  it('a missing model directory, external-data file or bad size is a clear error too', async () => {
    const gone = await generateMaster(small, {
      ...setup({ REELCAST_MODEL_DIR: join(tmp, 'nope') }),
      inference,
    }).catch((e: Error) => e);
    expect(gone).toMatchObject({ name: 'ModelFileMissingError' });
    const dir = modelCopy(() => undefined);
    rmSync(join(dir, 'text_encoder.onnx.data'));
    const noData = await generateMaster(small, { ...setup({ REELCAST_MODEL_DIR: dir }), inference }).catch(
      (e: Error) => e,
    );
    expect(noData).toMatchObject({ name: 'ModelFileMissingError' });
    expect((noData as Error).message).toContain(join(dir, 'text_encoder.onnx.data'));
    const size = await generateMaster({ ...small, width: 100 }, { ...setup(), inference }).catch(
      (e: Error) => e,
    );
    expect(size).toMatchObject({ name: 'GenerateRequestError', field: 'width' });
    expect((size as Error).message).toMatch(/multiple of 32/);
  });

  it('model and request problems are non-retryable; out of memory and cancellation are not in that list', () => {
    expect([...NON_RETRYABLE_GENERATE_ERRORS].sort()).toEqual(
      [
        'GenerateRequestError',
        'ManifestMismatchError',
        'ModelFileMissingError',
        'UnsupportedProviderError',
      ].sort(),
    );
    expect(NON_RETRYABLE_GENERATE_ERRORS).not.toContain('OutOfMemoryError');
  });
});

describe('the generate activity', () => {
  it('heartbeats {step, of, etaSeconds} with increasing step and returns the key', async () => {
    const env = new MockActivityEnvironment();
    const beats: Array<{ step: number; of: number; etaSeconds: number; phase: string }> = [];
    env.on('heartbeat', (d) => beats.push(d));
    const { generateClip } = createGenerateActivities({ ...setup(), inference });
    const r = await env.run(generateClip, small);
    expect(r).toMatchObject({ cached: false, frames: 9 });
    expect(r).not.toHaveProperty('timing');
    const steps = beats.filter((b) => b.phase === 'denoise').map((b) => b.step);
    expect(steps).toEqual([1, 2, 3, 4]);
    expect(beats.every((b) => typeof b.etaSeconds === 'number' && b.of > 0)).toBe(true);
  });

  it('stops within one step when Temporal cancels the activity', async () => {
    const env = new MockActivityEnvironment();
    const steps: number[] = [];
    env.on('heartbeat', (d: { step: number; phase: string }) => {
      if (d.phase !== 'denoise') return;
      steps.push(d.step);
      if (d.step === 2) env.cancel();
    });
    const { generateClip } = createGenerateActivities({ ...setup(), inference });
    // It ends with the SDK's CancelledFailure: Temporal records a cancellation, not a failure to retry.
    await expect(env.run(generateClip, { ...small, steps: 12 })).rejects.toBeInstanceOf(CancelledFailure);
    // Temporal delivers the cancel asynchronously: the step running when it lands is the last.
    expect(Math.max(...steps)).toBeLessThanOrEqual(3);
  });
});
