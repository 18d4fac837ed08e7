import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../../config';
import { FsStorage } from '../../../activities/storage';
import { generateMaster, InferenceThread, type GenerateRequest } from '../../../activities/generate';

/**
 * A campaign's `video.model` (a brand style) reaches the GPU worker in the request: the clip is
 * made with that model directory, found next to model.dir, and its content hash covers the
 * model, so a style never gets the base model's cached clip (nor another LoRA scale's).
 */

const ROOT = resolve(__dirname, '../../..');
const DEMO = join(ROOT, 'models/demo');
const request: GenerateRequest = {
  prompt: 'a paper lantern at dusk',
  seed: 3,
  frames: 5,
  width: 64,
  height: 64,
  steps: 2,
};

let tmp: string;
const inference = new InferenceThread();
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'reelcast-styles-'));
  cpSync(DEMO, join(tmp, 'models', 'base'), { recursive: true });
  cpSync(DEMO, join(tmp, 'models', 'copy-of-base'), { recursive: true });
  // What `reelcast model export --lora` records: same graphs' shapes, its own manifest.
  for (const [name, scale] of [
    ['ink-wash', 1],
    ['ink-wash-half', 0.5],
  ] as const) {
    const dir = join(tmp, 'models', name);
    cpSync(DEMO, dir, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    manifest.lora = { file: 'ink-wash.safetensors', sha256: 'ab'.repeat(32), scale };
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  }
});
afterAll(async () => {
  await inference.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('each style model gets its own master; the same model in another folder finds the clip', async () => {
  const config = loadConfig({
    cwd: ROOT,
    env: {
      REELCAST_DATA_DIR: join(tmp, 'data'),
      REELCAST_MODEL_DIR: join(tmp, 'models', 'base'),
      REELCAST_MODEL_THREADS: '1',
    },
  });
  const storage = new FsStorage(join(tmp, 'data', 'storage'));
  const make = (model?: string) => generateMaster({ ...request, model }, { storage, config, inference });

  const base = await make();
  const style = await make('ink-wash');
  const half = await make('ink-wash-half');
  expect([base.cached, style.cached, half.cached]).toEqual([false, false, false]);
  expect(new Set([base.key, style.key, half.key]).size).toBe(3);

  // Nothing in the model changed but its folder: same clip, no GPU time.
  const copy = await make(join(tmp, 'models', 'copy-of-base'));
  expect(copy).toMatchObject({ cached: true, key: base.key });
  expect(await make('ink-wash')).toMatchObject({ cached: true, key: style.key });
});

test('a style directory that does not exist fails with the directory it looked for', async () => {
  const config = loadConfig({
    cwd: ROOT,
    env: { REELCAST_DATA_DIR: join(tmp, 'data'), REELCAST_MODEL_DIR: join(tmp, 'models', 'base') },
  });
  const storage = new FsStorage(join(tmp, 'data', 'storage'));
  await expect(
    generateMaster({ ...request, model: 'pixel-art' }, { storage, config, inference }),
  ).rejects.toMatchObject({
    name: 'ModelFileMissingError',
    path: join(tmp, 'models', 'pixel-art'),
  });
});
