import { parentPort } from 'node:worker_threads';
import { isAllocationFailure, OutOfMemoryError, serializeError } from './errors';
import { memoryAdvice } from './memory';
import { loadedModelDirs, loadModel, type LoadedModel, type ModelOptions } from './model';
import { runPipeline, type ResolvedRequest } from './pipeline';

/**
 * The inference thread's side: keeps the model sessions open across jobs (loadModel caches
 * them) and runs one job at a time. Every message carries the job id; see inference-thread.ts.
 */

export interface RunMessage {
  type: 'run';
  id: number;
  model: ModelOptions;
  request: ResolvedRequest;
  /** Int32 flag the caller sets to 1 to cancel; read before every step. */
  cancel: SharedArrayBuffer;
  /** Model directories kept loaded (least recently used ones are closed). */
  keep: number;
}

/** Loads (or finds) a model without generating: the worker's start-up check. */
export interface LoadMessage {
  type: 'load';
  id: number;
  model: ModelOptions;
  keep: number;
}

export type ToWorker = RunMessage | LoadMessage | { type: 'ack'; seq: number; buffer?: ArrayBuffer };

const port = parentPort;
if (!port) throw new Error('inference-worker.ts runs as a worker thread (see inference-thread.ts)');

const acks = new Map<number, () => void>();
// Frame buffers come back once ffmpeg has them; reusing them keeps memory flat however long the clip.
const framePool: ArrayBuffer[] = [];

function frameBuffer(bytes: number): Uint8Array {
  const i = framePool.findIndex((b) => b.byteLength === bytes);
  if (i >= 0) return new Uint8Array(framePool.splice(i, 1)[0]);
  if (framePool.length > 4) framePool.shift(); // sizes of an earlier clip
  return new Uint8Array(bytes);
}
let nextSeq = 1;

/** Posts a message and resolves when the main thread acknowledges its sequence number. */
function request(message: object, transfer: ArrayBuffer[] = []): Promise<void> {
  const seq = nextSeq++;
  return new Promise<void>((resolve) => {
    acks.set(seq, resolve);
    port!.postMessage({ ...message, seq }, transfer);
  });
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'ack') {
    if (msg.buffer) framePool.push(msg.buffer);
    acks.get(msg.seq)?.();
    acks.delete(msg.seq);
    return;
  }
  if (msg.type === 'load') void load(msg);
  else void run(msg);
});

async function load(msg: LoadMessage): Promise<void> {
  try {
    const model = await loadModel(msg.model, msg.keep);
    port!.postMessage({ type: 'loaded', id: msg.id, provider: model.provider, warnings: model.warnings });
    port!.postMessage({
      type: 'done',
      id: msg.id,
      result: { provider: model.provider, loaded: loadedModelDirs() },
    });
  } catch (err) {
    port!.postMessage({ type: 'error', id: msg.id, error: serializeError(err) });
  }
}

async function run(msg: RunMessage): Promise<void> {
  const cancel = new Int32Array(msg.cancel);
  let model: LoadedModel | undefined;
  try {
    model = await loadModel(msg.model, msg.keep);
    port!.postMessage({ type: 'loaded', id: msg.id, provider: model.provider, warnings: model.warnings });
    const result = await runPipeline(model, msg.request, {
      isCancelled: () => Atomics.load(cancel, 0) === 1,
      // Acknowledged progress keeps the worker at most one step ahead of what the caller has
      // seen, so a cancel sent on a heartbeat stops the generation within one step.
      onProgress: (progress) => request({ type: 'progress', id: msg.id, progress }),
      // Wait until the caller has handed the frames to ffmpeg: memory stays one window deep.
      frameBuffer,
      emitFrames: (planes, count) =>
        request({ type: 'frames', id: msg.id, planes, count }, [planes.buffer as ArrayBuffer]),
    });
    port!.postMessage({ type: 'done', id: msg.id, result: { ...result, provider: model.provider } });
  } catch (err) {
    port!.postMessage({ type: 'error', id: msg.id, error: serializeError(outOfMemory(err, model, msg)) });
  }
}

/**
 * An allocation that failed while a clip was made (onnxruntime's, or V8's for a tensor) names
 * the model, what its graphs hold and what to do; other errors pass through.
 */
function outOfMemory(err: unknown, model: LoadedModel | undefined, msg: RunMessage): unknown {
  const text = err instanceof Error ? err.message : String(err);
  if (
    !model ||
    !(err instanceof OutOfMemoryError || (err instanceof RangeError && isAllocationFailure(text)))
  )
    return err;
  const detail = err instanceof OutOfMemoryError ? err.detail : `making a clip: ${text}`;
  return new OutOfMemoryError(detail, {
    dir: model.manifest.dir,
    bytes: model.bytes,
    advice: memoryAdvice(model.manifest, msg.model.precision, msg.keep),
  });
}
