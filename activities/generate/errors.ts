/**
 * What can go wrong while generating a clip. Each error has a stable `name` (the workflow's retry
 * policy and `reelcast failures` match on it) and says what to do.
 *
 * Retryable or not is decided here, once:
 * - A missing model file, a manifest that does not match its graphs, an unsupported provider or
 *   request: the same call fails the same way every time. Non-retryable; a person fixes the model
 *   directory or the config and replays.
 * - Out of memory: retryable. GPU memory is shared with whatever else ran on the worker a moment
 *   ago, and the retry runs in a fresh inference thread with freshly loaded sessions; if it keeps
 *   failing the activity's maximumAttempts ends it. A request too big for any machine fails fast
 *   as GenerateRequestError instead.
 * - Inference failures (onnxruntime errors) and ffmpeg failures: retryable, the retry starts clean.
 */

/** The model directory lacks a file its manifest (or the contract) names. */
export class ModelFileMissingError extends Error {
  override readonly name = 'ModelFileMissingError';
  constructor(
    readonly path: string,
    readonly what: string,
  ) {
    super(`${what} not found: ${path}. Check model.dir (REELCAST_MODEL_DIR) and see models/README.md.`);
  }
}

/** manifest.json is not valid, or a graph's real inputs/outputs differ from what it declares. */
export class ManifestMismatchError extends Error {
  override readonly name = 'ManifestMismatchError';
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(
      `${file} does not match the model contract:\n  - ${problems.join('\n  - ')}\nSee models/README.md for the names and shapes each graph must have.`,
    );
  }
}

/** An execution provider that onnxruntime does not know, or a setting it cannot use. */
export class UnsupportedProviderError extends Error {
  override readonly name = 'UnsupportedProviderError';
  constructor(
    readonly provider: string,
    detail: string,
  ) {
    super(`execution provider ${JSON.stringify(provider)} cannot be used: ${detail}`);
  }
}

/** The request itself cannot be generated (sizes not multiples of the model's stride, ...). */
export class GenerateRequestError extends Error {
  override readonly name = 'GenerateRequestError';
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

/** onnxruntime or the allocator ran out of memory. Retryable (see above). */
export class OutOfMemoryError extends Error {
  override readonly name = 'OutOfMemoryError';
  constructor(
    readonly detail: string,
    /** The model that was running, how much its graphs hold, and what to do (memory.ts). */
    readonly model?: { dir: string; bytes: number; advice: string },
  ) {
    super(
      model
        ? `out of memory while generating with the model ${model.dir} (its graphs hold ${formatBytes(model.bytes)}; ` +
            `the clip's tensors come on top): ${detail}. Lower frames/width/height, or: ${model.advice}`
        : `out of memory while generating: ${detail}. Lower frames/width/height, or run on a GPU with more memory.`,
    );
  }
}

/**
 * A model directory does not fit in the memory there is for it: found before loading (its graphs
 * and weights are larger than what is free, the cgroup limit, the GPU's free memory or
 * model.memoryLimitMb), or onnxruntime could not allocate while loading it. Retryable like
 * OutOfMemoryError (memory is shared; a worker at start-up stops with it instead).
 */
export class NotEnoughMemoryError extends Error {
  override readonly name = 'NotEnoughMemoryError';
  constructor(
    readonly dir: string,
    /** Bytes of the graphs and their external data (at least what loading takes). */
    readonly needBytes: number,
    /** Bytes there were for it, and where that figure comes from (undefined: not known). */
    readonly availableBytes: number | undefined,
    what: string,
    advice: string,
  ) {
    super(`not enough memory for the model ${dir}: ${what}. ${advice}`);
  }
}

/** 12.3 MB, 1.50 GB, 2.1 TB: sizes a person reads in an error or in `model check`. */
export function formatBytes(n: number): string {
  if (n >= 1e12) return `${(n / 1e12).toFixed(1)} TB`;
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : `${(n / 1e6).toFixed(1)} MB`;
}

/** A session.run failed for another reason. Retryable. */
export class InferenceError extends Error {
  override readonly name = 'InferenceError';
  constructor(
    readonly stage: string,
    detail: string,
  ) {
    super(`inference failed in ${stage}: ${detail}`);
  }
}

/** ffmpeg could not write the master clip. Retryable. */
export class MasterEncodeError extends Error {
  override readonly name = 'MasterEncodeError';
  constructor(
    readonly exitCode: number | null,
    stderrTail: string,
  ) {
    super(`ffmpeg failed writing the master clip (exit ${exitCode}): ${stderrTail}`);
  }
}

/** The caller cancelled (Temporal cancellation, Ctrl-C). Stops within one sampler step. */
export class GenerationCancelledError extends Error {
  override readonly name = 'GenerationCancelledError';
  constructor(readonly atStep: number) {
    super(`generation cancelled at step ${atStep}`);
  }
}

/** Error names the post workflow lists in `nonRetryableErrorTypes` for the generate activity. */
export const NON_RETRYABLE_GENERATE_ERRORS = [
  'ModelFileMissingError',
  'ManifestMismatchError',
  'UnsupportedProviderError',
  'GenerateRequestError',
] as const;

const ERROR_CLASSES = {
  ModelFileMissingError,
  ManifestMismatchError,
  UnsupportedProviderError,
  GenerateRequestError,
  OutOfMemoryError,
  InferenceError,
  MasterEncodeError,
  GenerationCancelledError,
  NotEnoughMemoryError,
};

export type GenerateErrorName = keyof typeof ERROR_CLASSES;

/** Errors cross the worker-thread boundary as plain data; this rebuilds the typed error. */
export interface SerializedError {
  name: string;
  message: string;
  data: Record<string, unknown>;
}

export function serializeError(err: unknown): SerializedError {
  const e = err instanceof Error ? err : new Error(String(err));
  const data: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) if (k !== 'name' && k !== 'message' && k !== 'stack') data[k] = v;
  return { name: e.name, message: e.message, data };
}

export function deserializeError(s: SerializedError): Error {
  const Class = (ERROR_CLASSES as Record<string, unknown>)[s.name];
  const err: Error = Class ? Object.create((Class as { prototype: object }).prototype) : new Error(s.message);
  Object.assign(err, s.data);
  Object.defineProperty(err, 'message', { value: s.message, enumerable: false, writable: true });
  // Class fields (`name`) are own properties set by constructors, which Object.create skips.
  Object.defineProperty(err, 'name', { value: s.name, enumerable: true, writable: false });
  err.stack = `${s.name}: ${s.message}\n    at (inference worker thread)`;
  return err;
}

/** Maps an onnxruntime failure to the error a caller acts on. */
export function classifyOrtError(stage: string, err: unknown): Error {
  const text = err instanceof Error ? err.message : String(err);
  if (isAllocationFailure(text)) {
    const size = /requested buffer of size (\d+)/.exec(text);
    return new OutOfMemoryError(
      size
        ? `${stage}: onnxruntime could not allocate ${formatBytes(Number(size[1]))} for a tensor`
        : `${stage}: ${text.split('\n')[0]}`,
    );
  }
  return new InferenceError(stage, text.split('\n')[0]);
}

/**
 * An allocation that failed: onnxruntime's CPU allocator (std::bad_alloc, "Failed to allocate
 * memory"), CUDA's (out of memory, CUDNN/CUBLAS_STATUS_ALLOC_FAILED), or V8 refusing a typed
 * array for a tensor ("Array buffer allocation failed").
 */
export function isAllocationFailure(text: string): boolean {
  return /out of memory|bad_alloc|failed to allocate|CUDNN_STATUS_ALLOC_FAILED|CUBLAS_STATUS_ALLOC_FAILED|Array buffer allocation failed/i.test(
    text,
  );
}
