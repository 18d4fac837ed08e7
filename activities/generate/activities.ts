import { Context } from '@temporalio/activity';
import type { ReelcastConfig } from '../../config';
import type { ObjectStorage } from '../storage';
import { generateMaster, type GenerateRequest, type GenerateResult } from './generate';
import { sharedInferenceThread, type InferenceThread } from './inference-thread';

export interface GenerateActivityDeps {
  storage: ObjectStorage;
  config: ReelcastConfig;
  inference?: InferenceThread;
}

/** What the workflow gets back: small JSON, no video bytes (timings stay in the worker's logs). */
export type GenerateActivityResult = Omit<GenerateResult, 'timing'>;

/**
 * Activities for the `reelcast-gpu` task queue. Register with
 * `activities: { ...createGenerateActivities({ storage, config }) }` on a worker whose
 * maxConcurrentActivityTaskExecutions is worker.gpuConcurrency.
 *
 * Call from the post workflow with `nonRetryableErrorTypes: [...NON_RETRYABLE_GENERATE_ERRORS]`
 * and a heartbeatTimeout longer than the slowest single onnxruntime call: a denoising step of a
 * real model on a GPU takes seconds, and so does a latent frame of a VAE that decodes a step at a
 * time (Wan's, as models/export writes it); a VAE decoded in one call (vaeDecode.chunkLatentFrames
 * 0, no vaeDecoderStep graph) heartbeats only before and after it, so allow minutes for that one.
 */
export function createGenerateActivities(deps: GenerateActivityDeps) {
  const inference =
    deps.inference ?? sharedInferenceThread({ loadedModels: deps.config.worker.gpuLoadedModels });
  return {
    /** Generates (or finds) the master clip; heartbeats `{step, of, etaSeconds, phase}` every step. */
    async generateClip(request: GenerateRequest): Promise<GenerateActivityResult> {
      const ctx = Context.current();
      let last: Record<string, unknown> = {
        step: 0,
        of: request.steps ?? 0,
        etaSeconds: 0,
        phase: 'loading',
      };
      // Inference runs in a thread, so this event loop stays free: a heartbeat every few seconds
      // proves the worker is alive even while a model loads or a long step runs.
      const keepAlive = setInterval(() => ctx.heartbeat(last), 5000);
      try {
        const { timing: _timing, ...result } = await generateMaster(request, {
          storage: deps.storage,
          config: deps.config,
          inference,
          signal: ctx.cancellationSignal,
          onProgress: (p) => {
            last = { step: p.step, of: p.of, etaSeconds: p.etaSeconds, phase: p.phase };
            ctx.heartbeat(last);
          },
          onWarning: (w) => ctx.log.warn(w),
        });
        return result;
      } catch (err) {
        // Temporal reports the activity as cancelled (not failed, not retried) only when it ends
        // with the CancelledFailure the SDK put on the signal.
        if ((err as Error).name === 'GenerationCancelledError' && ctx.cancellationSignal.aborted) {
          throw ctx.cancellationSignal.reason;
        }
        throw err;
      } finally {
        clearInterval(keepAlive);
      }
    },
  };
}
