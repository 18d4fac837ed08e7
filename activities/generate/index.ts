/** Text-to-video generation: prompt -> lossless master clip in storage. See models/README.md. */
export {
  createGenerateActivities,
  type GenerateActivityDeps,
  type GenerateActivityResult,
} from './activities';
export {
  DEFAULT_SIZE,
  generateMaster,
  modelDir,
  modelOptions,
  resolveRequest,
  type GenerateDeps,
  type GenerateRequest,
  type GenerateResult,
} from './generate';
export * from './errors';
export { InferenceThread, sharedInferenceThread } from './inference-thread';
export { masterKey } from './key';
export {
  checkModelDir,
  loadManifest,
  SAMPLER_KINDS,
  type ModelManifest,
  type Precision,
  type SamplerKind,
} from './manifest';
export { MASTER_CONTENT_TYPE } from './master';
export type { Progress } from './pipeline';
