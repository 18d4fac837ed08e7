/**
 * The classifier: nsfwjs (MIT) with the MobileNetV2 weights its npm package bundles, on
 * TensorFlow.js' WebAssembly backend (the .wasm files ship in @tensorflow/tfjs-backend-wasm). No
 * native add-on and no download: loading reads files under node_modules only.
 *
 * Loading takes seconds (the weights are decoded and the graph warmed up), so a worker process
 * loads it once, on its first gate, and keeps it: every later gate in that process reuses it.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SAFETY_CLASSES, type SafetyClass } from './thresholds';

export const CLASSIFIER_INPUT_SIZE = 224;
const MODEL = 'MobileNetV2';

export interface ClassifierInfo {
  name: 'nsfwjs';
  version: string;
  model: string;
  backend: string;
}

export interface Classifier {
  info: ClassifierInfo;
  /** Probabilities of the five classes for one 224×224 RGB frame (224·224·3 bytes). */
  classify(rgb: Uint8Array): Promise<Record<SafetyClass, number>>;
}

let loading: Promise<Classifier> | undefined;
/** How many times this process loaded the model (1 after the first gate; the bench reads it). */
export let classifierLoads = 0;

/** The process's classifier, loaded on first use. A failed load is retried by the next call. */
export function loadClassifier(): Promise<Classifier> {
  loading ??= load().catch((err: unknown) => {
    loading = undefined;
    throw err;
  });
  return loading;
}

/** nsfwjs' version, from its package.json (its exports map does not expose the file). */
export function classifierVersion(): string {
  const pkg = join(dirname(require.resolve('nsfwjs')), '..', '..', 'package.json');
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
}

async function load(): Promise<Classifier> {
  // Loaded lazily: a worker that never gates (a GPU-only host) never pays for TensorFlow.js.
  const tf = await import('@tensorflow/tfjs');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(
    `${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`,
  );
  if (!(await tf.setBackend('wasm'))) throw new Error('TensorFlow.js could not start its wasm backend');
  await tf.ready();
  const nsfwjs = await import('nsfwjs');
  const model = await nsfwjs.load(MODEL);
  classifierLoads += 1;
  const size = CLASSIFIER_INPUT_SIZE;
  return {
    info: { name: 'nsfwjs', version: classifierVersion(), model: MODEL, backend: tf.getBackend() },
    async classify(rgb) {
      if (rgb.length !== size * size * 3)
        throw new Error(`a frame for the classifier must be ${size}x${size} RGB (${size * size * 3} bytes)`);
      const image = tf.tensor3d(Int32Array.from(rgb), [size, size, 3], 'int32');
      try {
        const predictions = await model.classify(image, SAFETY_CLASSES.length);
        const scores = Object.fromEntries(SAFETY_CLASSES.map((c) => [c, 0])) as Record<SafetyClass, number>;
        for (const p of predictions) scores[p.className as SafetyClass] = p.probability;
        return scores;
      } finally {
        image.dispose();
      }
    },
  };
}
