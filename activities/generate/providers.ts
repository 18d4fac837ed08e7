import type { InferenceSession } from 'onnxruntime-node';
import { UnsupportedProviderError } from './errors';

export type ProviderKind = 'cpu' | 'cuda' | 'tensorrt';

export interface ProviderRequest {
  kind: ProviderKind;
  deviceId: number;
  /** TensorRT only: where built engines are kept between runs (building one takes minutes). */
  tensorrtCacheDir?: string;
}

type EpConfig = InferenceSession.ExecutionProviderConfig;

/**
 * The execution-provider list for onnxruntime, most preferred first. CPU always comes last, so
 * nodes a GPU provider cannot run still run. TensorRT is paired with CUDA for the same reason.
 */
export function executionProviders(req: ProviderRequest): EpConfig[] {
  switch (req.kind) {
    case 'cpu':
      return ['cpu'];
    case 'cuda':
      return [{ name: 'cuda', deviceId: req.deviceId }, 'cpu'];
    case 'tensorrt':
      return [
        // The engine-cache keys are read by onnxruntime builds that pass provider options through;
        // others read ORT_TENSORRT_ENGINE_CACHE_ENABLE / ORT_TENSORRT_CACHE_PATH (see tensorrtEnv).
        {
          name: 'tensorrt',
          deviceId: req.deviceId,
          trt_engine_cache_enable: true,
          trt_engine_cache_path: req.tensorrtCacheDir,
        } as EpConfig,
        { name: 'cuda', deviceId: req.deviceId },
        'cpu',
      ];
    default:
      throw new UnsupportedProviderError(
        String((req as { kind: unknown }).kind),
        'expected cpu, cuda or tensorrt (setting model.provider)',
      );
  }
}

/** Environment the TensorRT provider reads for its engine cache; set before sessions load. */
export function tensorrtEnv(req: ProviderRequest): Record<string, string> {
  if (req.kind !== 'tensorrt' || !req.tensorrtCacheDir) return {};
  return { ORT_TENSORRT_ENGINE_CACHE_ENABLE: '1', ORT_TENSORRT_CACHE_PATH: req.tensorrtCacheDir };
}

/**
 * True when onnxruntime failed because the provider's libraries are not installed (the npm
 * package ships CPU only; CUDA/TensorRT need their shared libraries): the case that falls back to
 * CPU with a warning rather than failing.
 */
export function isProviderUnavailable(err: unknown): boolean {
  const text = err instanceof Error ? err.message : String(err);
  return /Failed to load shared library|cannot open shared object|not (?:supported|available|compiled)|unknown (?:backend|execution provider)|CUDA driver|no CUDA-capable device|cudaGetDeviceCount|provider_bridge/i.test(
    text,
  );
}
