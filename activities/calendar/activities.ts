import { CalendarInvalidError } from './errors';
import type { CalendarProblem, PlanDayInput, PlanRangeInput, PostSpec } from './types';
import { horizonFrom, loadWorkspace, planWorkspace } from './workspace';

export interface CalendarActivityDeps {
  /** Defaults when an input does not name folders (config calendarsDir / templatesDir). */
  calendarsDir: string;
  templatesDir: string;
  /** config compliance.blockedTermsFile */
  blockedTermsFile?: string;
}

/**
 * The calendar activities: plain async functions (call them from a test without Temporal).
 * Inputs and outputs are small JSON. Calendars and templates are read on each call, so an edit
 * takes effect at the next plan without restarting workers.
 *
 * Errors: `CalendarInvalidError` (non-retryable: a person must fix the calendar; its message lists
 * the problems as file:line:col). A plan with errors returns nothing, so nothing half-planned is
 * published.
 */
export function createCalendarActivities(deps: CalendarActivityDeps) {
  const plan = (
    from: string,
    to: string,
    dirs: { calendarsDir?: string; templatesDir?: string },
  ): PostSpec[] => {
    const ws = loadWorkspace({
      calendarsDir: dirs.calendarsDir ?? deps.calendarsDir,
      templatesDir: dirs.templatesDir ?? deps.templatesDir,
      blockedTermsFile: deps.blockedTermsFile,
    });
    const result = planWorkspace(ws, from, to);
    const problems = result.problems.map((p) => p.toProblem());
    if (problems.some((p) => p.severity === 'error')) throw new CalendarInvalidError(problems);
    return result.posts;
  };

  return {
    /** The posts of one local date (each calendar reads it in its own zone), by publish time. */
    async planDay(input: PlanDayInput): Promise<PostSpec[]> {
      return plan(input.date, input.date, input);
    },

    /** The posts of a range of local dates, both included (preview, backfill). */
    async planRange(input: PlanRangeInput): Promise<PostSpec[]> {
      return plan(input.from, input.to, input);
    },

    /**
     * One post by its id, re-planned from today's calendars (for a replay that wants the current
     * wording); null when the calendars no longer plan it.
     */
    async planPost(input: {
      postId: string;
      calendarsDir?: string;
      templatesDir?: string;
    }): Promise<PostSpec | null> {
      const date = input.postId.split('/')[1] ?? '';
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date))
        throw new RangeError(`post id "${input.postId}" is not <campaign>/<yyyy-mm-dd>/<slot>`);
      return plan(date, date, input).find((p) => p.postId === input.postId) ?? null;
    },

    /** Every problem (errors and warnings) in the calendars over a range; default: a year from `from`. */
    async validateCalendars(input: {
      from: string;
      to?: string;
      calendarsDir?: string;
      templatesDir?: string;
    }): Promise<CalendarProblem[]> {
      const ws = loadWorkspace({
        calendarsDir: input.calendarsDir ?? deps.calendarsDir,
        templatesDir: input.templatesDir ?? deps.templatesDir,
        blockedTermsFile: deps.blockedTermsFile,
      });
      const range = input.to ? { from: input.from, to: input.to } : horizonFrom(input.from);
      return planWorkspace(ws, range.from, range.to).problems.map((p) => p.toProblem());
    },
  };
}

export type CalendarActivities = ReturnType<typeof createCalendarActivities>;
