import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { deserializeError, GenerationCancelledError, type SerializedError } from './errors';
import type { ModelOptions } from './model';
import type { PipelineResult, Progress, ResolvedRequest } from './pipeline';
import { tensorrtEnv, type ProviderKind } from './providers';
import type { LoadMessage, RunMessage } from './inference-worker';

export interface InferenceResult extends PipelineResult {
  provider: ProviderKind;
}

export interface LoadResult {
  provider: ProviderKind;
  /** The model directories loaded in the thread now, least recently used first. */
  loaded: string[];
}

export interface RunCallbacks {
  onProgress?(p: Progress): void;
  onWarning?(message: string): void;
  /**
   * Takes a window of frames (planar gbrp). Resolve only when done with the bytes: the buffer
   * then goes back to the inference thread and is filled with a later window.
   */
  onFrames(planes: Uint8Array, count: number): Promise<void>;
  signal?: AbortSignal;
}

/** Default of setting worker.gpuLoadedModels: model directories a GPU worker keeps loaded. */
export const DEFAULT_LOADED_MODELS = 2;

type FromWorker =
  | { type: 'loaded'; id: number; provider: ProviderKind; warnings: string[] }
  | { type: 'progress'; id: number; seq: number; progress: Progress }
  | { type: 'frames'; id: number; seq: number; planes: Uint8Array; count: number }
  | { type: 'done'; id: number; result: InferenceResult }
  | { type: 'error'; id: number; error: SerializedError };

/**
 * The main-thread handle on the inference worker thread. session.run blocks the thread it runs
 * on, so inference lives in a worker and the event loop (heartbeats, cancellation, ffmpeg) stays
 * free. Jobs run one at a time; sessions stay loaded in the worker between jobs. After a failure
 * other than cancellation or a bad request, the worker is discarded, so a retry starts clean.
 */
export class InferenceThread {
  #worker: Worker | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #nextId = 1;
  readonly #keep: number;

  /** `loadedModels`: model directories kept loaded at once (setting worker.gpuLoadedModels). */
  constructor(options: { loadedModels?: number } = {}) {
    this.#keep = options.loadedModels ?? DEFAULT_LOADED_MODELS;
  }

  run(model: ModelOptions, request: ResolvedRequest, callbacks: RunCallbacks): Promise<InferenceResult> {
    return this.#enqueue(() => this.#run(model, { type: 'run', request }, callbacks));
  }

  /**
   * Loads the model (sessions, graphs checked against the manifest) without generating: a GPU
   * worker calls it at start-up, so a broken model directory fails there with the model check's
   * error, not in the middle of a post. The sessions stay loaded for the first generation.
   */
  async load(model: ModelOptions, onWarning?: (message: string) => void): Promise<LoadResult> {
    const r = await this.#enqueue(() =>
      this.#run(model, { type: 'load' }, { onWarning, onFrames: async () => undefined }),
    );
    return r as unknown as LoadResult;
  }

  #enqueue<T>(start: () => Promise<T>): Promise<T> {
    const job = this.#queue.then(start);
    this.#queue = job.catch(() => undefined);
    return job;
  }

  /** Ends the worker thread (and its sessions). The next run starts a new one. */
  async close(): Promise<void> {
    const w = this.#worker;
    this.#worker = undefined;
    if (w) await w.terminate();
  }

  #run(
    model: ModelOptions,
    job: { type: 'run'; request: ResolvedRequest } | { type: 'load' },
    cb: RunCallbacks,
  ): Promise<InferenceResult> {
    if (cb.signal?.aborted) return Promise.reject(new GenerationCancelledError(0));
    const worker = this.#spawn(model);
    const id = this.#nextId++;
    const cancel = new SharedArrayBuffer(4);
    const flag = new Int32Array(cancel);
    worker.ref();
    return new Promise<InferenceResult>((resolve, reject) => {
      const onAbort = (): void => {
        Atomics.store(flag, 0, 1);
      };
      const finish = (err: Error | undefined, result?: InferenceResult): void => {
        cb.signal?.removeEventListener('abort', onAbort);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        worker.unref();
        if (err) {
          if (err.name !== 'GenerationCancelledError' && err.name !== 'GenerateRequestError')
            void this.#discard(worker);
          reject(err);
        } else resolve(result!);
      };
      const onMessage = (msg: FromWorker): void => {
        if (msg.id !== id) return;
        switch (msg.type) {
          case 'loaded':
            for (const w of msg.warnings) cb.onWarning?.(w);
            break;
          case 'progress':
            try {
              cb.onProgress?.(msg.progress);
              worker.postMessage({ type: 'ack', seq: msg.seq });
            } catch (err) {
              // A failing progress callback (heartbeat) ends this job, not the process.
              Atomics.store(flag, 0, 1);
              finish(err as Error);
            }
            break;
          case 'frames':
            cb.onFrames(msg.planes, msg.count).then(
              // The bytes are in ffmpeg's pipe: hand the buffer back for the next window.
              () =>
                worker.postMessage({ type: 'ack', seq: msg.seq, buffer: msg.planes.buffer }, [
                  msg.planes.buffer as ArrayBuffer,
                ]),
              (err: Error) => {
                // The consumer failed (ffmpeg died): stop the job at the next step boundary.
                Atomics.store(flag, 0, 1);
                finish(err);
              },
            );
            break;
          case 'done':
            finish(undefined, msg.result);
            break;
          case 'error':
            finish(deserializeError(msg.error));
            break;
        }
      };
      const onError = (err: Error): void => finish(err);
      const onExit = (code: number): void => finish(new Error(`inference thread exited with code ${code}`));
      cb.signal?.addEventListener('abort', onAbort, { once: true });
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      const msg: RunMessage | LoadMessage =
        job.type === 'run'
          ? { type: 'run', id, model, request: job.request, cancel, keep: this.#keep }
          : { type: 'load', id, model, keep: this.#keep };
      worker.postMessage(msg);
    });
  }

  async #discard(worker: Worker): Promise<void> {
    if (this.#worker === worker) this.#worker = undefined;
    await worker.terminate().catch(() => undefined);
  }

  #spawn(model: ModelOptions): Worker {
    if (this.#worker) return this.#worker;
    // The TensorRT provider reads its engine-cache settings from the process environment.
    Object.assign(process.env, tensorrtEnv(model.provider));
    const file = join(__dirname, `inference-worker${__filename.endsWith('.ts') ? '.ts' : '.js'}`);
    const worker = startWorker(file);
    worker.unref();
    worker.on('error', () => {
      if (this.#worker === worker) this.#worker = undefined;
    });
    worker.on('exit', () => {
      if (this.#worker === worker) this.#worker = undefined;
    });
    this.#worker = worker;
    return worker;
  }
}

/**
 * A worker thread running `file`, with `data` as `workerData.data`. From TypeScript sources
 * (jest) the worker's modules are compiled on the fly with @swc/core. onnxruntime needs a thread
 * of its own under jest anyway: the test sandbox's typed arrays are not the ones it checks for.
 */
export function startWorker(file: string, data?: unknown): Worker {
  return file.endsWith('.ts')
    ? new Worker(TS_BOOTSTRAP, { eval: true, workerData: { file, swc: require.resolve('@swc/core'), data } })
    : new Worker(file, { workerData: { data } });
}

const TS_BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const { transformSync } = require(workerData.swc);
require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename, module: { type: 'commonjs' }, jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
  });
  module._compile(code, filename);
};
require(workerData.file);
`;

let shared: InferenceThread | undefined;

/**
 * The process's inference thread: sessions are loaded once per process and reused. The first
 * call's options decide (a worker passes its config's; later callers get the same thread).
 */
export function sharedInferenceThread(options: { loadedModels?: number } = {}): InferenceThread {
  return (shared ??= new InferenceThread(options));
}
