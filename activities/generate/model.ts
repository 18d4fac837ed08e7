import * as ort from 'onnxruntime-node';
import { basename } from 'node:path';
import {
  formatBytes,
  isAllocationFailure,
  ManifestMismatchError,
  ModelFileMissingError,
  NotEnoughMemoryError,
  UnsupportedProviderError,
} from './errors';
import {
  checkGraph,
  graphKeys,
  loadManifest,
  modelFiles,
  type GraphKey,
  type Graphs,
  type ModelManifest,
  type Precision,
} from './manifest';
import {
  executionProviders,
  isProviderUnavailable,
  type ProviderKind,
  type ProviderRequest,
} from './providers';
import { DEFAULT_LOADED_MODELS } from './inference-thread';
import { checkModelFits, graphFileBytes, memoryAdvice } from './memory';
import { PromptTokenizer } from './tokenizer';

export interface ModelOptions {
  dir: string;
  precision: Precision;
  provider: ProviderRequest;
  /** onnxruntime intra-op threads; 0 lets onnxruntime pick (all cores). */
  threads: number;
  /** Setting model.memoryLimitMb: memory for all loaded models together (0 or absent: none). */
  memoryLimitMb?: number;
}

/** A model directory with its three sessions open, checked against its manifest. */
export interface LoadedModel {
  manifest: ModelManifest;
  tokenizer: PromptTokenizer;
  sessions: Graphs<ort.InferenceSession>;
  /** The provider the sessions run on (after any fallback). */
  provider: ProviderKind;
  /** Warnings a person should see (provider fallback). */
  warnings: string[];
  /** Bytes of its graphs and weights: what it holds while loaded (memory.ts). */
  bytes: number;
}

// Sessions are expensive (seconds to minutes for a real model, TensorRT engines longer): one set
// per model directory/precision/provider per process, reused by every generation. A GPU worker
// serving campaigns with different model directories (brand styles) keeps the `keep` most
// recently used ones, so alternating campaigns do not reload every time; older ones are closed
// to give their memory back.
const cache = new Map<string, Promise<LoadedModel>>();

export function loadModel(options: ModelOptions, keep = DEFAULT_LOADED_MODELS): Promise<LoadedModel> {
  const key = JSON.stringify(options);
  const loaded = cache.get(key);
  if (loaded) {
    cache.delete(key); // most recently used: to the end of the map's order
    cache.set(key, loaded);
    return loaded;
  }
  // Close the least recently used first, so two big models are never loaded next to a third.
  const others = evict(Math.max(0, keep - 1));
  const opening = others.then(async () => openModel(options, keep, await loadedBytes(key)));
  cache.set(key, opening);
  // A failed load is not cached: the next attempt (a retry) tries again from scratch.
  opening.catch(() => {
    if (cache.get(key) === opening) cache.delete(key);
  });
  return opening;
}

/** The model keys loaded now, least recently used first (tests). */
export function loadedModelDirs(): string[] {
  return [...cache.keys()].map((k) => (JSON.parse(k) as ModelOptions).dir);
}

/** The other models loaded now (jobs run one at a time: none is still opening): count and bytes. */
async function loadedBytes(opening: string): Promise<{ count: number; bytes: number }> {
  const others = [...cache].filter(([key]) => key !== opening).map(([, model]) => model);
  const models = await Promise.all(others.map((m) => m.catch(() => undefined)));
  const loaded = models.filter((m) => m !== undefined);
  return { count: loaded.length, bytes: loaded.reduce((sum, m) => sum + m.bytes, 0) };
}

/** Closes the least recently used models until at most `size` stay loaded. */
async function evict(size: number): Promise<void> {
  const gone: Promise<LoadedModel>[] = [];
  for (const [key, model] of cache) {
    if (cache.size <= size) break;
    cache.delete(key);
    gone.push(model);
  }
  for (const model of gone) {
    const m = await model.catch(() => undefined);
    if (m) for (const s of Object.values(m.sessions)) await s.release();
  }
}

/** Closes every cached session (tests, shutdown). */
export function unloadModels(): Promise<void> {
  return evict(0);
}

async function openModel(
  options: ModelOptions,
  keep: number,
  others: { count: number; bytes: number },
): Promise<LoadedModel> {
  const manifest = loadManifest(options.dir);
  const files = modelFiles(manifest, options.precision);
  const tokenizer = new PromptTokenizer(files.tokenizer, manifest.textTokens);
  const bytes = checkModelFits({
    manifest,
    precision: options.precision,
    files,
    provider: options.provider,
    memoryLimitMb: options.memoryLimitMb,
    otherLoadedBytes: others.bytes,
    otherLoadedCount: others.count,
    loadedModels: keep,
  });
  /** A graph that onnxruntime cannot load: a broken file is a model problem (non-retryable). */
  const loadError = (file: string, err: unknown): Error => {
    const text = firstLine(err);
    const external = /External data path does not exist: "([^"]+)"/.exec(text);
    if (external)
      return new ModelFileMissingError(
        external[1],
        `weights of ${basename(file)} (its external-data file, kept next to the graph)`,
      );
    if (isAllocationFailure(text)) {
      return new NotEnoughMemoryError(
        manifest.dir,
        bytes,
        undefined,
        `onnxruntime could not allocate memory while loading ${basename(file)} (${formatBytes(graphFileBytes(file))}; ` +
          `the model's ${options.precision} graphs and weights need at least ${formatBytes(bytes)}): ${text}`,
        memoryAdvice(manifest, options.precision, keep),
      );
    }
    return new ManifestMismatchError(file, [`onnxruntime cannot load this graph: ${text}`]);
  };
  const warnings: string[] = [];
  let provider = options.provider.kind;

  const sessionOptions = (kind: ProviderKind): ort.InferenceSession.SessionOptions => ({
    executionProviders: executionProviders({ ...options.provider, kind }),
    graphOptimizationLevel: 'all',
    ...(options.threads > 0 ? { intraOpNumThreads: options.threads } : {}),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    // onnxruntime's CPU threads spin after each run by default; the sampler's JavaScript runs
    // right after and would fight them for the same cores. Off: measured faster on 2 cores.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });

  const supported = new Set(ort.listSupportedBackends().map((b) => b.name));
  if (!supported.has(provider)) {
    throw new UnsupportedProviderError(provider, `this onnxruntime-node knows ${[...supported].join(', ')}`);
  }

  let sessions: Graphs<ort.InferenceSession>;
  try {
    sessions = await openSessions(graphKeys(manifest), files, sessionOptions(provider));
  } catch (failure) {
    const { err, file } = failure as { err: unknown; file: string };
    if (provider === 'cpu' || !isProviderUnavailable(err)) throw loadError(file, err);
    warnings.push(
      `execution provider ${provider} is not installed or has no usable GPU (${firstLine(err)}); running on CPU. ` +
        'Install the onnxruntime CUDA/TensorRT libraries, or set model.provider=cpu to silence this.',
    );
    provider = 'cpu';
    try {
      sessions = await openSessions(graphKeys(manifest), files, sessionOptions('cpu'));
    } catch (again) {
      const { err: e2, file: f2 } = again as { err: unknown; file: string };
      throw loadError(f2, e2);
    }
  }
  check(manifest, sessions);
  return { manifest, tokenizer, sessions, provider, warnings, bytes };
}

/** Opens the model's graphs; on failure closes what opened and throws {err, file}. */
async function openSessions(
  keys: GraphKey[],
  files: Graphs<string>,
  so: ort.InferenceSession.SessionOptions,
): Promise<Graphs<ort.InferenceSession>> {
  const sessions = {} as Graphs<ort.InferenceSession>;
  for (const key of keys) {
    try {
      sessions[key] = await ort.InferenceSession.create(files[key]!, so);
    } catch (err) {
      for (const opened of Object.values(sessions)) await opened.release();
      throw { err, file: files[key] };
    }
  }
  return sessions;
}

function check(manifest: ModelManifest, sessions: Graphs<ort.InferenceSession>): void {
  const problems: string[] = [];
  for (const key of graphKeys(manifest)) {
    const s = sessions[key]!;
    problems.push(
      ...checkGraph(
        key,
        manifest.graphs[key]!,
        metadata(s.inputNames, s.inputMetadata),
        metadata(s.outputNames, s.outputMetadata),
      ),
    );
  }
  if (problems.length > 0) throw new ManifestMismatchError(`${manifest.dir}/manifest.json`, problems);
}

function metadata(names: readonly string[], meta: readonly ort.InferenceSession.ValueMetadata[] | undefined) {
  return names.map((name, i) => {
    const m = meta?.[i] as
      { isTensor?: boolean; type?: string; shape?: ReadonlyArray<number | string> } | undefined;
    return { name, type: m?.isTensor ? m.type : undefined, shape: m?.isTensor ? m.shape : undefined };
  });
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}
