import {
  ActivityFailure,
  ApplicationFailure,
  TimeoutFailure,
  allHandlersFinished,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Channel, PostSpec } from '../activities/calendar/types';
import type { createGenerateActivities } from '../activities/generate/activities';
import type { MediaActivities } from '../activities/media/activities';
import type { PresetName } from '../activities/media/presets';
import type { createNotifyActivities, NotifyEvent } from '../activities/notify';
import type { createPublishActivities, PublishOutcome } from '../activities/publish';
import type { GateVerdict, SafetyActivities } from '../activities/safety';
import { NON_RETRYABLE_GENERATE_ERRORS } from '../activities/generate/errors';
import { NON_RETRYABLE_MEDIA_ERRORS } from '../activities/media/errors';
import { NON_RETRYABLE_NOTIFY_ERRORS } from '../activities/notify/errors';
import { NON_RETRYABLE_PUBLISH_ERRORS } from '../activities/publish/errors';
import { NON_RETRYABLE_SAFETY_ERRORS } from '../activities/safety/errors';
import { presetFor } from '../activities/publish/channel-table';
import { PATCHES } from './patches';
import { taskQueues } from './queues';

type GenerateActivities = ReturnType<typeof createGenerateActivities>;
type PublishActivities = ReturnType<typeof createPublishActivities>;
type NotifyActivities = ReturnType<typeof createNotifyActivities>;

const queues = () => taskQueues(workflowInfo().taskQueue);

const generating = () =>
  proxyActivities<GenerateActivities>({
    taskQueue: queues().gpu,
    // A real model on a GPU takes minutes per clip. The activity heartbeats every few seconds from
    // its event loop while inference runs in a thread, so a dead worker is noticed in 30 s.
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: '30 seconds',
    retry: {
      maximumAttempts: 5,
      initialInterval: '10 seconds',
      nonRetryableErrorTypes: [...NON_RETRYABLE_GENERATE_ERRORS],
    },
  });

const transcoding = () =>
  proxyActivities<MediaActivities>({
    taskQueue: queues().media,
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: '1 minute',
    retry: {
      maximumAttempts: 5,
      initialInterval: '5 seconds',
      nonRetryableErrorTypes: [...NON_RETRYABLE_MEDIA_ERRORS],
    },
  });

/**
 * Publishing, with a schedule-to-start bound: when no publish worker picks the task up before the
 * deadline (the end of the lateness window), the post is skipped rather than published too late.
 */
function publisher(deadline: string | undefined): PublishActivities['publishToChannel'] {
  return proxyActivities<PublishActivities>({
    taskQueue: queues().publish,
    scheduleToStartTimeout: deadline ? Math.max(1000, msUntil(deadline)) : '1 hour',
    startToCloseTimeout: '15 minutes',
    heartbeatTimeout: '2 minutes',
    // 429s carry their own wait (nextRetryDelay); the ledger makes every attempt at-most-once.
    retry: {
      maximumAttempts: 8,
      initialInterval: '5 seconds',
      maximumInterval: '5 minutes',
      nonRetryableErrorTypes: [...NON_RETRYABLE_PUBLISH_ERRORS],
    },
  }).publishToChannel;
}

/**
 * Tells the calendar's people (e-mail, chat webhook) about a stage change, without waiting: the
 * post goes on whether or not the message gets through. The activity sends each (post, event)
 * once, so its retries and a replayed failure never send twice.
 */
function tellPeople(spec: PostSpec, event: NotifyEvent, reason?: string): void {
  if (!patched(PATCHES.notifyPeople)) return;
  const notifyPeople = proxyActivities<NotifyActivities>({
    taskQueue: queues().publish,
    startToCloseTimeout: '2 minutes',
    retry: {
      maximumAttempts: 5,
      initialInterval: '10 seconds',
      nonRetryableErrorTypes: [...NON_RETRYABLE_NOTIFY_ERRORS],
    },
  }).notifyPeople;
  notifyPeople({
    postId: spec.postId,
    event,
    calendar: spec.calendar,
    campaignName: spec.campaignName,
    date: spec.date,
    localTime: spec.localTime,
    zone: spec.zone,
    channels: spec.channels,
    reason,
    ...(event === 'awaiting-approval' ? { deadlineAt: spec.approval.deadlineAt } : {}),
  }).catch((err: unknown) => {
    if (!isCancellation(err))
      log.warn('notification not sent', { postId: spec.postId, event, reason: failureReason(err) });
  });
}

export type PostStage =
  | 'planned'
  | 'awaiting-approval'
  | 'generating'
  | 'transcoding'
  | 'waiting'
  | 'paused'
  | 'publishing'
  | 'published'
  | 'skipped'
  | 'cancelled'
  | 'awaiting-replay'
  /** Ended: it failed and nobody replayed (or closed) it within the replay window. */
  | 'expired'
  /** The content gate found a score over a threshold; a person releases or rejects it. */
  | 'held';

export interface ChannelPublish {
  status: 'pending' | 'published' | 'failed' | 'late';
  remoteId?: string;
  url?: string;
  reason?: string;
  attempts: number;
  reconciled?: boolean;
}

export interface PostState {
  postId: string;
  stage: PostStage;
  publishAt: string;
  master?: { key: string; cached: boolean; provider: string };
  renditions: Partial<Record<Channel, { renditionKey: string; posterKey: string; previewKey: string }>>;
  publishes: Partial<Record<Channel, ChannelPublish>>;
  /** Why the post was skipped, cancelled, is awaiting replay or expired. */
  reason?: string;
  approval?: {
    decision: 'approved' | 'rejected' | 'auto-approved' | 'deadline-skip';
    by?: string;
    reason?: string;
  };
  /** The content gate's verdict; `override` when a person released a held clip. */
  safety?: GateVerdict & { override?: { by?: string; at: string } };
  errors: string[];
}

export interface PostInput {
  spec: PostSpec;
  /** Start paused (the campaign is paused): nothing is published until resumed. */
  paused?: boolean;
}

export interface ReplayRequest {
  channel?: Channel;
  force?: boolean;
}

export const postStateQuery = defineQuery<PostState>('postState');
/** overrideSafety releases a post the content gate held (a plain approve does not). */
export const approveSignal = defineSignal<[{ by?: string; overrideSafety?: boolean }]>('approve');
export const rejectSignal = defineSignal<[{ by?: string; reason: string }]>('reject');
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
/** The calendar no longer plans this post (dailyPlan sends it). */
export const unplannedSignal = defineSignal<[{ reason: string }]>('unplanned');
/** Publishes again from the stored renditions; answers with the outcome per channel. */
export const replayUpdate = defineUpdate<PostState['publishes'], [ReplayRequest]>('replay');
/** Ends a post that awaits replay (a person gave up on it). */
export const closeSignal = defineSignal<[{ reason: string }]>('close');

/** How long a failed post waits for a person to replay it before it ends `expired`. */
const REPLAY_WINDOW = '30 days';

/**
 * One post, from planned spec to published (or skipped, or awaiting a person's replay).
 * Each stage is visible through the `postState` query and the ReelcastStatus search attribute.
 */
export async function post(input: PostInput): Promise<PostState> {
  const { spec } = input;
  const state: PostState = {
    postId: spec.postId,
    stage: 'planned',
    publishAt: spec.publishAt,
    renditions: {},
    publishes: {},
    errors: [],
  };
  let paused = input.paused ?? false;
  let decision: 'approved' | 'rejected' | undefined;
  let unplanned: string | undefined;
  let closed: string | undefined;
  let held: { release: boolean; by?: string; reason?: string; at: string } | undefined;

  setHandler(postStateQuery, () => state);
  // Approve and reject may race (two people, CLI and Studio): the first decision to arrive wins and
  // is the one recorded; a later one, or one after the deadline decided, changes nothing.
  const decide = (approval: { decision: 'approved' | 'rejected'; by?: string; reason?: string }) => {
    if (decision !== undefined || state.approval !== undefined) {
      log.info('approval decision ignored: the post is decided already', {
        postId: spec.postId,
        ignored: approval.decision,
        decided: state.approval?.decision,
      });
      return;
    }
    decision = approval.decision;
    state.approval = approval;
  };
  setHandler(approveSignal, ({ by, overrideSafety }) => {
    if (state.stage === 'held') {
      // Only a deliberate override releases a held clip (the CLI and Studio say why).
      if (overrideSafety) held ??= { release: true, by, at: new Date().toISOString() };
      return;
    }
    decide({ decision: 'approved', by });
  });
  setHandler(rejectSignal, ({ by, reason }) => {
    if (state.stage === 'held') {
      held ??= { release: false, by, reason, at: new Date().toISOString() };
      return;
    }
    decide({ decision: 'rejected', by, reason });
  });
  setHandler(pauseSignal, () => void (paused = true));
  setHandler(resumeSignal, () => void (paused = false));
  setHandler(unplannedSignal, ({ reason }) => void (unplanned ??= reason));
  setHandler(closeSignal, ({ reason }) => void (closed ??= reason));

  const setStage = (stage: PostStage, reason?: string): void => {
    state.stage = stage;
    if (reason !== undefined) state.reason = reason;
    upsertSearchAttributes({
      ReelcastStatus: [stage],
      ...(reason !== undefined ? { ReelcastFailureReason: [reason] } : {}),
    });
  };
  upsertSearchAttributes({ ReelcastCampaign: [spec.campaign], ReelcastPostDate: [spec.date] });
  setStage('planned');

  const stopped = (): PostState | undefined => {
    if (unplanned) {
      setStage('cancelled', unplanned);
      return state;
    }
    return undefined;
  };

  // 0. A plan that ran late (a catch-up after an outage, a backfill of past days) skips the posts
  //    it can no longer publish in time, before asking anyone to approve or paying for a video.
  if (patched(PATCHES.skipLateBeforeGenerate)) {
    const lateMinutes = -msUntil(spec.publishAt) / 60_000;
    if (lateMinutes > spec.latenessMinutes) {
      setStage(
        'skipped',
        `planned ${Math.round(lateMinutes)} min after its publish time ${spec.publishAt} (the campaign allows ${spec.latenessMinutes} min late); no video was made`,
      );
      return state;
    }
  }

  // 1. Approval: a durable wait for a person, up to the campaign's deadline.
  if (spec.approval.required) {
    setStage('awaiting-approval');
    tellPeople(spec, 'awaiting-approval');
    const decided = await waitUntil(
      spec.approval.deadlineAt,
      () => decision !== undefined || unplanned !== undefined,
    );
    if (stopped()) return state;
    if (!decided) {
      if (spec.approval.onDeadline === 'approve') {
        state.approval = { decision: 'auto-approved' };
      } else {
        state.approval = { decision: 'deadline-skip' };
        setStage(
          'skipped',
          `nobody approved it before ${spec.approval.deadlineAt}; the campaign skips unapproved posts`,
        );
        return state;
      }
    } else if (decision === 'rejected') {
      setStage(
        'skipped',
        `rejected${state.approval?.by ? ` by ${state.approval.by}` : ''}: ${state.approval?.reason ?? ''}`.trim(),
      );
      return state;
    }
  }

  // 2. Generate the master clip (content-addressed: a retry or replay never pays the GPU twice).
  try {
    setStage('generating');
    const clip = await generating().generateClip({
      prompt: spec.prompt,
      negative: spec.negativePrompt,
      seed: spec.video.seed,
      frames: spec.video.frames,
      width: spec.video.width,
      height: spec.video.height,
      steps: spec.video.steps,
      guidance: spec.video.guidance,
      // A campaign's brand style (a LoRA exported as its own model directory); unset: model.dir.
      model: spec.video.model,
    });
    state.master = { key: clip.key, cached: clip.cached, provider: clip.provider };
    if (stopped()) return state;

    // 2b. The content gate looks at the master while the renditions are made; nothing publishes
    //     before its verdict (awaited below). A stored check of this master is reused.
    const gate = patched(PATCHES.contentGate)
      ? gating().checkContent({ masterKey: clip.key, thresholds: spec.safety, postId: spec.postId })
      : undefined;
    // Awaited after the transcode; a transcode failure must not leave its rejection unhandled.
    gate?.catch(() => undefined);

    // 3. One rendition per channel preset, each validated before it may be published.
    setStage('transcoding');
    const byPreset = new Map<PresetName, Channel[]>();
    for (const channel of spec.channels) {
      const preset = presetFor(channel);
      byPreset.set(preset, [...(byPreset.get(preset) ?? []), channel]);
    }
    const keep = (r: NonNullable<PostState['renditions'][Channel]>, channels: Channel[]): void => {
      for (const channel of channels) {
        state.renditions[channel] = {
          renditionKey: r.renditionKey,
          posterKey: r.posterKey,
          previewKey: r.previewKey,
        };
      }
    };
    // The renditions' Content Credentials carry the campaign's disclosure (activities/provenance).
    const disclosure = () =>
      spec.aiDisclosure !== undefined && patched(PATCHES.c2paDisclosure)
        ? { aiDisclosure: spec.aiDisclosure }
        : {};
    if (patched(PATCHES.oneDecodeMedia)) {
      // One activity decodes the master once for every preset; presets that share an encode
      // (reels, tiktok) share one rendition file.
      const made = await transcoding().transcodeRenditions({
        masterKey: clip.key,
        presets: [...byPreset.keys()],
        postId: spec.postId,
        ...disclosure(),
      });
      for (const r of made) keep(r, byPreset.get(r.preset) ?? []);
    } else {
      await Promise.all(
        [...byPreset].map(async ([preset, channels]) => {
          const r = await transcoding().transcodeRendition({
            masterKey: clip.key,
            preset,
            postId: spec.postId,
            ...disclosure(),
          });
          keep(r, channels);
        }),
      );
    }
    if (gate) state.safety = await gate;
  } catch (err) {
    if (isCancellation(err)) throw err;
    const reason = failureReason(err);
    state.errors.push(reason);
    tellPeople(spec, 'failed', `could not make the video: ${reason}`);
    return awaitReplay(state, setStage, `could not make the video: ${reason}`, () => closed);
  }
  if (stopped()) return state;

  // 3b. Held by the content gate: nothing reaches any channel until a person releases it
  //     (`reelcast approve --override-safety`) or rejects it. A release after the lateness
  //     window skips below, like any late post.
  if (state.safety && !state.safety.passed) {
    const reason = state.safety.heldReason ?? 'held by the content gate';
    setStage('held', reason);
    tellPeople(spec, 'held', reason);
    const decided = await condition(() => held !== undefined || unplanned !== undefined, HELD_WINDOW);
    if (stopped()) return state;
    if (!decided || !held) {
      setStage('skipped', `${reason} (nobody released or rejected it within ${HELD_WINDOW})`);
      return state;
    }
    const who = held.by ? ` by ${held.by}` : '';
    if (!held.release) {
      setStage('skipped', `rejected${who} while held by the content gate: ${held.reason ?? ''}`.trim());
      return state;
    }
    state.safety.override = { by: held.by, at: held.at };
    state.reason = `released${who} at ${held.at} over the content gate`;
  }

  // 4. Wait for the planned minute (a durable timer), then check lateness and pause.
  setStage('waiting');
  await waitUntil(spec.publishAt, () => unplanned !== undefined);
  if (stopped()) return state;
  const lateMinutes = -msUntil(spec.publishAt) / 60_000;
  if (lateMinutes > spec.latenessMinutes) {
    setStage(
      'skipped',
      `ready ${Math.round(lateMinutes)} min after ${spec.publishAt}; the campaign allows ${spec.latenessMinutes} min late`,
    );
    return state;
  }
  if (paused) {
    setStage('paused');
    await condition(() => !paused || unplanned !== undefined);
    if (stopped()) return state;
    const lateAfterPause = -msUntil(spec.publishAt) / 60_000;
    if (lateAfterPause > spec.latenessMinutes) {
      setStage('skipped', `the campaign was paused past the lateness window (${spec.latenessMinutes} min)`);
      return state;
    }
  }

  // 5. Publish each channel at most once (the ledger in storage makes a retry safe).
  setStage('publishing');
  const latest = new Date(Date.parse(spec.publishAt) + spec.latenessMinutes * 60_000).toISOString();
  await publishChannels(spec, state, spec.channels, false, latest);
  const tooLate = spec.channels.filter((c) => state.publishes[c]?.status === 'late');
  if (tooLate.length === spec.channels.length) {
    setStage(
      'skipped',
      `no publish worker was available until after the lateness window (${spec.latenessMinutes} min after ${spec.publishAt})`,
    );
    return state;
  }
  const failed = spec.channels.filter((c) => state.publishes[c]?.status !== 'published');
  if (failed.length === 0) {
    setStage('published');
    return state;
  }
  tellPeople(spec, 'failed', channelReasons(state, failed));
  return awaitReplay(state, setStage, channelReasons(state, failed), () => closed, spec);
}

/** How long a held post waits for a person before it is skipped. */
const HELD_WINDOW = '30 days';

const gating = () =>
  proxyActivities<SafetyActivities>({
    // Beside the transcode on media workers (it needs ffmpeg and the master, not the GPU), in a
    // slot of its own (queues.ts): a worker with one transcode slot still runs both at once.
    taskQueue: queues().gate,
    startToCloseTimeout: '15 minutes',
    heartbeatTimeout: '1 minute',
    retry: {
      maximumAttempts: 5,
      initialInterval: '5 seconds',
      nonRetryableErrorTypes: [...NON_RETRYABLE_SAFETY_ERRORS],
    },
  });

async function publishChannels(
  spec: PostSpec,
  state: PostState,
  channels: Channel[],
  force: boolean,
  deadline?: string,
): Promise<void> {
  const publishToChannel = publisher(deadline);
  await Promise.all(
    channels.map(async (channel) => {
      const rendition = state.renditions[channel];
      const entry: ChannelPublish = state.publishes[channel] ?? { status: 'pending', attempts: 0 };
      state.publishes[channel] = entry;
      if (!rendition) {
        Object.assign(entry, { status: 'failed', reason: 'no rendition was made for this channel' });
        return;
      }
      entry.attempts += 1;
      try {
        // Account, AI label and platform settings; absent in specs planned by older versions,
        // which then publish as before (default account, the channel's defaults).
        const how = spec.publishing?.[channel];
        const outcome: PublishOutcome = await publishToChannel({
          postId: spec.postId,
          channel,
          renditionKey: rendition.renditionKey,
          caption: spec.captions[channel] ?? '',
          ...(how ? { account: how.account, aiGenerated: how.aiGenerated, options: how.options } : {}),
          force,
        });
        Object.assign(entry, {
          status: 'published',
          remoteId: outcome.remoteId,
          url: outcome.url,
          reconciled: outcome.reconciled,
          reason: undefined,
        });
      } catch (err) {
        if (isCancellation(err)) throw err;
        if (isScheduleToStartTimeout(err)) {
          Object.assign(entry, {
            status: 'late',
            reason: 'no publish worker picked it up within the lateness window',
          });
          return;
        }
        Object.assign(entry, { status: 'failed', reason: failureReason(err) });
        log.warn('publish failed', { postId: spec.postId, channel, reason: entry.reason });
      }
    }),
  );
}

/**
 * The post keeps its renditions and waits for a person: `reelcast replay` sends the replay update
 * (publishing again from the stored renditions, no GPU), `reelcast close` ends it. Nobody within
 * REPLAY_WINDOW: it ends `expired`.
 */
async function awaitReplay(
  state: PostState,
  setStage: (stage: PostStage, reason?: string) => void,
  reason: string,
  closedReason: () => string | undefined,
  spec?: PostSpec,
): Promise<PostState> {
  setStage('awaiting-replay', reason);
  if (!patched(PATCHES.replayHandlers)) return awaitReplayV1(state, setStage, closedReason, spec);

  // Message handling after temporalio/samples-typescript message-passing/safe-message-handlers:
  // the validator refuses bad requests before they enter history, the lock runs one replay at a
  // time, and the workflow returns only once every handler has finished.
  const lock = new WorkflowLock();
  let replays = 0; // accepted and not finished
  let phase: 'open' | 'closed' | 'expired' = 'open';
  const refusal = (request: ReplayRequest): ApplicationFailure | undefined =>
    phase !== 'open'
      ? ApplicationFailure.nonRetryable(
          phase === 'closed'
            ? 'this post is closed; nothing to replay'
            : `this post expired (nobody replayed it within ${REPLAY_WINDOW}); nothing to replay here`,
          'PostEnded',
        )
      : replays > 0
        ? ApplicationFailure.nonRetryable(
            'a replay of this post is running already; wait for it and check `reelcast status`',
            'ReplayRunning',
          )
        : replayRefusal(state, request, spec);
  setHandler(
    replayUpdate,
    async (request) => {
      replays += 1;
      try {
        return await lock.run(async () => {
          // Checked again under the lock: the post may have changed while this waited.
          const refused = replayRefusal(state, request, spec);
          if (refused) throw refused;
          return await replay(state, setStage, spec!, request);
        });
      } finally {
        replays -= 1;
      }
    },
    {
      validator: (request) => {
        const refused = refusal(request);
        if (refused) throw refused;
      },
    },
  );
  const settled = await condition(
    () => state.stage === 'published' || closedReason() !== undefined,
    REPLAY_WINDOW,
  );
  phase = settled ? 'closed' : 'expired';
  await condition(allHandlersFinished);
  if (state.stage === 'published') return state;
  if (closedReason() !== undefined) setStage('skipped', `closed: ${closedReason()}`);
  // The reason stays the failed channels' lines (`reelcast failures --expired` splits them).
  else setStage('expired');
  return state;
}

/** Why a replay request cannot run, in words; undefined when it can. */
function replayRefusal(
  state: PostState,
  { channel, force }: ReplayRequest,
  spec: PostSpec | undefined,
): ApplicationFailure | undefined {
  if (!spec)
    return ApplicationFailure.nonRetryable(
      'this post has no video to publish (its generation or transcode failed); fix the cause and start the post again',
      'NothingToReplay',
    );
  const channels = channel ? [channel] : spec.channels;
  const unknown = channels.filter((c) => !spec.channels.includes(c));
  if (unknown.length)
    return ApplicationFailure.nonRetryable(
      `this post is not for channel ${unknown.join(', ')}; its channels are ${spec.channels.join(', ')}`,
      'UnknownChannel',
    );
  const already = channels.filter((c) => state.publishes[c]?.status === 'published');
  if (already.length && !force)
    return ApplicationFailure.nonRetryable(
      `already published on ${already.join(', ')}; add --force to publish again`,
      'AlreadyPublished',
    );
  return undefined;
}

/** Publishes the request's channels again; the post is `published` once every channel is. */
async function replay(
  state: PostState,
  setStage: (stage: PostStage, reason?: string) => void,
  spec: PostSpec,
  { channel, force }: ReplayRequest,
): Promise<PostState['publishes']> {
  setStage('publishing');
  await publishChannels(spec, state, channel ? [channel] : spec.channels, Boolean(force));
  const stillFailed = spec.channels.filter((c) => state.publishes[c]?.status !== 'published');
  if (stillFailed.length === 0) setStage('published', '');
  else setStage('awaiting-replay', channelReasons(state, stillFailed));
  return state.publishes;
}

/**
 * Before PATCHES.replayHandlers: checks inside the handler, one boolean for both "a replay runs"
 * and completion, and a post nobody replays ends still reading `awaiting-replay`.
 */
async function awaitReplayV1(
  state: PostState,
  setStage: (stage: PostStage, reason?: string) => void,
  closedReason: () => string | undefined,
  spec?: PostSpec,
): Promise<PostState> {
  let replaying = false;
  setHandler(replayUpdate, async (request) => {
    const refused = replayRefusal(state, request, spec);
    if (refused) throw refused;
    replaying = true;
    try {
      return await replay(state, setStage, spec!, request);
    } finally {
      replaying = false;
    }
  });
  const done = await condition(
    () => !replaying && (state.stage === 'published' || closedReason() !== undefined),
    REPLAY_WINDOW,
  );
  if (!done && state.stage !== 'published')
    setStage('awaiting-replay', `${state.reason} (nobody replayed it within ${REPLAY_WINDOW}; closed)`);
  else if (closedReason() !== undefined && state.stage !== 'published')
    setStage('skipped', `closed: ${closedReason()}`);
  return state;
}

/** One holder at a time, in arrival order; workflow-safe (a condition, no timers). */
class WorkflowLock {
  private held = false;

  async run<T>(fn: () => Promise<T>): Promise<T> {
    await condition(() => !this.held);
    this.held = true;
    try {
      return await fn();
    } finally {
      this.held = false;
    }
  }
}

/** One line per failed channel, `<channel>: <why>`: `reelcast failures` splits on the lines. */
function channelReasons(state: PostState, channels: Channel[]): string {
  return channels
    .map((c) => {
      const why = state.publishes[c]?.reason ?? 'not published';
      return why.startsWith(`${c}: `) ? why : `${c}: ${why}`;
    })
    .join('\n');
}

/** Workflow time (Date.now() is deterministic inside a workflow). */
function msUntil(iso: string): number {
  return Date.parse(iso) - Date.now();
}

/** Waits for `until` or for the instant, whichever comes first; true when `until` held. */
async function waitUntil(iso: string, until: () => boolean): Promise<boolean> {
  const ms = msUntil(iso);
  if (ms <= 0) return until();
  return condition(until, ms);
}

function isScheduleToStartTimeout(err: unknown): boolean {
  const cause = (err as { cause?: unknown }).cause;
  return (
    err instanceof ActivityFailure &&
    cause instanceof TimeoutFailure &&
    cause.timeoutType === 'SCHEDULE_TO_START'
  );
}

/** The message a person reads: the root cause of an activity failure, with its type. */
export function failureReason(err: unknown): string {
  let e = err as { message?: string; cause?: unknown; type?: string } | undefined;
  while (e?.cause) e = e.cause as typeof e;
  const message = e?.message ?? String(err);
  return e?.type && !message.startsWith(e.type) ? `${message} (${e.type})` : message;
}

/** Workflow ids are business keys: the same post never runs twice. */
export function postWorkflowId(postId: string): string {
  return `post/${postId}`;
}
