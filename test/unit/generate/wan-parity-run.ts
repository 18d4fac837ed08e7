import { parentPort, workerData } from 'node:worker_threads';
import { loadModel } from '../../../activities/generate/model';
import { runPipeline, type ResolvedRequest } from '../../../activities/generate/pipeline';

/**
 * Worker side of wan-parity.test.ts: runs Reelcast's pipeline on a model directory in a thread of
 * its own (onnxruntime cannot take the jest sandbox's typed arrays) and posts back what the test
 * compares with diffusers: the text encoder's output, the latents after each step, the frames.
 */
const { dir, request, precision } = (
  workerData as { data: { dir: string; request: ResolvedRequest; precision?: 'fp32' | 'fp16' } }
).data;

void (async () => {
  const model = await loadModel({
    dir,
    precision: precision ?? 'fp32',
    threads: 1,
    provider: { kind: 'cpu', deviceId: 0 },
  });
  const text: Float32Array[] = [];
  const steps: Float32Array[] = [];
  const frames: Uint8Array[] = [];
  await runPipeline(model, request, {
    isCancelled: () => false,
    onProgress: async () => undefined,
    emitFrames: async (planes) => void frames.push(planes.slice()),
    inspect: {
      text: (data) => void text.push(data.slice()),
      latents: (_i, latents) => void steps.push(latents.slice()),
    },
  });
  parentPort!.postMessage({ text: text[0], steps, frames });
})().catch((err: Error) => parentPort!.postMessage({ error: `${err.name}: ${err.message}` }));
