/**
 * The classifier: nsfwjs (MIT) with the MobileNetV2 weights its npm package bundles, on
 * TensorFlow.js' WebAssembly backend (the .wasm files ship in @tensorflow/tfjs-backend-wasm). No
 * native add-on and no download: loading reads files under node_modules only.
 *
 * Loading takes seconds (the weights are decoded and the graph warmed up), so a worker process
 * loads it once (a media worker when it starts, worker/worker.ts) and keeps it: every gate in that
 * process reuses it.
 *
 * It runs on a worker thread of its own (classifier-thread.ts) at a lower priority: a clip's
 * classification (about 0.4 CPU s) neither blocks the worker's event loop (heartbeats, other
 * activities) nor takes CPU from the transcode running beside it (gate.ts, GATE_NICENESS).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Tensor } from '@tensorflow/tfjs';
// nsfwjs/core's types; its exports map serves the file as `nsfwjs/core`, which this tsconfig's
// module resolution does not read.
import type * as NsfwCore from 'nsfwjs/dist/cjs/core';
import { startWorker } from '../generate/inference-thread';
import { SAFETY_CLASSES, type SafetyClass } from './thresholds';

export const CLASSIFIER_INPUT_SIZE = 224;

/**
 * The gate runs beside the post's transcode, which seldom keeps every core busy (one filter graph
 * thread paces it): at a lower priority the gate's work fills those gaps instead of slowing the
 * transcode, and on an idle machine it runs as fast as ever (bench/gate.bench.ts).
 */
export const GATE_NICENESS = 10;
const MODEL = 'MobileNetV2';

export interface ClassifierInfo {
  name: 'nsfwjs';
  version: string;
  model: string;
  backend: string;
}

export interface Classifier {
  info: ClassifierInfo;
  /**
   * Probabilities of the five classes for each 224×224 RGB frame (224·224·3 bytes each), as one
   * batch: one forward pass for a clip's frames.
   */
  classify(frames: Uint8Array[]): Promise<Array<Record<SafetyClass, number>>>;
}

let loading: Promise<Classifier> | undefined;
let loads = 0;

/** How many times this process loaded the model (1 after the first gate, whatever came after). */
export function classifierLoads(): number {
  return loads;
}

/**
 * The process's classifier, loaded on first use on its own thread, whose priority is lowered by
 * GATE_NICENESS where the system allows it. A failed load, or a thread that died, is started again
 * by the next call.
 */
export function loadClassifier(): Promise<Classifier> {
  if (loading) return loading;
  // Forgotten when its thread fails or stops, unless a newer thread has taken its place.
  const forget = (): void => {
    if (loading === mine) loading = undefined;
  };
  const mine: Promise<Classifier> = startClassifierThread(GATE_NICENESS, forget).then(
    (classifier) => {
      loads += 1;
      return classifier;
    },
    (err: unknown) => {
      forget();
      throw err;
    },
  );
  loading = mine;
  return mine;
}

let closeCurrent: (() => Promise<void>) | undefined;

/** Stops the classifier's thread (a worker that shuts down); the next gate starts a new one. */
export async function closeClassifier(): Promise<void> {
  const close = closeCurrent;
  closeCurrent = undefined;
  loading = undefined;
  await close?.();
}

type ThreadReply =
  | { type: 'ready'; info: ClassifierInfo }
  | { type: 'scores'; id: number; scores: Array<Record<SafetyClass, number>> }
  | { type: 'failed'; id?: number; message: string };

function startClassifierThread(niceness: number, stopped: () => void): Promise<Classifier> {
  const file = join(__dirname, `classifier-thread${__filename.endsWith('.ts') ? '.ts' : '.js'}`);
  const worker = startWorker(file, { niceness });
  closeCurrent = async () => {
    await worker.terminate();
  };
  const pending = new Map<
    number,
    { resolve: (s: Array<Record<SafetyClass, number>>) => void; reject: (e: Error) => void }
  >();
  let nextId = 0;
  // The thread keeps the process alive while it loads or classifies, never while it waits.
  const idle = (): void => {
    if (pending.size === 0) worker.unref();
  };
  return new Promise<Classifier>((resolveLoad, rejectLoad) => {
    let failed = false;
    const fail = (err: Error): void => {
      if (failed) return;
      failed = true;
      stopped();
      rejectLoad(err);
      for (const p of pending.values()) p.reject(err);
      pending.clear();
      void worker.terminate();
    };
    worker.on('error', fail);
    worker.on('exit', (code) =>
      fail(new Error(`the content classifier's thread stopped (exit code ${code})`)),
    );
    worker.on('message', (reply: ThreadReply) => {
      if (reply.type === 'ready') {
        idle();
        resolveLoad({
          info: reply.info,
          classify(frames) {
            if (frames.length === 0) return Promise.resolve([]);
            const id = nextId++;
            return new Promise((resolve, reject) => {
              pending.set(id, { resolve, reject });
              worker.ref();
              worker.postMessage({ id, frames: frames.map((f) => Uint8Array.from(f)) });
            });
          },
        });
        return;
      }
      if (reply.type === 'failed' && reply.id === undefined) return fail(new Error(reply.message));
      const p = pending.get(reply.id!);
      pending.delete(reply.id!);
      idle();
      if (reply.type === 'scores') p?.resolve(reply.scores);
      else p?.reject(new Error(reply.message));
    });
  });
}

const packageDir = (): string => join(dirname(require.resolve('nsfwjs')), '..', '..');

/** nsfwjs' version, from its package.json (its exports map does not expose the file). */
export function classifierVersion(): string {
  return (JSON.parse(readFileSync(join(packageDir(), 'package.json'), 'utf8')) as { version: string })
    .version;
}

/**
 * The bundled MobileNetV2 files, required directly: nsfwjs' own loaders pass the 3.5 MB base64
 * weight string through TypeScript's __importStar, which copies it character by character
 * (15 s of a load's 17 s here). Same files, same model, loaded through nsfwjs/core's
 * modelDefinitions option.
 */
function bundledModel(): NsfwCore.ModelDefinition {
  const dir = join(packageDir(), 'dist', 'models', 'mobilenet_v2');
  const bundle = (file: string) => async () => ({ default: require(join(dir, file)) as never });
  return {
    name: MODEL,
    numOfWeightBundles: 1,
    modelJson: bundle('model.min.js'),
    weightBundles: [bundle('group1-shard1of1.min.js')],
  };
}

/** Loads the model on the calling thread (classifier-thread.ts calls it on its own). */
export async function loadInThisThread(): Promise<Classifier> {
  // Loaded lazily: a worker that never gates (a GPU-only host) never pays for TensorFlow.js.
  const tf = await import('@tensorflow/tfjs');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(
    `${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`,
  );
  if (!(await tf.setBackend('wasm'))) throw new Error('TensorFlow.js could not start its wasm backend');
  await tf.ready();
  const nsfwjs = require(join(packageDir(), 'dist', 'cjs', 'core.js')) as typeof NsfwCore;
  // nsfwjs announces the model on the console; a worker's log is not the place for it.
  const info = console.info;
  console.info = () => undefined;
  let model: Awaited<ReturnType<typeof nsfwjs.load>>;
  try {
    model = await nsfwjs.load(MODEL, { modelDefinitions: [bundledModel()] });
  } finally {
    console.info = info;
  }
  const size = CLASSIFIER_INPUT_SIZE;
  const frameBytes = size * size * 3;
  return {
    info: { name: 'nsfwjs', version: classifierVersion(), model: MODEL, backend: tf.getBackend() },
    async classify(frames) {
      if (frames.length === 0) return [];
      const pixels = new Float32Array(frames.length * frameBytes);
      frames.forEach((rgb, k) => {
        if (rgb.length !== frameBytes)
          throw new Error(`a frame for the classifier must be ${size}x${size} RGB (${frameBytes} bytes)`);
        // nsfwjs' own preprocessing (NSFWJS.infer): RGB scaled to [0, 1].
        for (let i = 0; i < frameBytes; i++) pixels[k * frameBytes + i] = rgb[i] / 255;
      });
      const output = tf.tidy(
        () => model.model.predict(tf.tensor4d(pixels, [frames.length, size, size, 3])) as Tensor,
      );
      try {
        // The model's output is already softmax probabilities, in NSFW_CLASSES order.
        const values = await output.data();
        return frames.map(
          (_, k) =>
            Object.fromEntries(
              SAFETY_CLASSES.map((c, i) => [c, values[k * SAFETY_CLASSES.length + i]]),
            ) as Record<SafetyClass, number>,
        );
      } finally {
        output.dispose();
      }
    },
  };
}
