import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { totalmem } from 'node:os';
import { basename } from 'node:path';
import { formatBytes, NotEnoughMemoryError } from './errors';
import {
  completePrecisions,
  graphKeys,
  type GraphKey,
  type Graphs,
  type ModelManifest,
  type Precision,
} from './manifest';
import type { ProviderRequest } from './providers';

/**
 * Does a model directory fit before it loads? A model whose weights do not fit would otherwise
 * fail deep inside onnxruntime (std::bad_alloc, a CUDA allocation error) or get the process
 * killed by the kernel, minutes into loading. Its graphs and their external data (`<graph>.data`)
 * are what loading at least takes; that is compared with the smallest of:
 * - the memory free for this process: process.availableMemory(), which is the cgroup's limit
 *   (/sys/fs/cgroup/memory.max) less what the cgroup uses, when there is a limit;
 * - for cuda/tensorrt, the GPU's free memory as nvidia-smi reports it (onnxruntime-node has no
 *   call that reports device memory; without nvidia-smi the GPU side is not checked);
 * - setting model.memoryLimitMb, a budget for all the models a worker keeps loaded (the other
 *   loaded ones count against it): for a machine shared with other work, or to try out how a
 *   model fits a smaller machine.
 * Allocation failures that get past this check (the clip's own tensors come on top) become the
 * same clear errors (model.ts, inference-worker.ts).
 */

/** Bytes of one graph file and its external data (`<graph>.data`, as the exporter writes it). */
export function graphFileBytes(path: string): number {
  const size = (file: string): number => (existsSync(file) ? statSync(file).size : 0);
  return size(path) + size(`${path}.data`);
}

/** Bytes of each graph the model loads for one precision, its external data included. */
export function graphBytes(manifest: ModelManifest, files: Graphs<string>): Graphs<number> {
  const out = {} as Graphs<number>;
  for (const key of graphKeys(manifest)) out[key] = graphFileBytes(files[key]!);
  return out;
}

/** What a person can do when a model does not fit; `loadedModels` is worker.gpuLoadedModels. */
export function memoryAdvice(manifest: ModelManifest, precision: Precision, loadedModels: number): string {
  const smaller =
    precision === 'fp32' && completePrecisions(manifest).includes('fp16')
      ? 'load its fp16 graphs (setting model.precision: fp16, about half the memory)'
      : precision === 'fp32'
        ? 'export it in fp16 (`reelcast model export --precision fp16`, about half the memory)'
        : 'use a smaller model';
  return (
    `To make it fit: ${smaller}; run it on a machine (or GPU) with more memory; or keep fewer models loaded ` +
    `at once (setting worker.gpuLoadedModels, now ${loadedModels}).`
  );
}

export interface MemoryNeed {
  manifest: ModelManifest;
  precision: Precision;
  files: Graphs<string>;
  provider: ProviderRequest;
  /** Setting model.memoryLimitMb (0 or absent: no budget of its own). */
  memoryLimitMb?: number;
  /** Bytes held by the other models loaded in this process (they count against the budget). */
  otherLoadedBytes: number;
  otherLoadedCount: number;
  loadedModels: number;
}

/** Throws NotEnoughMemoryError when the model's graphs exceed the memory there is; returns their bytes. */
export function checkModelFits(need: MemoryNeed): number {
  const sizes = graphBytes(need.manifest, need.files);
  const bytes = Object.values(sizes).reduce((a, b) => a + b, 0);
  const limits: { bytes: number; where: string }[] = [];

  const constrained = process.constrainedMemory();
  const cgroup = constrained > 0 && constrained < totalmem();
  limits.push({
    bytes: process.availableMemory(),
    where: cgroup
      ? `this process may use ${formatBytes(process.availableMemory())} more (cgroup memory limit ${formatBytes(constrained)})`
      : `the machine has ${formatBytes(process.availableMemory())} of memory free`,
  });
  if (need.memoryLimitMb && need.memoryLimitMb > 0) {
    const budget = need.memoryLimitMb * 1e6;
    const others = need.otherLoadedCount
      ? `, of which ${need.otherLoadedCount} other loaded model(s) hold ${formatBytes(need.otherLoadedBytes)}`
      : '';
    limits.push({
      bytes: budget - need.otherLoadedBytes,
      where: `setting model.memoryLimitMb (REELCAST_MODEL_MEMORY_LIMIT_MB) allows ${formatBytes(budget)}${others}`,
    });
  }
  if (need.provider.kind !== 'cpu') {
    const free = gpuFreeBytes(need.provider.deviceId);
    if (free !== undefined)
      limits.push({
        bytes: free,
        where: `GPU ${need.provider.deviceId} has ${formatBytes(free)} free (nvidia-smi)`,
      });
  }

  const tightest = limits.reduce((a, b) => (b.bytes < a.bytes ? b : a));
  if (bytes > tightest.bytes) {
    const parts = (Object.entries(sizes) as [GraphKey, number][])
      .map(([key, n]) => `${basename(need.files[key]!)} ${formatBytes(n)}`)
      .join(', ');
    throw new NotEnoughMemoryError(
      need.manifest.dir,
      bytes,
      Math.max(0, tightest.bytes),
      `its ${need.precision} graphs and weights need at least ${formatBytes(bytes)} (${parts}), but ${tightest.where}`,
      memoryAdvice(need.manifest, need.precision, need.loadedModels),
    );
  }
  return bytes;
}

/** Free memory of one GPU in bytes, from nvidia-smi; undefined when there is no nvidia-smi to ask. */
function gpuFreeBytes(deviceId: number): number | undefined {
  try {
    const out = execFileSync(
      'nvidia-smi',
      ['--query-gpu=memory.free', '--format=csv,noheader,nounits', '-i', String(deviceId)],
      { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const mib = Number(out.trim().split('\n')[0]);
    return Number.isFinite(mib) ? mib * 1024 * 1024 : undefined;
  } catch {
    return undefined;
  }
}
