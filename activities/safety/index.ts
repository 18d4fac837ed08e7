/** The content gate: sampled frames of a master, classified, judged against per-class thresholds. */
export { createSafetyActivities, type SafetyActivities, type SafetyActivityDeps } from './activities';
export {
  CLASSIFIER_INPUT_SIZE,
  classifierLoads,
  closeClassifier,
  GATE_NICENESS,
  loadClassifier,
  type Classifier,
  type ClassifierInfo,
} from './classifier';
export * from './errors';
export {
  checkContent,
  classifierId,
  readCheck,
  type GateDeps,
  type GateRequest,
  type GateVerdict,
  type StoredGateCheck,
} from './gate';
export { MAX_FRAMES_PER_CLIP, SAMPLED_FRAMES, sampleFrames, type FrameSample } from './sampling';
export * from './thresholds';
