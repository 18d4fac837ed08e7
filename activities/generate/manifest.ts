import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ReelcastConfig } from '../../config';
import { ManifestMismatchError, ModelFileMissingError } from './errors';

/**
 * manifest.json of a model directory (see models/README.md and docs/ARCHITECTURE.md, "The model contract").
 * Parsed once at the boundary; everything downstream trusts the typed value.
 */

export type Precision = 'fp32' | 'fp16';
export type SamplerKind = 'unipc' | 'euler' | 'dpmpp';
export const SAMPLER_KINDS: readonly SamplerKind[] = ['unipc', 'euler', 'dpmpp'];
export type GraphKey = 'textEncoder' | 'denoiser' | 'vaeDecoder' | 'vaeDecoderStep';
/** The graphs every model has. */
export const GRAPH_KEYS = ['textEncoder', 'denoiser', 'vaeDecoder'] as const;
/**
 * One value per graph of a model: the three every model has, and `vaeDecoderStep` where the
 * VAE decodes a latent frame at a time with its cache (Wan's, as models/export writes it).
 */
export type Graphs<T> = Record<(typeof GRAPH_KEYS)[number], T> & { vaeDecoderStep?: T };

/** The graphs `manifest` names, in loading order. */
export function graphKeys(manifest: Pick<ModelManifest, 'graphs'>): GraphKey[] {
  return manifest.graphs.vaeDecoderStep ? [...GRAPH_KEYS, 'vaeDecoderStep'] : [...GRAPH_KEYS];
}

/** The precisions every graph of `manifest` has a file for. */
export function completePrecisions(manifest: Pick<ModelManifest, 'graphs'>): Precision[] {
  return (['fp32', 'fp16'] as const).filter((p) =>
    graphKeys(manifest).every((k) => manifest.graphs[k]!.files[p]),
  );
}

/** Inputs of a step-decoding VAE's step graph that carry its cache: cache_<k> → next_cache_<k>. */
export function cacheInputs(spec: GraphSpec): string[] {
  return Object.keys(spec.inputs).filter((name) => /^cache_\d+$/.test(name));
}

/** A dimension: a number the graph must have, or a symbolic name (any size at run time). */
export type Dim = number | string;

export interface GraphSpec {
  /** Graph file per precision, relative to the model directory. */
  files: Partial<Record<Precision, string>>;
  inputs: Record<string, Dim[]>;
  outputs: Record<string, Dim[]>;
  /** Denoiser only: 2 when conditional and unconditional may run as one batch of 2. */
  guidanceBatch?: 1 | 2;
}

export interface ModelManifest {
  /** Absolute model directory. */
  dir: string;
  /** sha256 of manifest.json as written: an export (a LoRA merged in, another scale) has its own. */
  digest: string;
  id: string;
  description: string;
  tokenizer: string;
  textTokens: number;
  textDim: number;
  latentChannels: number;
  /** VAE stride [time, height, width]: F frames = stride_t*(T-1)+1, H = stride_h*h, W = stride_w*w. */
  vaeStride: [number, number, number];
  patch: [number, number, number];
  fps: number;
  graphs: Graphs<GraphSpec>;
  /**
   * How the VAE decoder may be run in time windows so that frames stream out: `chunkLatentFrames`
   * latent frames per call, each call preceded by `contextLatentFrames` already-decoded ones whose
   * frames are dropped. Exact when the decoder's temporal receptive field is within the context.
   * 0 decodes everything in one call (a decoder without that property). Not used when the
   * model has a `vaeDecoderStep` graph: `vaeDecoder` then decodes the first latent frame, and
   * the step graph each one after it, the decoder's cache passed from one call to the next.
   */
  vaeDecode: { chunkLatentFrames: number; contextLatentFrames: number };
  scheduler: { kind: SamplerKind; shift: number; steps: number; guidance: number; numTrainTimesteps: number };
}

/** The input and output names the pipeline feeds and reads: the contract, fixed. */
export const CONTRACT: Record<GraphKey, { inputs: string[]; outputs: string[] }> = {
  textEncoder: { inputs: ['input_ids', 'attention_mask'], outputs: ['hidden_states'] },
  denoiser: { inputs: ['latents', 'timestep', 'encoder_hidden_states'], outputs: ['noise_pred'] },
  vaeDecoder: { inputs: ['latents'], outputs: ['video'] },
  vaeDecoderStep: { inputs: ['latents'], outputs: ['video'] },
};

export function loadManifest(dir: string): ModelManifest {
  const abs = resolve(dir);
  const file = join(abs, 'manifest.json');
  if (!existsSync(abs)) throw new ModelFileMissingError(abs, 'model directory');
  if (!existsSync(file)) throw new ModelFileMissingError(file, 'model manifest');
  let raw: unknown;
  const text = readFileSync(file, 'utf8');
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ManifestMismatchError(file, [`not valid JSON: ${(err as Error).message}`]);
  }
  const problems: string[] = [];
  const m = parseManifest(raw, problems);
  if (problems.length > 0 || !m) throw new ManifestMismatchError(file, problems);
  return { ...m, dir: abs, digest: createHash('sha256').update(text).digest('hex') };
}

/**
 * Checks a model directory against the contract without loading it (cheap enough for
 * `reelcast validate`): the manifest, and every file it names for `precision`. The graphs'
 * real inputs and outputs are checked when a worker loads them (`reelcast model check`).
 */
export function checkModelDir(dir: string, precision: Precision): ModelManifest {
  const manifest = loadManifest(dir);
  modelFiles(manifest, precision);
  return manifest;
}

/** The absolute path of each file the manifest names for `precision`; throws when one is missing. */
export function modelFiles(
  manifest: ModelManifest,
  precision: Precision,
): Graphs<string> & { tokenizer: string } {
  const tokenizer = join(manifest.dir, manifest.tokenizer);
  if (!existsSync(tokenizer)) throw new ModelFileMissingError(tokenizer, 'tokenizer');
  const out = { tokenizer } as Graphs<string> & { tokenizer: string };
  for (const key of graphKeys(manifest)) {
    const files = manifest.graphs[key]!.files;
    const rel = files[precision];
    if (!rel) {
      const has = (['fp32', 'fp16'] as const).filter((p) => files[p]);
      throw new ManifestMismatchError(join(manifest.dir, 'manifest.json'), [
        `graphs.${key}.files has no ${precision} graph (it has ${has.join(', ') || 'none'})` +
          (has.length ? `: set model.precision (REELCAST_MODEL_PRECISION) to ${has.join(' or ')}` : ''),
      ]);
    }
    const path = join(manifest.dir, rel);
    if (!existsSync(path)) throw new ModelFileMissingError(path, `${key} graph (${precision})`);
    out[key] = path;
  }
  return out;
}

/** What onnxruntime reports about one graph input or output. */
export interface ValueInfo {
  name: string;
  type?: string;
  shape?: ReadonlyArray<number | string | undefined>;
}

const EXPECTED_TYPES: Record<string, string[]> = {
  input_ids: ['int64', 'int32'],
  attention_mask: ['int64', 'int32'],
  timestep: ['float32', 'float16', 'int64'],
};

/**
 * Compares a graph's real inputs and outputs with the manifest: names, ranks, fixed sizes and
 * element types the pipeline can feed. Returns the problems (empty when it matches).
 */
export function checkGraph(
  key: GraphKey,
  spec: GraphSpec,
  inputs: ValueInfo[],
  outputs: ValueInfo[],
): string[] {
  const problems: string[] = [];
  const side = (kind: 'input' | 'output', declared: Record<string, Dim[]>, real: ValueInfo[]): void => {
    const realNames = real.map((v) => v.name);
    for (const [name, dims] of Object.entries(declared)) {
      const info = real.find((v) => v.name === name);
      if (!info) {
        problems.push(
          `${key}: manifest names ${kind} '${name}' but the graph's ${kind}s are ${realNames.map((n) => `'${n}'`).join(', ')}`,
        );
        continue;
      }
      const allowed = EXPECTED_TYPES[name] ?? ['float32', 'float16'];
      if (info.type && !allowed.includes(info.type)) {
        problems.push(
          `${key}: ${kind} '${name}' is ${info.type}; the pipeline handles ${allowed.join(' or ')}`,
        );
      }
      if (!info.shape) continue;
      if (info.shape.length !== dims.length) {
        problems.push(
          `${key}: ${kind} '${name}' has rank ${info.shape.length} [${info.shape.join(',')}], manifest says [${dims.join(',')}]`,
        );
        continue;
      }
      dims.forEach((want, axis) => {
        const got = info.shape![axis];
        if (typeof want === 'number' && typeof got === 'number' && got > 0 && got !== want) {
          problems.push(`${key}: ${kind} '${name}' axis ${axis} is ${got}, manifest says ${want}`);
        }
      });
    }
    for (const name of realNames) {
      if (!(name in declared))
        problems.push(`${key}: graph has ${kind} '${name}' that the manifest does not declare`);
    }
  };
  side('input', spec.inputs, inputs);
  side('output', spec.outputs, outputs);
  return problems;
}

function parseManifest(raw: unknown, problems: string[]): Omit<ModelManifest, 'dir' | 'digest'> | undefined {
  if (!isObject(raw)) {
    problems.push('expected a JSON object');
    return undefined;
  }
  const str = (k: string): string => {
    const v = raw[k];
    if (typeof v !== 'string' || !v) problems.push(`${k}: expected a non-empty string`);
    return String(v ?? '');
  };
  const int = (obj: Record<string, unknown>, k: string, where: string, min = 1): number => {
    const v = obj[k];
    if (!Number.isInteger(v) || (v as number) < min)
      problems.push(`${where}${k}: expected a whole number ≥ ${min}, got ${JSON.stringify(v)}`);
    return Number(v);
  };
  const triple = (k: string): [number, number, number] => {
    const v = raw[k];
    if (!Array.isArray(v) || v.length !== 3 || !v.every((n) => Number.isInteger(n) && n > 0)) {
      problems.push(
        `${k}: expected [time, height, width] of positive whole numbers, got ${JSON.stringify(v)}`,
      );
      return [1, 1, 1];
    }
    return v as [number, number, number];
  };

  const graphs = {} as Graphs<GraphSpec>;
  const rawGraphs = isObject(raw.graphs) ? raw.graphs : (problems.push('graphs: expected an object'), {});
  const keys: GraphKey[] =
    rawGraphs.vaeDecoderStep === undefined ? [...GRAPH_KEYS] : [...GRAPH_KEYS, 'vaeDecoderStep'];
  for (const key of keys) {
    const g = rawGraphs[key];
    if (!isObject(g)) {
      problems.push(`graphs.${key}: missing`);
      continue;
    }
    const files = isObject(g.files) ? g.files : {};
    if (typeof files.fp32 !== 'string' && typeof files.fp16 !== 'string')
      problems.push(`graphs.${key}.files: expected fp32 and/or fp16 file names`);
    const io = (side: 'inputs' | 'outputs'): Record<string, Dim[]> => {
      const v = g[side];
      if (!isObject(v)) {
        problems.push(`graphs.${key}.${side}: expected {name: [dims]}`);
        return {};
      }
      for (const name of CONTRACT[key][side]) {
        if (!(name in v))
          problems.push(
            `graphs.${key}.${side}: the contract needs '${name}' (has ${Object.keys(v).join(', ') || 'none'})`,
          );
      }
      return v as Record<string, Dim[]>;
    };
    const guidanceBatch = g.guidanceBatch === undefined ? undefined : g.guidanceBatch;
    if (guidanceBatch !== undefined && guidanceBatch !== 1 && guidanceBatch !== 2)
      problems.push(`graphs.${key}.guidanceBatch: expected 1 or 2`);
    graphs[key] = {
      files: {
        fp32: typeof files.fp32 === 'string' ? files.fp32 : undefined,
        fp16: typeof files.fp16 === 'string' ? files.fp16 : undefined,
      },
      inputs: io('inputs'),
      outputs: io('outputs'),
      guidanceBatch: guidanceBatch as 1 | 2 | undefined,
    };
  }

  if (graphs.vaeDecoderStep && graphs.vaeDecoder) problems.push(...stepCacheProblems(graphs));

  const vd = isObject(raw.vaeDecode) ? raw.vaeDecode : { chunkLatentFrames: 0, contextLatentFrames: 0 };
  const sch = isObject(raw.scheduler)
    ? raw.scheduler
    : (problems.push('scheduler: expected an object'), {} as Record<string, unknown>);
  const kind = sch.kind as SamplerKind;
  if (!SAMPLER_KINDS.includes(kind))
    problems.push(
      `scheduler.kind: expected one of ${SAMPLER_KINDS.join(', ')}, got ${JSON.stringify(sch.kind)}`,
    );
  const num = (k: string): number => {
    const v = sch[k];
    if (typeof v !== 'number' || !(v > 0))
      problems.push(`scheduler.${k}: expected a positive number, got ${JSON.stringify(v)}`);
    return Number(v);
  };
  return {
    id: str('id'),
    description: typeof raw.description === 'string' ? raw.description : '',
    tokenizer: str('tokenizer'),
    textTokens: int(raw, 'textTokens', ''),
    textDim: int(raw, 'textDim', ''),
    latentChannels: int(raw, 'latentChannels', ''),
    vaeStride: triple('vaeStride'),
    patch: triple('patch'),
    fps: int(raw, 'fps', ''),
    graphs,
    vaeDecode: {
      chunkLatentFrames: int(vd, 'chunkLatentFrames', 'vaeDecode.', 0),
      contextLatentFrames: int(vd, 'contextLatentFrames', 'vaeDecode.', 0),
    },
    scheduler: {
      kind,
      shift: num('shift'),
      steps: num('steps'),
      guidance: num('guidance'),
      numTrainTimesteps: num('numTrainTimesteps'),
    },
  };
}

/**
 * A step-decoding VAE passes its cache along: the step graph takes cache_0..cache_<n-1>, and both
 * decoder graphs give next_cache_<k> for each (the first one's output is the step's first input).
 */
function stepCacheProblems(graphs: Graphs<GraphSpec>): string[] {
  const step = graphs.vaeDecoderStep!;
  const indices = cacheInputs(step).map((name) => Number(name.slice('cache_'.length)));
  const count = indices.length > 0 ? Math.max(...indices) + 1 : 0;
  const problems: string[] = [];
  if (count === 0) problems.push('graphs.vaeDecoderStep.inputs: expected its cache as cache_0, cache_1, ...');
  for (let k = 0; k < count; k++)
    if (!(`cache_${k}` in step.inputs)) problems.push(`graphs.vaeDecoderStep.inputs: cache_${k} is missing`);
  for (const key of ['vaeDecoder', 'vaeDecoderStep'] as const) {
    const given = Object.keys(graphs[key]!.outputs).filter((name) => name.startsWith('next_cache_'));
    const complete = Array.from({ length: count }, (_, k) => `next_cache_${k}`).every((n) =>
      given.includes(n),
    );
    if (count > 0 && (!complete || given.length !== count))
      problems.push(
        `graphs.${key}.outputs: expected next_cache_0..next_cache_${count - 1} for the step graph's cache inputs, got ${given.join(', ') || 'none'}`,
      );
  }
  return problems;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Where a campaign's model directory is: `model` as the calendar names it, absolute or relative
 * to the folder holding model.dir (style models sit next to the base model); absent, model.dir.
 * Resolved where it is used (the GPU worker, validate), each with its own config.
 */
export function modelDir(config: ReelcastConfig, model?: string): string {
  return model ? resolve(dirname(resolve(config.model.dir)), model) : config.model.dir;
}
