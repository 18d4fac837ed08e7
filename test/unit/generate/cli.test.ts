import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { register } from '../../../cli/commands/generate';
import { cliSandbox } from './cli-sandbox';

const ROOT = resolve(__dirname, '../../..');

describe('reelcast generate', () => {
  const sandbox = cliSandbox([register]);
  const run = (args: string[]): Promise<string> => sandbox.run(['generate', ...args]);

  it('writes a playable MP4 with a progress bar, and finds the clip in storage the second time', async () => {
    const out = join(sandbox.tmp(), 'clip.mp4');
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
