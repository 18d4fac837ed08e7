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
import type { PostActivities, RunningPost } from '../activities/posts';
import type { FanOutActivities } from '../activities/posts/fan-out';
import { NON_RETRYABLE_CALENDAR_ERRORS } from '../activities/calendar/errors';
import { compressForDemo, type DemoDay } from '../activities/calendar/demo';
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
const { planDayInPages } = proxyActivities<FanOutActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: [...NON_RETRYABLE_CALENDAR_ERRORS] },
});
const { startPostsOfPage } = proxyActivities<FanOutActivities>({
  startToCloseTimeout: '10 minutes',
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
  demo?: DemoDay;
}

export interface DailyPlanResult {
  date: string;
  started: string[];
  existing: string[];
  unplanned: string[];
}

const BATCH = 100;
/** Pages of posts being started at once (each page starts its posts a few at a time). */
const PAGES_IN_FLIGHT = 2;

/**
 * Plans one local date and starts one `post` workflow per planned post. Idempotent: the post's
 * workflow id is its business key, so a second run of the same date starts nothing new. A post
 * the calendar no longer plans, still open, is told so and cancels itself cleanly.
 *
 * The plan goes to storage in pages and activities start the posts (PATCHES.planInPages): the
 * history holds keys and counts, a few events per page, whatever the size of the day. Plans that
 * started before that patch start `post` children from the specs in their history, as they did.
 */
export async function dailyPlan(input: DailyPlanInput): Promise<DailyPlanResult> {
  const date = input.date ?? scheduledLocalDate(input.zone ?? 'UTC', input.dayOffset ?? 0);
  const result: DailyPlanResult = { date, started: [], existing: [], unplanned: [] };
  let stalePosts: () => Promise<RunningPost[]>;
  if (patched(PATCHES.planInPages)) {
    const { taskQueue, runId } = workflowInfo();
    const day = await planDayInPages({ date, planRunId: runId, calendar: input.calendar, demo: input.demo });
    for (let i = 0; i < day.pages.length; i += PAGES_IN_FLIGHT) {
      const pages = day.pages.slice(i, i + PAGES_IN_FLIGHT);
      for (const page of await Promise.all(
        pages.map((pageKey) => startPostsOfPage({ pageKey, taskQueue })),
      )) {
        result.started.push(...page.started);
        result.existing.push(...page.existing);
      }
    }
    stalePosts = () => runningPosts({ date, taskQueue, plannedOnly: true, unplannedIn: day.plannedKey });
  } else {
    stalePosts = await startChildren(input, date, result);
  }

  if (!input.demo) {
    // Against every calendar's plan, so one calendar's schedule never cancels another's posts.
    // This deployment's posts of the date that the calendars planned (not the demo's).
    const stale = await stalePosts();
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

/** Before PATCHES.planInPages: the whole plan in the history, one child per post, 100 at a time. */
async function startChildren(
  input: DailyPlanInput,
  date: string,
  result: DailyPlanResult,
): Promise<() => Promise<RunningPost[]>> {
  const planned = await planDay({ date });
  let specs = planned.filter((s) => !input.calendar || s.calendar === input.calendar);
  if (input.demo) specs = compressForDemo(specs, input.demo);
  const paused = new Set(await pausedCampaigns());
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

  const plannedIds = new Set(planned.map((s) => postWorkflowId(s.postId)));
  return async () =>
    (await runningPosts({ date, taskQueue: workflowInfo().taskQueue, plannedOnly: true })).filter(
      (p) => !plannedIds.has(p.workflowId),
    );
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
