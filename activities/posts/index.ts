import type { Client } from '@temporalio/client';
import { isDemoPostId } from '../calendar/post-id';
import type { ObjectStorage } from '../storage';

/** Where paused campaigns are recorded, so posts planned later start paused too. */
export const PAUSED_CAMPAIGNS_KEY = 'state/paused-campaigns.json';

export interface RunningPost {
  workflowId: string;
  postId: string;
  campaign?: string;
  status?: string;
}

/**
 * Bookkeeping across posts, for dailyPlan and the campaign commands: which post workflows run,
 * signalling them, and the list of paused campaigns. Runs on the workflow queue.
 */
export function createPostActivities(deps: { storage: ObjectStorage; client: () => Promise<Client> }) {
  return {
    /**
     * Post workflows still open, for a local date and/or a campaign. `taskQueue`: only this
     * deployment's (deployments sharing a namespace never touch each other's posts).
     * `plannedOnly`: without the demo's posts, which no calendar plans.
     */
    async runningPosts(input: {
      date?: string;
      campaign?: string;
      taskQueue?: string;
      plannedOnly?: boolean;
      /**
       * Only the posts this list of workflow ids (a JSON array in storage: a paged daily plan's
       * `planned.json`) does not name: a plan's stale posts, without the whole day in a payload.
       */
      unplannedIn?: string;
    }): Promise<RunningPost[]> {
      const planned = input.unplannedIn
        ? new Set(JSON.parse((await deps.storage.getBuffer(input.unplannedIn)).toString('utf8')) as string[])
        : undefined;
      const client = await deps.client();
      const filters = [`WorkflowType = 'post'`, `ExecutionStatus = 'Running'`];
      if (input.date) filters.push(`ReelcastPostDate = '${input.date}'`);
      if (input.campaign) filters.push(`ReelcastCampaign = '${input.campaign}'`);
      if (input.taskQueue) filters.push(`TaskQueue = '${input.taskQueue}'`);
      const out: RunningPost[] = [];
      for await (const wf of client.workflow.list({ query: filters.join(' AND ') })) {
        if (input.plannedOnly && isDemoPostId(wf.workflowId)) continue;
        if (planned?.has(wf.workflowId)) continue;
        const attrs = wf.searchAttributes as Record<string, unknown[] | undefined>;
        out.push({
          workflowId: wf.workflowId,
          postId: wf.workflowId.replace(/^post\//, ''),
          campaign: attrs.ReelcastCampaign?.[0] as string | undefined,
          status: attrs.ReelcastStatus?.[0] as string | undefined,
        });
      }
      return out;
    },

    /** Sends one signal to each workflow; returns those that were no longer running. */
    async signalPosts(input: { workflowIds: string[]; signal: string; args: unknown[] }): Promise<string[]> {
      const client = await deps.client();
      const gone: string[] = [];
      for (const id of input.workflowIds) {
        try {
          await client.workflow.getHandle(id).signal(input.signal, ...input.args);
        } catch {
          gone.push(id);
        }
      }
      return gone;
    },

    async pausedCampaigns(): Promise<string[]> {
      return readPaused(deps.storage);
    },

    async setCampaignPaused(input: { campaign: string; paused: boolean }): Promise<string[]> {
      const paused = new Set(await readPaused(deps.storage));
      if (input.paused) paused.add(input.campaign);
      else paused.delete(input.campaign);
      const list = [...paused].sort();
      await deps.storage.put(PAUSED_CAMPAIGNS_KEY, JSON.stringify(list), { contentType: 'application/json' });
      return list;
    },
  };
}

export async function readPaused(storage: ObjectStorage): Promise<string[]> {
  if (!(await storage.head(PAUSED_CAMPAIGNS_KEY))) return [];
  return JSON.parse((await storage.getBuffer(PAUSED_CAMPAIGNS_KEY)).toString('utf8')) as string[];
}

export type PostActivities = ReturnType<typeof createPostActivities>;
