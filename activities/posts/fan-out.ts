import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import { createCalendarActivities, type CalendarActivityDeps } from '../calendar/activities';
import { compressForDemo, type DemoDay } from '../calendar/demo';
import type { PostSpec } from '../calendar/types';
import { planKeys, type ObjectStorage } from '../storage';
import { readPaused } from '.';
import { postWorkflowId, type PostInput } from '../../workflows/post';

/** Posts per page: a page of specs is about 1 KB a post, far below Temporal's payload limits. */
export const PLAN_PAGE_SIZE = 250;
/** Workflow starts in flight at once per page (the client baseline in bench/ uses 16). */
const STARTS_IN_FLIGHT = 24;

/** A day planned into storage: only these keys and counts cross into the workflow's history. */
export interface PlannedDay {
  /** Posts to start (after the calendar filter and the demo's limit). */
  posts: number;
  pages: string[];
  /** Every calendar's planned workflow ids of the day, for the stale-post check. */
  plannedKey: string;
}

export interface StartedPage {
  started: string[];
  existing: string[];
}

/**
 * dailyPlan's planning and fan-out, as activities, so that a day of thousands of posts keeps the
 * plan's workflow history small: the specs go to storage in pages (`plans/<date>/<run>/…`), and
 * each page's posts are started by the client here, one `post` workflow per post, its id the
 * business key with REJECT_DUPLICATE (a second plan of the day starts nothing). The post's own
 * input stays one spec.
 */
export function createFanOutActivities(deps: {
  storage: ObjectStorage;
  client: () => Promise<Client>;
  calendar: CalendarActivityDeps;
}) {
  const calendar = createCalendarActivities(deps.calendar);
  return {
    async planDayInPages(input: {
      date: string;
      /** Names the pages: the plan's run id (a retry overwrites its own pages, never another's). */
      planRunId: string;
      calendar?: string;
      demo?: DemoDay;
      pageSize?: number;
    }): Promise<PlannedDay> {
      const planned = await calendar.planDay({ date: input.date });
      let specs = planned.filter((s) => !input.calendar || s.calendar === input.calendar);
      if (input.demo) specs = compressForDemo(specs, input.demo);
      const keys = planKeys(input.date, input.planRunId);
      const size = input.pageSize ?? PLAN_PAGE_SIZE;
      const pages: string[] = [];
      for (let i = 0; i < specs.length; i += size) {
        const key = keys.page(pages.length);
        await deps.storage.put(key, JSON.stringify(specs.slice(i, i + size)), {
          contentType: 'application/json',
        });
        pages.push(key);
      }
      await deps.storage.put(keys.planned, JSON.stringify(planned.map((s) => postWorkflowId(s.postId))), {
        contentType: 'application/json',
      });
      return { posts: specs.length, pages, plannedKey: keys.planned };
    },

    /**
     * Starts the posts of one page on `taskQueue` (the plan's own queue), a few at a time. A post
     * whose workflow id exists (running or closed) is `existing`; after a retry of this activity,
     * the posts its first attempt started count as existing too.
     */
    async startPostsOfPage(input: { pageKey: string; taskQueue: string }): Promise<StartedPage> {
      const specs = JSON.parse((await deps.storage.getBuffer(input.pageKey)).toString('utf8')) as PostSpec[];
      const paused = new Set(await readPaused(deps.storage));
      const client = await deps.client();
      const result: StartedPage = { started: [], existing: [] };
      const startOne = async (spec: PostSpec): Promise<void> => {
        const args: [PostInput] = [{ spec, paused: paused.has(spec.campaign) }];
        try {
          await client.workflow.start('post', {
            taskQueue: input.taskQueue,
            workflowId: postWorkflowId(spec.postId),
            args,
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          });
          result.started.push(spec.postId);
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
          result.existing.push(spec.postId);
        }
      };
      let next = 0;
      const lane = async (): Promise<void> => {
        while (next < specs.length) await startOne(specs[next++]);
      };
      await Promise.all(Array.from({ length: Math.min(STARTS_IN_FLIGHT, specs.length) }, lane));
      return result;
    },
  };
}

export type FanOutActivities = ReturnType<typeof createFanOutActivities>;
