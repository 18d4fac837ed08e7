import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig } from '../../config';
import { openStorage } from '../../activities/storage';
import {
  DEFAULT_SIZE,
  generateMaster,
  SAMPLER_KINDS,
  sharedInferenceThread,
  type SamplerKind,
} from '../../activities/generate';
import { ProgressBar } from '../progress';

interface GenerateOptions {
  prompt: string;
  negative: string;
  frames: number;
  width: number;
  height: number;
  steps: number;
  guidance: number;
  seed: number;
  model?: string;
  sampler: SamplerKind;
  out: string;
}

/** `reelcast generate`: one clip from a prompt, outside any workflow (trying prompts, models, GPUs). */
export function register(program: Command): void {
  program
    .command('generate')
    .description(
      'Generate one clip from a prompt with the configured model (the master is kept in storage; --out gets a playable copy).',
    )
    .requiredOption('--prompt <text>', 'what the clip shows')
    .option('--negative <text>', 'what it should not show', '')
    .option('--frames <n>', 'number of frames', whole(1), DEFAULT_SIZE.frames)
    .option(
      '--width <px>',
      'width in pixels (a multiple of 32 for Wan-style models)',
      whole(32),
      DEFAULT_SIZE.width,
    )
    .option(
      '--height <px>',
      'height in pixels (a multiple of 32 for Wan-style models)',
      whole(32),
      DEFAULT_SIZE.height,
    )
    .option('--steps <n>', 'sampler steps', whole(1), 25)
    .option('--guidance <scale>', 'classifier-free guidance scale (1 = off)', decimal, 7.5)
    .option('--seed <n>', 'noise seed: same seed, same clip', whole(0), 42)
    .option('--model <dir>', 'model directory (default: setting model.dir)')
    .option('--sampler <kind>', `sampler: ${SAMPLER_KINDS.join(', ')}`, sampler, 'unipc')
    .requiredOption('--out <file>', 'where to write the clip (.mp4: H.264 copy; .mkv: the lossless master)')
    .action(async (opts: GenerateOptions) => {
      const config = loadConfig();
      if (opts.model) config.model.dir = resolve(opts.model);
      const storage = openStorage(config);
      const bar = new ProgressBar('generate');
      const abort = new AbortController();
      const onSigint = (): void => abort.abort();
      process.once('SIGINT', onSigint);
      try {
        const result = await generateMaster(
          {
            prompt: opts.prompt,
            negative: opts.negative,
            seed: opts.seed,
            frames: opts.frames,
            width: opts.width,
            height: opts.height,
            steps: opts.steps,
            guidance: opts.guidance,
            sampler: opts.sampler,
          },
          {
            storage,
            config,
            signal: abort.signal,
            onWarning: (w) => process.stderr.write(`reelcast: warning: ${w}\n`),
            onProgress: (p) =>
              p.phase === 'denoise'
                ? bar.update(p.step, p.of + 1, `step ${p.step}/${p.of}, ~${Math.ceil(p.etaSeconds)}s left`)
                : bar.update(opts.steps + p.step / p.of, opts.steps + 1, 'decoding'),
          },
        );
        bar.done(
          `${result.cached ? 'found in storage (cache hit, nothing generated)' : `generated on ${result.provider}`}: ${result.key}, ` +
            `${result.frames} frames ${result.width}x${result.height} at ${result.fps} fps (${result.seconds.toFixed(2)} s)`,
        );
        await writeCopy(config.ffmpeg.ffmpegPath, await storage.get(result.key), resolve(opts.out));
        process.stdout.write(`${resolve(opts.out)}\n`);
      } finally {
        process.off('SIGINT', onSigint);
        await sharedInferenceThread().close();
      }
    });
}

/** The master as is (.mkv) or as H.264 yuv420p MP4 that any player opens. */
async function writeCopy(ffmpegPath: string, master: NodeJS.ReadableStream, out: string): Promise<void> {
  if (extname(out).toLowerCase() === '.mkv') {
    await pipeline(master, createWriteStream(out));
    return;
  }
  // prettier-ignore
  const args = ['-hide_banner', '-loglevel', 'error', '-y', '-i', 'pipe:0', '-c:v', 'libx264', '-preset', 'fast', '-crf', '16', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', out];
  const proc = spawn(ffmpegPath, args, { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((res, rej) => {
    proc.on('error', rej);
    proc.on('close', res);
  });
  await pipeline(master, proc.stdin).catch(() => undefined);
  const code = await exit;
  if (code !== 0)
    throw new Error(`ffmpeg could not write ${out} (exit ${code}): ${stderr.trim().split('\n').pop()}`);
}

/** A commander parser for a whole number ≥ `min`. */
export function whole(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected a whole number ≥ ${min}`);
    return n;
  };
}

function decimal(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number ≥ 0');
  return n;
}

function sampler(value: string): SamplerKind {
  if (!SAMPLER_KINDS.includes(value as SamplerKind))
    throw new InvalidArgumentError(`expected one of ${SAMPLER_KINDS.join(', ')}`);
  return value as SamplerKind;
}
