import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { register } from '../../../cli/commands/generate';

const ROOT = resolve(__dirname, '../../..');

describe('reelcast generate', () => {
  let tmp: string;
  const saved = { ...process.env };

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'reelcast-cli-'));
    Object.assign(process.env, {
      REELCAST_DATA_DIR: join(tmp, 'data'),
      REELCAST_MODEL_THREADS: '1',
      REELCAST_STORAGE: 'fs',
    });
  });
  afterAll(() => {
    process.env = saved;
    rmSync(tmp, { recursive: true, force: true });
  });

  async function run(args: string[]): Promise<string> {
    const program = new Command('reelcast').exitOverride();
    register(program);
    const lines: string[] = [];
    const err = jest.spyOn(process.stderr, 'write').mockImplementation((s) => (lines.push(String(s)), true));
    const out = jest.spyOn(process.stdout, 'write').mockImplementation((s) => (lines.push(String(s)), true));
    try {
      await program.parseAsync(['node', 'reelcast', 'generate', ...args]);
    } finally {
      err.mockRestore();
      out.mockRestore();
    }
    return lines.join('');
  }

  it('writes a playable MP4 with a progress bar, and finds the clip in storage the second time', async () => {
    const out = join(tmp, 'clip.mp4');
    const args = [
      '--prompt',
      'summer sale',
      '--frames',
      '9',
      '--width',
      '128',
      '--height',
      '96',
      '--steps',
      '3',
      '--model',
      join(ROOT, 'models/demo'),
      '--out',
      out,
    ];
    const first = await run(args);
    expect(first).toMatch(/generate \[#+-*\]/);
    expect(first).toMatch(/generated on cpu: masters\/[0-9a-f]{64}\.mkv, 9 frames 128x96 at 8 fps/);
    expect(existsSync(out)).toBe(true);
    const probe = execFileSync(process.env.FFPROBE_PATH ?? 'ffprobe', [
      '-v',
      'error',
      '-show_streams',
      '-of',
      'json',
      out,
    ]).toString();
    expect(JSON.parse(probe).streams[0]).toMatchObject({
      codec_name: 'h264',
      width: 128,
      height: 96,
      pix_fmt: 'yuv420p',
    });
    const second = await run(args);
    expect(second).toMatch(/found in storage \(cache hit, nothing generated\)/);
  });
});
