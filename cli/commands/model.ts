import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { listSupportedBackends } from 'onnxruntime-node';
import { loadConfig } from '../../config';
import {
  formatBytes,
  InferenceThread,
  loadManifest,
  modelOptions,
  ModelFileMissingError,
  resolveRequest,
  type ModelManifest,
  type Precision,
} from '../../activities/generate';
import { cacheInputs, completePrecisions, graphKeys } from '../../activities/generate/manifest';
import { graphFileBytes } from '../../activities/generate/memory';
import { ProgressBar } from '../progress';
import { whole as wholeAtLeast } from './generate';
import { say } from '../context';

/**
 * `reelcast model export`: a Diffusers Wan2.2 checkpoint -> a Reelcast model directory, by the
 * Python exporter (models/export/export.py) in its pinned venv in the tool cache.
 * `reelcast model check`: loads a model directory, prints its contract, runs one tiny clip.
 */
export function register(program: Command): void {
  const model = program
    .command('model')
    .description('export and check text-to-video models (models/README.md)');

  model
    .command('export')
    .description(
      'Export a Diffusers Wan2.2 TI2V checkpoint (e.g. Wan-AI/Wan2.2-TI2V-5B-Diffusers, downloaded) to a Reelcast model directory. ' +
        'Installs the exporter (torch, diffusers: ~3 GB download, ~6 GB on disk) into the tool cache on first use.',
    )
    .requiredOption('--from <dir>', 'the Diffusers checkpoint directory (holds model_index.json)')
    .requiredOption('--out <dir>', 'the model directory to write')
    .option('--precision <p>', 'fp16 (GPU) or fp32; the text encoder is always fp32', precision, 'fp16')
    .option('--text-tokens <n>', 'prompt length in tokens', whole, 512)
    .option('--fps <n>', 'frames per second of the clips', whole, 24)
    .option('--id <id>', 'model id in the manifest (part of every clip’s content hash)')
    .option(
      '--lora <file>',
      'a Wan2.2 LoRA (.safetensors, diffusers/PEFT layout) merged into the transformer: a brand style becomes its own model directory (a campaign names it in video.model)',
    )
    .option('--lora-scale <s>', 'strength of the LoRA', loraScale, 1)
    .action(async (opts: ExportOptions) => {
      const from = resolve(opts.from);
      if (!existsSync(join(from, 'model_index.json'))) {
        throw new Error(
          `${from} is not a Diffusers checkpoint (no model_index.json). Download one, e.g. ` +
            '`huggingface-cli download Wan-AI/Wan2.2-TI2V-5B-Diffusers --local-dir <dir>`, and pass that directory.',
        );
      }
      const out = resolve(opts.out);
      const lora = opts.lora ? resolve(opts.lora) : undefined;
      if (lora && !existsSync(lora)) throw new Error(`--lora ${lora}: no such file`);
      const python = await exporterPython();
      const args = [join(repoRoot(), 'models/export/export.py'), '--from', from, '--out', out];
      args.push('--precision', opts.precision);
      args.push('--text-tokens', String(opts.textTokens), '--fps', String(opts.fps));
      if (opts.id) args.push('--id', opts.id);
      if (lora) args.push('--lora', lora, '--lora-scale', String(opts.loraScale));
      const code = await new Promise<number | null>((res, rej) => {
        const proc = spawn(python, args, { stdio: ['ignore', 'inherit', 'inherit'] });
        proc.on('error', rej);
        proc.on('close', res);
      });
      if (code !== 0) throw new Error(`the export did not finish (exit ${code}); the lines above say why`);
      say(`exported ${out}; check it with \`reelcast model check ${out}\``);
    });

  model
    .command('check')
    .description('Load a model directory, print its contract and make one tiny clip with it.')
    .argument('<dir>', 'the model directory (holds manifest.json)')
    .option(
      '--precision <p>',
      'fp16 or fp32 (default: setting model.precision, else the one the model has)',
      precision,
    )
    .option(
      '--memory-limit <MB>',
      'memory the model may take, in MB (default: setting model.memoryLimitMb, else what is free): check whether it fits a smaller machine',
      wholeOrZero,
    )
    .action(async (dir: string, opts: { precision?: Precision; memoryLimit?: number }) => {
      await checkModel(resolve(dir), opts.precision, opts.memoryLimit);
    });
}

interface ExportOptions {
  from: string;
  out: string;
  precision: Precision;
  textTokens: number;
  fps: number;
  id?: string;
  lora?: string;
  loraScale: number;
}

/** Loads, describes and tries a model directory; throws the loader's clear error when it is broken. */
export async function checkModel(dir: string, wanted?: Precision, memoryLimitMb?: number): Promise<void> {
  if (!existsSync(join(dir, 'manifest.json')) && existsSync(join(dir, 'model_index.json'))) {
    throw new Error(
      `${dir} is a Diffusers checkpoint, not a Reelcast model directory: export it first with ` +
        `\`reelcast model export --from ${dir} --out <model dir>\``,
    );
  }
  const manifest = loadManifest(dir);
  const config = loadConfig();
  const available = completePrecisions(manifest);
  const configured = config.model.precision ?? 'fp32';
  const chosen = wanted ?? (available.includes(configured) ? configured : available[0]);
  process.stdout.write(describe(manifest, chosen));

  config.model.dir = dir;
  if (memoryLimitMb !== undefined) config.model.memoryLimitMb = memoryLimitMb;
  const options = { ...modelOptions(config), precision: chosen };
  const request = resolveRequest(
    {
      prompt: 'a model check',
      seed: 0,
      // Two latent frames where the VAE decodes them a step at a time: both its graphs run.
      frames: manifest.graphs.vaeDecoderStep ? manifest.vaeStride[0] + 1 : 1,
      width: manifest.vaeStride[2] * manifest.patch[2],
      height: manifest.vaeStride[1] * manifest.patch[1],
      steps: 2,
    },
    manifest,
  );
  const inference = new InferenceThread();
  const bar = new ProgressBar('check');
  try {
    const result = await inference.run(options, request, {
      onWarning: (w) => process.stderr.write(`reelcast: warning: ${w}\n`),
      onProgress: (p) => bar.update(p.phase === 'denoise' ? p.step : request.steps + 1, request.steps + 1),
      onFrames: async () => undefined,
    });
    bar.done(`ok on ${result.provider}`);
    const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
    process.stdout.write(
      `tiny clip   ${request.width}x${request.height}, ${request.steps} steps: text ${secs(result.timing.textMs)}, ` +
        `steps ${result.timing.stepMs.map(secs).join(' + ')}, decode ${secs(result.timing.decodeMs)} on ${result.provider}\n`,
    );
  } finally {
    await inference.close();
  }
}

function describe(m: ModelManifest, chosen: Precision): string {
  const s = m.scheduler;
  const needed = graphKeys(m)
    .map((k) => m.graphs[k]!.files[chosen])
    .filter((f) => f !== undefined)
    .reduce((n, f) => n + graphFileBytes(join(m.dir, f)), 0);
  const vaeT = m.graphs.vaeDecoder.inputs.latents?.[2];
  const step = m.graphs.vaeDecoderStep;
  const length = step
    ? `any length (the VAE decodes a latent frame at a time, passing ${cacheInputs(step).length} cache tensors on)`
    : typeof vaeT === 'number'
      ? `up to ${m.vaeStride[0] * (vaeT - 1) + 1} frames (VAE decoder exported for ${vaeT} latent frames)`
      : 'any length';
  const lines = [
    `model       ${m.id}  (${m.dir})`,
    ...(m.description ? [`            ${m.description}`] : []),
    `text        ${m.textTokens} tokens x ${m.textDim}, tokenizer ${m.tokenizer}`,
    `latents     ${m.latentChannels} channels, VAE stride ${m.vaeStride.join('x')}, patch ${m.patch.join('x')}, ${m.fps} fps`,
    `clips       ${length}; width/height multiples of ${m.vaeStride[2] * m.patch[2]}/${m.vaeStride[1] * m.patch[1]}`,
    `sampler     ${s.kind}, shift ${s.shift}, ${s.steps} steps, guidance ${s.guidance}`,
    `precision   ${completePrecisions(m).join(', ') || 'none complete'} (checking ${chosen})`,
    `memory      ${formatBytes(needed)} of ${chosen} graphs and weights to load; ${formatBytes(process.availableMemory())} free`,
    ...graphKeys(m).map((k) => {
      const files = Object.entries(m.graphs[k]!.files).filter(([, f]) => f);
      const denoiserTs =
        k === 'denoiser' ? `, timestep [${m.graphs.denoiser.inputs.timestep?.join(', ')}]` : '';
      return `${k.padEnd(11)} ${files.map(([p, f]) => `${p} ${f} (${formatBytes(graphFileBytes(join(m.dir, f!)))})`).join(', ')}${denoiserTs}`;
    }),
    `providers   ${availableProviders().join(', ')}`,
  ];
  return `${lines.join('\n')}\n`;
}

function availableProviders(): string[] {
  return listSupportedBackends().map((b) => b.name);
}

/** The repository (or installed package) root: where models/export/export.py lives. */
function repoRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'models', 'export', 'export.py'))) return dir;
  }
  throw new ModelFileMissingError(join(__dirname, 'models/export/export.py'), 'the Wan2.2 exporter');
}

/** Python of the exporter's pinned venv (models/python-env.sh creates it once). */
async function exporterPython(): Promise<string> {
  const root = repoRoot();
  say('finding the exporter’s Python (the first run installs torch and diffusers: minutes)');
  // pip's messages go to the terminal as they come; the venv path comes back on stdout.
  const proc = spawn(join(root, 'models/python-env.sh'), [join(root, 'models/export/requirements.txt')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = await new Promise<number | null>((res, rej) => {
    proc.on('error', rej);
    proc.on('close', res);
  });
  if (code !== 0)
    throw new Error(
      `could not install the exporter's Python packages (exit ${code}; pip's messages are above). ` +
        'It needs python3 with venv and access to PyPI.',
    );
  return join(stdout.trim(), 'bin', 'python');
}

function precision(value: string): Precision {
  if (value !== 'fp16' && value !== 'fp32') throw new InvalidArgumentError('expected fp16 or fp32');
  return value;
}

const whole = wholeAtLeast(1);
const wholeOrZero = wholeAtLeast(0);

function loraScale(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || Math.abs(n) > 10)
    throw new InvalidArgumentError('expected a number from -10 to 10, e.g. 0.8');
  return n;
}
