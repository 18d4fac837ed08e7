import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { loadWorkspace, planWorkspace, type Channel, type PostSpec } from '../activities/calendar';
import { dateOf, dayNumber } from '../activities/calendar/days';
import type { ReelcastConfig } from '../config';
import { progressPercent, readProgress, type PostProgress } from '../cli/post-progress';
import { postStateQuery, postWorkflowId, type PostInput, type PostState } from '../workflows/post';

/** One post in the calendar: the plan's view of it, merged with its live state when it has one. */
export interface CalendarPost {
  postId: string;
  calendar?: string;
  campaign: string;
  campaignName?: string;
  /** Local date in the calendar's zone. */
  date: string;
  /** HH:mm in `zone`. */
  localTime?: string;
  zone?: string;
  publishAt?: string;
  channels: Channel[];
  /** The live stage (ReelcastStatus), or `planned` when no workflow runs for it yet. */
  stage: string;
  /** True when a post workflow exists for it. */
  live: boolean;
  reason?: string;
  /** True when the calendar still plans it. */
  planned: boolean;
}

/** A problem `validate` reports, with the day it concerns when it concerns one. */
export interface DayProblem {
  file: string;
  line: number;
  col: number;
  severity: 'error' | 'warning';
  message: string;
}

export interface Month {
  from: string;
  to: string;
  posts: CalendarPost[];
  /** Problems planning each day found (beyond those of the files themselves), by date. */
  problemsByDay: Map<string, DayProblem[]>;
  /** Problems of the files themselves (YAML, schema, templates). */
  fileProblems: DayProblem[];
}

export function workspaceOf(config: ReelcastConfig) {
  return loadWorkspace({
    calendarsDir: config.calendarsDir,
    templatesDir: config.templatesDir,
    blockedTermsFile: config.compliance.blockedTermsFile,
  });
}

export function datesBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = dayNumber(from); d <= dayNumber(to); d++) out.push(dateOf(d));
  return out;
}

/**
 * The plan of each day from `from` to `to`, day by day so each problem is tied to its date (a slot
 * in a DST gap, a caption too long on one day), as `validate` finds them.
 */
export function planDays(config: ReelcastConfig, from: string, to: string) {
  const ws = workspaceOf(config);
  const fileProblems = ws.problems.map((p) => p.toProblem());
  const seen = new Set(fileProblems.map((p) => `${p.file}:${p.line}:${p.col}:${p.message}`));
  const posts: PostSpec[] = [];
  const problemsByDay = new Map<string, DayProblem[]>();
  for (const date of datesBetween(from, to)) {
    const plan = planWorkspace(ws, date, date);
    posts.push(...plan.posts);
    const own = plan.problems
      .map((p) => p.toProblem())
      .filter((p) => !seen.has(`${p.file}:${p.line}:${p.col}:${p.message}`));
    if (own.length > 0) problemsByDay.set(date, own);
  }
  return { posts, problemsByDay, fileProblems };
}

interface LiveRow {
  postId: string;
  campaign?: string;
  date?: string;
  stage?: string;
  reason?: string;
  running: boolean;
  startTime?: Date;
}

/** Post workflows of these local dates, from Temporal visibility (no worker needed). */
export async function livePosts(client: Client, dates: string[], campaign?: string): Promise<LiveRow[]> {
  const rows: LiveRow[] = [];
  // Visibility compares keywords for equality only; 31 dates at most fit one IN list.
  const filters = [`WorkflowType = 'post'`, `ReelcastPostDate IN (${dates.map((d) => `'${d}'`).join(', ')})`];
  if (campaign) filters.push(`ReelcastCampaign = '${campaign}'`);
  for await (const wf of client.workflow.list({ query: filters.join(' AND ') })) {
    const attrs = wf.searchAttributes as Record<string, unknown[] | undefined>;
    rows.push({
      postId: wf.workflowId.replace(/^post\//, ''),
      campaign: attrs.ReelcastCampaign?.[0] as string | undefined,
      date: attrs.ReelcastPostDate?.[0] as string | undefined,
      stage: attrs.ReelcastStatus?.[0] as string | undefined,
      reason: attrs.ReelcastFailureReason?.[0] as string | undefined,
      running: wf.status.name === 'RUNNING',
      startTime: wf.startTime,
    });
  }
  return rows;
}

/** The plan merged with live state: planned posts first by time, then live posts the plan lacks. */
export function mergePosts(planned: PostSpec[], live: LiveRow[]): CalendarPost[] {
  const byId = new Map(live.map((l) => [l.postId, l]));
  const out: CalendarPost[] = planned.map((p) => {
    const l = byId.get(p.postId);
    byId.delete(p.postId);
    return {
      postId: p.postId,
      calendar: p.calendar,
      campaign: p.campaign,
      campaignName: p.campaignName,
      date: p.date,
      localTime: p.localTime,
      zone: p.zone,
      publishAt: p.publishAt,
      channels: p.channels,
      stage: l?.stage ?? (l ? 'planned' : 'planned'),
      live: Boolean(l),
      reason: l?.reason || undefined,
      planned: true,
    };
  });
  for (const l of byId.values()) {
    out.push({
      postId: l.postId,
      campaign: l.campaign ?? l.postId.split('/')[0],
      date: l.date ?? '',
      channels: [],
      stage: l.stage ?? (l.running ? 'planned' : 'closed'),
      live: true,
      reason: l.reason || undefined,
      planned: false,
      publishAt: l.startTime?.toISOString(),
    });
  }
  return out.sort((a, b) =>
    a.date !== b.date ? (a.date < b.date ? -1 : 1) : (a.publishAt ?? '').localeCompare(b.publishAt ?? ''),
  );
}

export async function monthOf(
  client: Client,
  config: ReelcastConfig,
  from: string,
  to: string,
): Promise<Month> {
  const { posts, problemsByDay, fileProblems } = planDays(config, from, to);
  const live = await livePosts(client, datesBetween(from, to));
  return { from, to, posts: mergePosts(posts, live), problemsByDay, fileProblems };
}

/** One stage the post entered, and when (from the workflow's search-attribute updates). */
export interface StageStep {
  stage: string;
  at: Date;
}

/** Everything the post page shows. */
export interface PostDetail {
  postId: string;
  spec?: PostSpec;
  state?: PostState;
  running: boolean;
  timeline: StageStep[];
  progress?: PostProgress;
  /** 0-100 while generating or transcoding, from the activity's heartbeat. */
  progressPercent?: number;
  /** `step 3/12, about 20 s left`, from the same heartbeat. */
  progressDetail?: string;
}

/** The heartbeat in words, for the post page and its live updates. */
export function progressDetail(p: PostProgress | undefined): string {
  const d = p?.heartbeat?.details ?? {};
  const parts: string[] = [];
  if (Number(d.of) > 0) parts.push(`step ${Number(d.step)}/${Number(d.of)}`);
  if (Number(d.etaSeconds) > 0) parts.push(`about ${Math.round(Number(d.etaSeconds))} s left`);
  return parts.join(', ');
}

const closedDetails = new Map<string, PostDetail>();

/**
 * A post's spec as it ran (the workflow's input), its stage timeline and its state: the query
 * while it runs (the last known stage when no worker answers), its result once completed.
 * A closed post's detail never changes and is kept.
 */
export async function postDetail(client: Client, postId: string): Promise<PostDetail | undefined> {
  const kept = closedDetails.get(postId);
  if (kept) return kept;
  const handle = client.workflow.getHandle(postWorkflowId(postId));
  const description = await handle.describe().catch(() => undefined);
  if (!description) return undefined;
  const running = description.status.name === 'RUNNING';
  const history = await handle.fetchHistory();
  let spec: PostSpec | undefined;
  let result: PostState | undefined;
  const timeline: StageStep[] = [];
  for (const event of history.events ?? []) {
    const at = event.eventTime?.seconds ? new Date(Number(event.eventTime.seconds) * 1000) : new Date(0);
    const started = event.workflowExecutionStartedEventAttributes;
    if (started?.input?.payloads?.[0])
      spec = defaultPayloadConverter.fromPayload<PostInput>(started.input.payloads[0]).spec;
    const upsert = event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
    const status = upsert?.ReelcastStatus;
    if (status) {
      const value = defaultPayloadConverter.fromPayload<string[] | string>(status);
      const stage = Array.isArray(value) ? value[0] : value;
      if (stage && timeline.at(-1)?.stage !== stage) timeline.push({ stage, at });
    }
    const completed = event.workflowExecutionCompletedEventAttributes;
    if (completed?.result?.payloads?.[0])
      result = defaultPayloadConverter.fromPayload<PostState>(completed.result.payloads[0]);
  }
  let state = result;
  let progress: PostProgress | undefined;
  if (running) {
    progress = await withTimeout(readProgress(client, postWorkflowId(postId)), 3000).catch(() => undefined);
    state = progress?.state;
  }
  const detail: PostDetail = {
    postId,
    spec,
    state,
    running,
    timeline,
    progress,
    progressPercent: progress ? progressPercent(progress) : undefined,
    progressDetail: progressDetail(progress),
  };
  if (!running) closedDetails.set(postId, detail);
  return detail;
}

/** The post's state by query, within `ms` (a query waits for a worker that may not run). */
export async function queryState(client: Client, postId: string, ms = 3000): Promise<PostState | undefined> {
  return withTimeout(client.workflow.getHandle(postWorkflowId(postId)).query(postStateQuery), ms).catch(
    () => undefined,
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms (is a worker running?)`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
