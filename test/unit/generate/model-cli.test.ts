import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { register as registerGenerate } from '../../../cli/commands/generate';
import { register as registerModel } from '../../../cli/commands/model';
import { cliSandbox } from './cli-sandbox';

const ROOT = resolve(__dirname, '../../..');
const TINY = join(ROOT, 'test/fixtures/wan-tiny');
const FFMPEG = process.env.FFMPEG_PATH ?? 'ffmpeg';

describe('reelcast model check, and generate on an exported Wan2.2', () => {
  const { tmp, run } = cliSandbox([registerModel, registerGenerate]);

  /** A copy of a model directory to break. */
  function copyOf(dir: string, name: string): string {
    const to = join(tmp(), name);
    cpSync(dir, to, { recursive: true });
    return to;
  }

  it('prints the contract of the exported model and makes a tiny clip with it', async () => {
    const out = await run(['model', 'check', join(TINY, 'model')]);
    expect(out).toMatch(/model {7}wan2\.2-tiny-test/);
    expect(out).toMatch(/latents {5}48 channels, VAE stride 4x16x16, patch 1x2x2/);
    expect(out).toMatch(
      /clips {7}any length \(the VAE decodes a latent frame at a time, passing 24 cache tensors on\)/,
    );
    expect(out).toMatch(/vaeDecoderStep fp32 vae_decoder_step\.onnx \([\d.]+ MB\)/);
    expect(out).toMatch(/denoiser {4}fp32 transformer\.onnx \([\d.]+ MB\), timestep \[batch, tokens\]/);
    expect(out).toMatch(/providers {3}.*cpu/);
    expect(out).toMatch(/check: ok on cpu/);
  });

  it('says what is wrong with a folder that is not a model directory', async () => {
    const empty = join(tmp(), 'empty');
    mkdirSync(empty);
    await expect(run(['model', 'check', empty])).rejects.toThrow(
      /model manifest not found: .*empty\/manifest\.json/,
    );
    const diffusers = join(tmp(), 'diffusers');
    mkdirSync(diffusers);
    writeFileSync(join(diffusers, 'model_index.json'), '{"_class_name": "WanPipeline"}');
    await expect(run(['model', 'check', diffusers])).rejects.toThrow(
      /is a Diffusers checkpoint, not a Reelcast model directory: export it first with `reelcast model export --from/,
    );
  });

  it('model export refuses a folder that is not a Diffusers checkpoint before installing anything', async () => {
    await expect(
      run(['model', 'export', '--from', join(TINY, 'model'), '--out', join(tmp(), 'out')]),
    ).rejects.toThrow(
      /is not a Diffusers checkpoint \(no model_index\.json\)\. Download one, e\.g\. `huggingface-cli download Wan-AI\/Wan2\.2-TI2V-5B-Diffusers/,
    );
  });

  it('model export --lora refuses a LoRA file that is not there, or a scale that is not a number, before installing anything', async () => {
    const ckpt = tmp();
    writeFileSync(join(ckpt, 'model_index.json'), '{"_class_name": "WanPipeline"}');
    const missing = join(ckpt, 'ink-wash.safetensors');
    await expect(
      run(['model', 'export', '--from', ckpt, '--out', join(ckpt, 'out'), '--lora', missing]),
    ).rejects.toThrow(`--lora ${missing}: no such file`);
    await expect(
      run([
        'model',
        'export',
        '--from',
        ckpt,
        '--out',
        join(ckpt, 'out'),
        '--lora',
        missing,
        '--lora-scale',
        'strong',
      ]),
    ).rejects.toThrow(/expected a number from -10 to 10/);
  });

  it('names the missing external-data file of a graph', async () => {
    const dir = copyOf(join(ROOT, 'models/demo'), 'no-data');
    rmSync(join(dir, 'text_encoder.onnx.data'));
    await expect(run(['model', 'check', dir, '--precision', 'fp32'])).rejects.toThrow(
      /weights of text_encoder\.onnx \(its external-data file, kept next to the graph\) not found: .*no-data\/text_encoder\.onnx\.data/,
    );
  });

  it('lists the differences when a graph has the wrong inputs', async () => {
    const dir = copyOf(join(TINY, 'model'), 'wrong-graph');
    const manifestFile = join(dir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
      graphs: { denoiser: { files: { fp32: string } } };
    };
    manifest.graphs.denoiser.files.fp32 = 'vae_decoder.onnx'; // a graph with other inputs
    writeFileSync(manifestFile, JSON.stringify(manifest));
    await expect(run(['model', 'check', dir])).rejects.toThrow(
      /does not match the model contract:[\s\S]*denoiser: manifest names input 'timestep' but the graph's inputs are 'latents'/,
    );
  });

  it('says how much memory the model needs, and refuses it before loading when the machine is too small', async () => {
    const model = join(TINY, 'model');
    const fits = await run(['model', 'check', model, '--memory-limit', '64']);
    expect(fits).toMatch(/memory {6}1\.\d MB of fp32 graphs and weights to load; [\d.]+ [MG]B free/);
    expect(fits).toMatch(/check: ok on cpu/);
    // A 1 MB machine: the tiny model's 1.3 MB of graphs cannot load there.
    await expect(run(['model', 'check', model, '--memory-limit', '1'])).rejects.toThrow(
      new RegExp(
        `^not enough memory for the model ${model}: its fp32 graphs and weights need at least 1\\.\\d MB ` +
          '\\(text_encoder\\.onnx 0\\.2 MB, transformer\\.onnx 0\\.3 MB, vae_decoder\\.onnx 0\\.3 MB, vae_decoder_step\\.onnx 0\\.5 MB\\), ' +
          'but setting model\\.memoryLimitMb \\(REELCAST_MODEL_MEMORY_LIMIT_MB\\) allows 1\\.0 MB\\. ' +
          'To make it fit: export it in fp16 \\(`reelcast model export --precision fp16`, about half the memory\\); ' +
          'run it on a machine \\(or GPU\\) with more memory; or keep fewer models loaded at once ' +
          '\\(setting worker\\.gpuLoadedModels, now 2\\)\\.$',
      ),
    );
  });

  it('on a GPU provider, compares the model with the free memory nvidia-smi reports for the device', () => {
    // No GPU here: nvidia-smi is a script that answers as the real one does for these arguments.
    // The built CLI runs in a process of its own, with that script first on its PATH.
    const root = resolve(__dirname, '../../..');
    if (!existsSync(join(root, 'dist', 'cli', 'main.js')))
      throw new Error('run `npm run build` first (make test does)');
    const bin = join(tmp(), 'gpu-bin');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'nvidia-smi'),
      '#!/bin/sh\n[ "$*" = "--query-gpu=memory.free --format=csv,noheader,nounits -i 0" ] || exit 9\n' +
        'echo "$FAKE_GPU_FREE_MIB"\n',
      { mode: 0o755 },
    );
    const check = (freeMib: number) =>
      spawnSync(process.execPath, [join(root, 'bin', 'reelcast.js'), 'model', 'check', join(TINY, 'model')], {
        encoding: 'utf8',
        env: {
          ...process.env,
          PATH: `${bin}:${process.env.PATH}`,
          REELCAST_EXECUTION_PROVIDER: 'cuda',
          FAKE_GPU_FREE_MIB: String(freeMib),
        },
      });
    const small = check(1);
    expect(small.status).not.toBe(0);
    expect(small.stderr).toMatch(
      /not enough memory for the model .*: its fp32 graphs and weights need at least 1\.\d MB \(.*\), but GPU 0 has 1\.0 MB free \(nvidia-smi\)\. To make it fit: /,
    );
    // 64 MiB free: it fits (and, with no CUDA libraries here, runs on the CPU, saying so).
    const fits = check(64);
    expect(fits.stderr + fits.stdout).toMatch(
      /execution provider cuda is not installed or has no usable GPU/,
    );
    expect(fits.stdout + fits.stderr).toMatch(/check: ok on cpu/);
    expect(fits.status).toBe(0);
  });

  it('says which model ran out of memory, how much onnxruntime asked for and what to do', async () => {
    // A VAE decoder whose run asks for a 4 EiB tensor (fixtures/make_alloc_failure.py): a real
    // allocation failure in onnxruntime, on any machine.
    // It decodes a whole clip of 3 latent frames in one call, the way exports before the
    // step-by-step decoder did (the pipeline still runs such a model).
    const dir = copyOf(join(TINY, 'model'), 'alloc-failure');
    cpSync(join(__dirname, 'fixtures/alloc-failure.vae_decoder.onnx'), join(dir, 'vae_decoder.onnx'));
    rmSync(join(dir, 'vae_decoder_step.onnx'));
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    delete manifest.graphs.vaeDecoderStep;
    manifest.graphs.vaeDecoder.inputs = { latents: ['batch', 48, 3, 'latent_height', 'latent_width'] };
    manifest.graphs.vaeDecoder.outputs = { video: ['batch', 3, 9, 'height', 'width'] };
    manifest.vaeDecode = { chunkLatentFrames: 0, contextLatentFrames: 0 };
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    // Such a decoder makes at most 9 frames: a longer clip is refused before anything runs.
    await expect(
      run([
        'generate',
        '--model',
        dir,
        '--prompt',
        'sea',
        '--frames',
        '13',
        '--width',
        '32',
        '--height',
        '32',
        '--out',
        join(tmp(), 'long.mkv'),
      ]),
    ).rejects.toThrow(
      /frames: this model's VAE decoder makes at most 9 frames \(it was exported for 3 latent frames\), got 13/,
    );
    await expect(run(['model', 'check', dir])).rejects.toThrow(
      new RegExp(
        `^out of memory while generating with the model ${dir} \\(its graphs hold 0\\.\\d MB; the clip's tensors come on top\\): ` +
          'VAE decoder: onnxruntime could not allocate 4611686\\.0 TB for a tensor\\. Lower frames/width/height, or: ' +
          'To make it fit: .*keep fewer models loaded at once \\(setting worker\\.gpuLoadedModels, now 2\\)\\.$',
      ),
    );
  });

  it('reelcast generate on the exported model writes the frames diffusers makes for the same seed', async () => {
    const ref = JSON.parse(readFileSync(join(TINY, 'reference/reference.json'), 'utf8')) as {
      prompt: string;
      negative: string;
      request: { seed: number; frames: number; width: number; height: number; steps: number };
      tensors: Record<string, { file: string; shape: number[] }>;
    };
    const r = ref.request;
    const clip = join(tmp(), 'wan.mkv');
    // prettier-ignore
    await run(['generate', '--model', join(TINY, 'model'), '--prompt', ref.prompt, '--negative', ref.negative,
      '--seed', String(r.seed), '--frames', String(r.frames), '--width', String(r.width), '--height', String(r.height),
      '--steps', String(r.steps), '--guidance', '5', '--sampler', 'unipc', '--out', clip]);
    const rgb = execFileSync(FFMPEG, [
      '-v',
      'error',
      '-i',
      clip,
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      'pipe:1',
    ]);
    const buf = readFileSync(join(TINY, 'reference', ref.tensors['unipc.g5.frames'].file));
    const want = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    expect(rgb.length).toBe(want.length); // same frames, same size: [F, H, W, 3]
    let se = 0;
    for (let i = 0; i < want.length; i++) se += (rgb[i] - want[i] * 255) ** 2;
    const psnr = 10 * Math.log10((255 * 255) / (se / want.length));
    expect(psnr).toBeGreaterThanOrEqual(45);
  });
});
