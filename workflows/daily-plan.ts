import {
  ApplicationFailure,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  patched,
  proxyActivities,
  startChild,
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { DateTime } from 'luxon';
import type { CalendarActivities } from '../activities/calendar/activities';
import type { PostSpec } from '../activities/calendar/types';
import type { PostActivities } from '../activities/posts';
import { NON_RETRYABLE_CALENDAR_ERRORS } from '../activities/calendar/errors';
import { demoPostId } from '../activities/calendar/post-id';
import { PATCHES } from './patches';
import { post, postWorkflowId, unplannedSignal } from './post';

const { planDay } = proxyActivities<CalendarActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: [...NON_RETRYABLE_CALENDAR_ERRORS] },
});
const { runningPosts, signalPosts, pausedCampaigns } = proxyActivities<PostActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 5 },
});

export interface DailyPlanInput {
  /** Local date to plan (yyyy-mm-dd). Unset: the schedule's scheduled time in `zone`, plus `dayOffset`. */
  date?: string;
  zone?: string;
  /** Days between the scheduled time's local date and the date it plans (a run at 22:00 plans tomorrow). */
  dayOffset?: number;
  /** Only this calendar's posts (one schedule per calendar). */
  calendar?: string;
  /**
   * Demo: publish times compressed to start at `firstPublishAt`, `spacingSeconds` apart, approval
   * off, and post ids tagged (`…/<slot>-demo<tag>`) so the demo can run again.
   */
  demo?: {
    firstPublishAt: string;
    spacingSeconds: number;
    limit?: number;
    tag: string;
    /** Smaller clips, so the demo model makes them in seconds on a CPU. */
    video?: { frames: number; width: number; height: number; steps: number };
  };
}

export interface DailyPlanResult {
  date: string;
  started: string[];
  existing: string[];
  unplanned: string[];
}

const BATCH = 100;

/**
 * Plans one local date and starts one `post` child per planned post. Idempotent: the child's id
 * is the post's business key, so a second run of the same date starts nothing new. A post the
 * calendar no longer plans, still open, is told so and cancels itself cleanly.
 */
export async function dailyPlan(input: DailyPlanInput): Promise<DailyPlanResult> {
  const date = input.date ?? scheduledLocalDate(input.zone ?? 'UTC', input.dayOffset ?? 0);
  const planned = await planDay({ date });
  let specs = planned.filter((s) => !input.calendar || s.calendar === input.calendar);
  if (input.demo) specs = compress(specs, input.demo);
  const paused = new Set(await pausedCampaigns());
  const result: DailyPlanResult = { date, started: [], existing: [], unplanned: [] };

  for (let i = 0; i < specs.length; i += BATCH) {
    await Promise.all(
      specs.slice(i, i + BATCH).map(async (spec) => {
        try {
          await startChild(post, {
            workflowId: postWorkflowId(spec.postId),
            args: [{ spec, paused: paused.has(spec.campaign) }],
            parentClosePolicy: ParentClosePolicy.ABANDON,
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          });
          result.started.push(spec.postId);
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
          result.existing.push(spec.postId);
        }
      }),
    );
  }

  if (!input.demo) {
    // Against every calendar's plan, so one calendar's schedule never cancels another's posts.
    const plannedIds = new Set(planned.map((s) => postWorkflowId(s.postId)));
    // This deployment's posts of the date that the calendars planned (not the demo's).
    const running = await runningPosts({ date, taskQueue: workflowInfo().taskQueue, plannedOnly: true });
    const stale = running.filter((p) => !plannedIds.has(p.workflowId));
    if (stale.length > 0) {
      const reason = `the calendar no longer plans this post (re-planned ${date})`;
      if (patched(PATCHES.unplannedTypedSignal)) {
        await Promise.all(stale.map((p) => tellUnplanned(p.workflowId, reason)));
      } else {
        await signalPosts({
          workflowIds: stale.map((p) => p.workflowId),
          signal: 'unplanned',
          args: [{ reason }],
        });
      }
      result.unplanned = stale.map((p) => p.postId);
    }
  }
  return result;
}

/**
 * Tells a post the calendar no longer plans it. A post that ended meanwhile (or never existed)
 * needs nothing; any other failure fails the plan, so a post is never left running unnoticed.
 */
async function tellUnplanned(workflowId: string, reason: string): Promise<void> {
  try {
    await getExternalWorkflowHandle(workflowId).signal(unplannedSignal, { reason });
  } catch (err) {
    if (!isGone(err)) throw err;
  }
}

/**
 * The server's "external workflow not found", which it also answers for a workflow that has ended
 * (the SDK's core names the cause in the failure's type: ExternalWorkflowExecutionNotFound).
 */
function isGone(err: unknown): boolean {
  return (
    err instanceof ApplicationFailure && /external_?workflow_?execution_?not_?found/i.test(err.type ?? '')
  );
}

/** The schedule's scheduled time (not "now"), so catch-up and backfill plan the right day. */
function scheduledLocalDate(zone: string, dayOffset: number): string {
  const attrs = workflowInfo().searchAttributes as Record<string, unknown[] | undefined>;
  const raw = attrs.TemporalScheduledStartTime?.[0];
  const at = raw ? new Date(raw as string | Date) : new Date(workflowInfo().startTime);
  return DateTime.fromJSDate(at, { zone }).plus({ days: dayOffset }).toISODate()!;
}

function compress(specs: PostSpec[], demo: NonNullable<DailyPlanInput['demo']>): PostSpec[] {
  const first = Date.parse(demo.firstPublishAt);
  return specs.slice(0, demo.limit ?? specs.length).map((spec, i) => {
    const publishAt = new Date(first + i * demo.spacingSeconds * 1000).toISOString();
    const deadline = new Date(
      Date.parse(publishAt) - spec.approval.deadlineMinutesBefore * 60_000,
    ).toISOString();
    return {
      ...spec,
      postId: demoPostId(spec.postId, demo.tag),
      publishAt,
      video: { ...spec.video, ...demo.video },
      approval: { ...spec.approval, required: false, deadlineAt: deadline },
    };
  });
}
