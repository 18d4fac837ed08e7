import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';

type Register = (program: Command) => void;

/**
 * For a describe block that runs CLI commands in-process: a temp data dir (fs storage, one
 * onnxruntime thread) set up before and removed after, and `run(args)` resolving with what the
 * command printed (stdout and stderr) or rejecting with its error.
 */
export function cliSandbox(registers: Register[]): { tmp(): string; run(args: string[]): Promise<string> } {
  let dir = '';
  const saved = { ...process.env };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'reelcast-cli-'));
    Object.assign(process.env, {
      REELCAST_DATA_DIR: join(dir, 'data'),
      REELCAST_MODEL_THREADS: '1',
      REELCAST_STORAGE: 'fs',
    });
  });
  afterAll(() => {
    process.env = saved;
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    tmp: () => dir,
    async run(args) {
      const program = new Command('reelcast').exitOverride();
      for (const register of registers) register(program);
      const lines: string[] = [];
      const err = jest
        .spyOn(process.stderr, 'write')
        .mockImplementation((s) => (lines.push(String(s)), true));
      const out = jest
        .spyOn(process.stdout, 'write')
        .mockImplementation((s) => (lines.push(String(s)), true));
      try {
        await program.parseAsync(['node', 'reelcast', ...args]);
      } finally {
        err.mockRestore();
        out.mockRestore();
      }
      return lines.join('');
    },
  };
}
