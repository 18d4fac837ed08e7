/**
 * The content gate, callable without Temporal: master key in storage → verdict.
 *
 *  1. The stored check `safety/<hash>/<classifier>.json` exists → its scores are judged against
 *     this post's thresholds; nothing is decoded or classified (a retry, a replay, a second post
 *     or channel of the same master).
 *  2. Otherwise: download the master to a temp folder, probe it, decode the sampled frames
 *     (sampling.ts) with ffmpeg, classify each, store every sampled frame as a JPEG and the scores
 *     as the check (a conditional create: when two posts check one master at once, the first
 *     stored check stays), then judge it.
 * Thresholds are applied on every call, so a campaign that changes them is judged anew from the
 * same stored scores.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FfmpegPaths } from '../media/ffmpeg';
import { probeSource } from '../media/probe';
import { download } from '../media/transcode';
import { ObjectNotFoundError, safetyKeys, type ObjectStorage } from '../storage';
import { classifierVersion, GATE_NICENESS, loadClassifier, type ClassifierInfo } from './classifier';
import { MasterUnreadableError } from './errors';
import { decodeFrames } from './frames';
import { SAMPLED_FRAMES, sampleFrames } from './sampling';
import {
  heldReason,
  peakScores,
  resolveThresholds,
  tripOf,
  type FrameScores,
  type SafetyClass,
  type SafetyThresholds,
  type SafetyTrip,
} from './thresholds';

export interface GateRequest {
  masterKey: string;
  /** The post's thresholds (PostSpec.safety); missing classes take the defaults. */
  thresholds?: Partial<SafetyThresholds>;
  /** Recorded in a new stored check, for people reading it. */
  postId?: string;
}

/** The stored check of one master by one classifier. */
export interface StoredGateCheck {
  kind: 'reelcast-content-gate';
  masterKey: string;
  classifier: ClassifierInfo;
  /** Frames in the master, and how many were sampled besides the poster frame. */
  sampling: { totalFrames: number; spread: number };
  frames: FrameScores[];
  /** The thresholds of the post that made the check (each later post judges with its own). */
  thresholds: SafetyThresholds;
  postId?: string;
  createdAt: string;
  /** Time spent classifying (not decoding), ms. */
  classifyMs: number;
}

/** What the workflow keeps: small, with the tripping frame's key when the clip is held. */
export interface GateVerdict {
  passed: boolean;
  /** The stored check (scores of every sampled frame). */
  resultKey: string;
  /** e.g. nsfwjs 4.4.0 MobileNetV2 (wasm). */
  classifier: string;
  thresholds: SafetyThresholds;
  /** Highest score of each class over the sampled frames. */
  peak: Record<SafetyClass, number>;
  frames: number;
  /** When the check was made; unchanged when it is reused. */
  createdAt: string;
  /** True when a stored check was judged and nothing was classified. */
  reused: boolean;
  trip?: SafetyTrip;
  /** What a person reads when the clip is held: class, score, threshold and the frame's key. */
  heldReason?: string;
}

export interface GateDeps {
  storage: ObjectStorage;
  ffmpeg: FfmpegPaths;
  signal?: AbortSignal;
  tmpRoot?: string;
  onProgress?: (progress: { stage: 'download' | 'decode' | 'classify'; of?: number }) => void;
}

const WORK_DIR_PREFIX = 'reelcast-gate-';

/** Names the classifier and the sampling in storage keys, e.g. nsfwjs-4-4-0-mobilenetv2-s8. */
export function classifierId(): string {
  return `nsfwjs-${classifierVersion().replace(/[^0-9a-z]+/gi, '-')}-mobilenetv2-s${SAMPLED_FRAMES}`;
}

export async function checkContent(request: GateRequest, deps: GateDeps): Promise<GateVerdict> {
  const thresholds = resolveThresholds(request.thresholds);
  const keys = safetyKeys(request.masterKey, classifierId());
  const stored = await readCheck(deps.storage, keys.result);
  if (stored) return judge(stored, keys.result, thresholds, true);
  const check = await classifyMaster(request, thresholds, keys, deps);
  const created = await deps.storage.createIfAbsent(keys.result, JSON.stringify(check, null, 2), {
    contentType: 'application/json',
  });
  // Another post checked the same master meanwhile: its check is the one kept and reused.
  const kept = created ? check : ((await readCheck(deps.storage, keys.result)) ?? check);
  return judge(kept, keys.result, thresholds, !created);
}

function judge(
  check: StoredGateCheck,
  resultKey: string,
  thresholds: SafetyThresholds,
  reused: boolean,
): GateVerdict {
  const trip = tripOf(check.frames, thresholds);
  const c = check.classifier;
  return {
    passed: !trip,
    resultKey,
    classifier: `${c.name} ${c.version} ${c.model} (${c.backend})`,
    thresholds,
    peak: peakScores(check.frames),
    frames: check.frames.length,
    createdAt: check.createdAt,
    reused,
    ...(trip ? { trip, heldReason: heldReason(trip) } : {}),
  };
}

/** The stored check, or undefined when there is none (or it is not one: then it is made again). */
export async function readCheck(storage: ObjectStorage, key: string): Promise<StoredGateCheck | undefined> {
  let text: string;
  try {
    text = (await storage.getBuffer(key)).toString('utf8');
  } catch (err) {
    if (err instanceof ObjectNotFoundError) return undefined;
    throw err;
  }
  try {
    const check = JSON.parse(text) as StoredGateCheck;
    return check.kind === 'reelcast-content-gate' && Array.isArray(check.frames) && check.frames.length > 0
      ? check
      : undefined;
  } catch {
    return undefined;
  }
}

async function classifyMaster(
  request: GateRequest,
  thresholds: SafetyThresholds,
  keys: ReturnType<typeof safetyKeys>,
  deps: GateDeps,
): Promise<StoredGateCheck> {
  const { storage, signal } = deps;
  const workDir = await mkdtemp(join(deps.tmpRoot ?? tmpdir(), WORK_DIR_PREFIX));
  try {
    const clip = join(workDir, 'master');
    deps.onProgress?.({ stage: 'download' });
    await downloadMaster(storage, request.masterKey, clip, signal);

    deps.onProgress?.({ stage: 'decode' });
    const tools = { ffprobePath: deps.ffmpeg.ffprobePath, signal };
    const source = await probeSource(clip, request.masterKey, tools).catch(unreadable(request.masterKey));
    const totalFrames = Math.max(1, Math.round(source.durationSeconds * source.fps));
    const samples = sampleFrames(totalFrames);
    const decoded = await decodeFrames(clip, samples, source.fps, workDir, {
      ffmpeg: deps.ffmpeg,
      signal,
      niceness: GATE_NICENESS,
    }).catch(unreadable(request.masterKey));

    const classifier = await loadClassifier();
    const started = performance.now();
    deps.onProgress?.({ stage: 'classify', of: samples.length });
    const scores = await classifier.classify(decoded.rgb);
    const frames: FrameScores[] = samples.map((sample, k) => ({
      index: sample.index,
      atSeconds: Number((sample.index / source.fps).toFixed(3)),
      poster: sample.poster,
      frameKey: keys.frame(sample.index),
      scores: scores[k],
    }));
    const classifyMs = performance.now() - started;
    await Promise.all(
      frames.map((f, k) => storage.putFile(f.frameKey, decoded.jpegs[k], { contentType: 'image/jpeg' })),
    );
    return {
      kind: 'reelcast-content-gate',
      masterKey: request.masterKey,
      classifier: classifier.info,
      sampling: { totalFrames, spread: SAMPLED_FRAMES },
      frames,
      thresholds,
      ...(request.postId ? { postId: request.postId } : {}),
      createdAt: new Date().toISOString(),
      classifyMs: Math.round(classifyMs),
    };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** The media stage's download; a master that is not there is not fixed by a retry. */
async function downloadMaster(
  storage: ObjectStorage,
  key: string,
  path: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  await download(storage, key, path, signal).catch((err: unknown) => {
    throw err instanceof ObjectNotFoundError
      ? new MasterUnreadableError(key, 'no object is stored under it')
      : err;
  });
}

/** A master ffprobe or ffmpeg cannot read is not fixed by a retry. */
function unreadable(key: string) {
  return (err: Error): never => {
    if (err.name === 'MediaToolMissingError' || signal(err)) throw err;
    throw new MasterUnreadableError(key, err.message.replace(/^.*?: /, ''));
  };
}

/** Cancellation (Temporal's CancelledFailure, an AbortError) passes through unchanged. */
function signal(err: Error): boolean {
  return (
    err.name === 'CancelledFailure' || err.name === 'AbortError' || err.name === 'TranscodeCancelledError'
  );
}
