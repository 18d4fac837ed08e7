import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig, type ReelcastConfig } from '../../../config';
import { FsStorage } from '../../../activities/storage';
import { generateMaster, InferenceThread, type Progress } from '../../../activities/generate';

const ROOT = resolve(__dirname, '../../..');
const FFMPEG = '/usr/bin/ffmpeg';

function config(dataDir: string, env: Record<string, string> = {}): ReelcastConfig {
  return loadConfig({
    cwd: ROOT,
    file: undefined,
    env: {
      REELCAST_DATA_DIR: dataDir,
      REELCAST_MODEL_DIR: join(ROOT, 'models/demo'),
      REELCAST_MODEL_THREADS: '1',
      FFMPEG_PATH: FFMPEG,
      ...env,
    },
  });
}

/** The decoded frames of a stored master, as ffmpeg reads them back. */
function decodedFrames(storage: FsStorage, key: string): Buffer {
  return execFileSync(
    FFMPEG,
    ['-v', 'error', '-i', join(storage.root, key), '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
    { maxBuffer: 1 << 28 },
  );
}

const small = {
  prompt: 'a bright summer sale banner',
  negative: 'blurry',
  frames: 9,
  width: 128,
  height: 96,
  steps: 4,
};

describe('generateMaster on the demo model', () => {
  let dir: string;
  let storage: FsStorage;
  let cfg: ReelcastConfig;
  const inference = new InferenceThread();

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'reelcast-gen-'));
    storage = new FsStorage(join(dir, 'storage'));
    cfg = config(dir);
  });
  afterAll(async () => {
    await inference.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes an FFV1 Matroska master with the requested frames, heartbeating increasing steps', async () => {
    const progress: Progress[] = [];
    const r = await generateMaster(
      { ...small, seed: 1 },
      { storage, config: cfg, inference, onProgress: (p) => progress.push(p) },
    );
    expect(r).toMatchObject({ cached: false, provider: 'cpu', frames: 9, width: 128, height: 96, fps: 8 });
    expect(r.key).toMatch(/^masters\/[0-9a-f]{64}\.mkv$/);
    const probe = execFileSync('/usr/bin/ffprobe', [
      '-v',
      'error',
      '-show_streams',
      '-of',
      'json',
      join(storage.root, r.key),
    ]).toString();
    const streams = JSON.parse(probe).streams as Array<Record<string, unknown>>;
    expect(streams).toHaveLength(1);
    expect(streams[0]).toMatchObject({ codec_name: 'ffv1', width: 128, height: 96, r_frame_rate: '8/1' });
    expect(decodedFrames(storage, r.key).length).toBe(9 * 128 * 96 * 3);
    const denoise = progress.filter((p) => p.phase === 'denoise');
    expect(denoise.map((p) => p.step)).toEqual([1, 2, 3, 4]);
    expect(denoise.every((p) => p.of === 4 && p.etaSeconds >= 0)).toBe(true);
    expect(progress.some((p) => p.phase === 'decode')).toBe(true);
  });
});
