import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../../config';
import { InferenceThread, sharedInferenceThread } from '../../../activities/generate';
import type { ModelOptions } from '../../../activities/generate/model';
import { loadGpuModel } from '../../../worker/worker';

/**
 * A GPU worker loads its model at start-up (a broken directory fails there, with the model
 * check's error) and keeps the worker.gpuLoadedModels most recently used model directories
 * loaded, so campaigns with their own style model alternate without reloading.
 */

const ROOT = resolve(__dirname, '../../..');
const TINY = join(ROOT, 'test/fixtures/wan-tiny/model');
let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'reelcast-models-'));
});
afterAll(async () => {
  await sharedInferenceThread().close();
  rmSync(tmp, { recursive: true, force: true });
});

function copyModel(name: string): string {
  const dir = join(tmp, name);
  cpSync(TINY, dir, { recursive: true });
  return dir;
}

function workerConfig(dir: string, env: Record<string, string> = {}) {
  return loadConfig({
    cwd: ROOT,
    env: {
      REELCAST_DATA_DIR: join(tmp, 'data'),
      REELCAST_MODEL_DIR: dir,
      REELCAST_MODEL_THREADS: '1',
      ...env,
    },
  });
}

describe('GPU worker start-up', () => {
  afterEach(() => sharedInferenceThread().close());

  it('loads a sound model directory', async () => {
    await expect(loadGpuModel(workerConfig(copyModel('sound')))).resolves.toBeUndefined();
  });

  it('fails at start-up, naming the missing graph, when a model file is gone', async () => {
    const dir = copyModel('no-transformer');
    rmSync(join(dir, 'transformer.onnx'));
    await expect(loadGpuModel(workerConfig(dir))).rejects.toThrow(
      new RegExp(`the GPU worker cannot load its model ${dir}: .*not found: .*transformer\\.onnx`),
    );
  });

  it('fails at start-up when a graph does not have the inputs its manifest declares', async () => {
    const dir = copyModel('wrong-inputs');
    const manifestFile = join(dir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
      graphs: { denoiser: { inputs: Record<string, unknown> } };
    };
    const { latents, ...rest } = manifest.graphs.denoiser.inputs;
    manifest.graphs.denoiser.inputs = { noisy_latents: latents, ...rest };
    writeFileSync(manifestFile, JSON.stringify(manifest));
    await expect(loadGpuModel(workerConfig(dir))).rejects.toThrow(
      /cannot load its model .*does not match the model contract[\s\S]*noisy_latents/,
    );
  });
});

describe('GPU worker start-up on a machine too small for its model', () => {
  afterEach(() => sharedInferenceThread().close());

  it('refuses to start, naming the model, what it needs and what to do', async () => {
    const dir = copyModel('too-big');
    // REELCAST_MODEL_MEMORY_LIMIT_MB=1 makes this a 1 MB machine; the tiny model's graphs are 1.3 MB.
    await expect(loadGpuModel(workerConfig(dir, { REELCAST_MODEL_MEMORY_LIMIT_MB: '1' }))).rejects.toThrow(
      new RegExp(
        `^the GPU worker cannot load its model ${dir}: not enough memory for the model ${dir}: ` +
          'its fp32 graphs and weights need at least 1\\.\\d MB .*allows 1\\.0 MB\\. To make it fit: .*' +
          'keep fewer models loaded at once \\(setting worker\\.gpuLoadedModels, now 2\\)',
      ),
    );
    await expect(
      loadGpuModel(workerConfig(dir, { REELCAST_MODEL_MEMORY_LIMIT_MB: '2' })),
    ).resolves.toBeUndefined();
  });
});

describe('loaded model directories', () => {
  const inference = new InferenceThread({ loadedModels: 2 });
  afterAll(() => inference.close());
  const options = (dir: string): ModelOptions => ({
    dir,
    precision: 'fp32',
    threads: 1,
    provider: { kind: 'cpu', deviceId: 0 },
  });

  it('keeps the most recently used two; the least recently used is closed first', async () => {
    const [a, b, c] = ['style-a', 'style-b', 'style-c'].map(copyModel);
    expect((await inference.load(options(a))).loaded).toEqual([a]);
    expect((await inference.load(options(b))).loaded).toEqual([a, b]);
    // Alternating between two campaigns: both stay loaded, nothing is reopened (their files
    // are out of reach meanwhile, so reopening one would fail).
    for (const dir of [a, b]) renameSync(dir, `${dir}.away`);
    expect((await inference.load(options(a))).loaded).toEqual([b, a]);
    expect((await inference.load(options(b))).loaded).toEqual([a, b]);
    for (const dir of [a, b]) renameSync(`${dir}.away`, dir);
    // A third style closes the one used longest ago (a), not the one just used (b).
    expect((await inference.load(options(c))).loaded).toEqual([b, c]);
    expect((await inference.load(options(a))).loaded).toEqual([c, a]);
  });
});

describe('loaded model directories within model.memoryLimitMb', () => {
  // 2 MB holds one tiny model (1.3 MB) but not two.
  const options = (dir: string): ModelOptions => ({
    dir,
    precision: 'fp32',
    threads: 1,
    provider: { kind: 'cpu', deviceId: 0 },
    memoryLimitMb: 2,
  });

  it('counts the other loaded models against the budget, and says to keep fewer loaded', async () => {
    const [a, b] = ['budget-a', 'budget-b'].map(copyModel);
    const two = new InferenceThread({ loadedModels: 2 });
    try {
      await two.load(options(a));
      await expect(two.load(options(b))).rejects.toThrow(
        new RegExp(
          `^not enough memory for the model ${b}: .*allows 2\\.0 MB, of which 1 other loaded model\\(s\\) hold 1\\.\\d MB\\. ` +
            '.*keep fewer models loaded at once \\(setting worker\\.gpuLoadedModels, now 2\\)',
        ),
      );
    } finally {
      await two.close();
    }
    // With worker.gpuLoadedModels 1 the first is closed before the second loads: both fit in turn.
    const one = new InferenceThread({ loadedModels: 1 });
    try {
      expect((await one.load(options(a))).loaded).toEqual([a]);
      expect((await one.load(options(b))).loaded).toEqual([b]);
    } finally {
      await one.close();
    }
  });
});
