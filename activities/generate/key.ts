import { createHash } from 'node:crypto';
import type { ModelManifest, Precision } from './manifest';
import type { ResolvedRequest } from './pipeline';

/**
 * The storage key of a master clip: a hash of everything that decides its frames (prompt,
 * negative prompt, seed, the model (its id and its manifest's digest: a style exported with a
 * LoRA, or another LoRA scale, records that in its manifest) and precision, sampler parameters,
 * size). Which directory the model was loaded from is left out: the same export copied elsewhere
 * makes the same clips. A retry or a replay
 * asks for the same key and finds the clip, so the GPU never runs twice for it. The execution
 * provider is left out on purpose: CPU and GPU give the same clip up to float rounding.
 */
export function masterKey(
  model: Pick<ModelManifest, 'id' | 'digest'>,
  precision: Precision,
  req: ResolvedRequest,
): string {
  const canonical = JSON.stringify([
    'reelcast-master-v2',
    model.id,
    model.digest,
    precision,
    req.prompt,
    req.negative,
    req.seed,
    req.frames,
    req.width,
    req.height,
    req.steps,
    req.guidance,
    req.sampler,
    req.shift,
  ]);
  return `masters/${createHash('sha256').update(canonical).digest('hex')}.mkv`;
}
