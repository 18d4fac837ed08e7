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
import type { Tensor } from '@tensorflow/tfjs';
// nsfwjs/core's types; its exports map serves the file as `nsfwjs/core`, which this tsconfig's
// module resolution does not read.
import type * as NsfwCore from 'nsfwjs/dist/cjs/core';
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

/** The process's classifier, loaded on first use. A failed load is retried by the next call. */
export function loadClassifier(): Promise<Classifier> {
  loading ??= load().catch((err: unknown) => {
    loading = undefined;
    throw err;
  });
  return loading;
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

async function load(): Promise<Classifier> {
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
  loads += 1;
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
