import {
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleOptions,
} from '@temporalio/client';
import { DateTime } from 'luxon';
import { loadWorkspace } from '../activities/calendar/workspace';
import type { ReelcastConfig } from '../config';
import { dailyPlan, type DailyPlanInput } from '../workflows/daily-plan';
import { taskQueues } from '../workflows/queues';

/**
 * The daily plan schedules: one Temporal Schedule per calendar, which starts `dailyPlan` for that
 * calendar every day, `schedule.leadMinutes` before its first slot, in the calendar's own zone
 * (Temporal keeps the wall time across DST changes). The operations here serve `reelcast
 * schedule` and the worker's start-up check alike.
 */
export interface CalendarSchedule {
  id: string;
  calendar: string;
  zone: string;
  /** Local wall time the plan runs at. */
  hour: number;
  minute: number;
  /** Days from the run's local date to the date it plans. */
  dayOffset: number;
  firstSlot: string;
}

/**
 * Schedule ids carry the task-queue base (`reelcast-daily/<calendar>` by default), so two
 * deployments sharing a namespace under different bases never sync each other's away.
 */
export function schedulePrefix(config: ReelcastConfig): string {
  return `${config.temporal.taskQueue}-daily/`;
}

/** What a person typed (a calendar id, or a schedule id as `schedule list` prints it) → schedule id. */
export function scheduleIdFor(config: ReelcastConfig, calendarOrId: string): string {
  const prefix = schedulePrefix(config);
  if (calendarOrId.startsWith(prefix)) return calendarOrId;
  if (calendarOrId.includes('/'))
    throw new Error(
      `"${calendarOrId}" is neither a calendar id nor one of this deployment's schedule ids (they start with ${prefix}); see \`reelcast schedule list\``,
    );
  return `${prefix}${calendarOrId}`;
}

const hhmm = (h: number, m: number): string => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;

/**
 * One daily schedule per calendar with an enabled campaign, `leadMinutes` before its earliest
 * slot. A lead that reaches into the previous day runs the evening before and plans the next day.
 */
export function calendarSchedules(config: ReelcastConfig): CalendarSchedule[] {
  const ws = loadWorkspace({ calendarsDir: config.calendarsDir, templatesDir: config.templatesDir });
  const out: CalendarSchedule[] = [];
  for (const calendar of ws.calendars) {
    const slots = calendar.campaigns.filter((c) => c.enabled).flatMap((c) => c.slots);
    if (slots.length === 0) continue;
    const first = Math.min(...slots.map((s) => s.hour * 60 + s.minute));
    const runAt = first - config.schedule.leadMinutes;
    const dayOffset = runAt < 0 ? Math.ceil(-runAt / 1440) : 0;
    const minuteOfDay = ((runAt % 1440) + 1440) % 1440;
    out.push({
      id: `${schedulePrefix(config)}${calendar.id}`,
      calendar: calendar.id,
      zone: calendar.zone,
      hour: Math.floor(minuteOfDay / 60),
      minute: minuteOfDay % 60,
      dayOffset,
      firstSlot: hhmm(Math.floor(first / 60), first % 60),
    });
  }
  return out;
}

/** "07:00 America/New_York", "22:30 Asia/Tokyo the day before". */
export function describeRunTime(s: Pick<CalendarSchedule, 'hour' | 'minute' | 'zone' | 'dayOffset'>): string {
  const days = s.dayOffset === 1 ? ' the day before' : s.dayOffset > 1 ? ` ${s.dayOffset} days before` : '';
  return `${hhmm(s.hour, s.minute)} ${s.zone}${days}`;
}

export function scheduleOptions(s: CalendarSchedule, config: ReelcastConfig): ScheduleOptions {
  const input: DailyPlanInput = { calendar: s.calendar, zone: s.zone, dayOffset: s.dayOffset };
  return {
    scheduleId: s.id,
    spec: {
      calendars: [{ hour: s.hour, minute: s.minute, comment: `daily plan for ${s.calendar}` }],
      timezone: s.zone,
    },
    action: {
      type: 'startWorkflow',
      workflowType: dailyPlan,
      taskQueue: taskQueues(config.temporal.taskQueue).workflows,
      workflowId: `daily/${s.calendar}`,
      args: [input],
    },
    // A server down for a while still plans the days it missed, once each (posts past their
    // lateness window skip themselves without generating); a day's plan never runs twice at once.
    policies: { catchupWindow: '1 day', overlap: ScheduleOverlapPolicy.BUFFER_ONE },
  };
}

/** What an existing schedule does, read back from Temporal, to compare with what the calendars want. */
function currentRunTime(
  d: ScheduleDescription,
): Omit<CalendarSchedule, 'id' | 'calendar' | 'firstSlot'> | undefined {
  const cal = d.spec.calendars?.[0];
  const input =
    d.action.type === 'startWorkflow' ? (d.action.args?.[0] as DailyPlanInput | undefined) : undefined;
  const first = (v: unknown): number | undefined => {
    const ranges = v as Array<{ start: number }> | undefined;
    return ranges?.length === 1 ? ranges[0].start : undefined;
  };
  const hour = first(cal?.hour);
  const minute = first(cal?.minute);
  if (hour === undefined || minute === undefined || !d.spec.timezone) return undefined;
  return { hour, minute, zone: d.spec.timezone, dayOffset: input?.dayOffset ?? 0 };
}

export interface ScheduleChange {
  id: string;
  calendar: string;
  change: 'created' | 'updated' | 'unchanged' | 'deleted';
  /** For people: what it does now, and what it did before when that changed. */
  detail: string;
}

/**
 * Makes the schedules match the calendars: creates missing ones, updates those whose time, zone
 * or task queue changed (keeping their paused state), deletes those of calendars that are gone
 * or have no enabled campaign. `dryRun` only says what it would do.
 */
export async function syncSchedules(
  client: Client,
  config: ReelcastConfig,
  options: { dryRun?: boolean } = {},
): Promise<ScheduleChange[]> {
  const wanted = calendarSchedules(config);
  const changes: ScheduleChange[] = [];
  for (const s of wanted) {
    const desired = scheduleOptions(s, config);
    const now = `${describeRunTime(s)} (first slot ${s.firstSlot})`;
    const handle = client.schedule.getHandle(s.id);
    let existing: ScheduleDescription | undefined;
    try {
      existing = await handle.describe();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
    if (!existing) {
      if (!options.dryRun) await client.schedule.create(desired);
      changes.push({ id: s.id, calendar: s.calendar, change: 'created', detail: now });
      continue;
    }
    const before = currentRunTime(existing);
    const queue = existing.action.type === 'startWorkflow' ? existing.action.taskQueue : undefined;
    const same =
      before &&
      before.hour === s.hour &&
      before.minute === s.minute &&
      before.zone === s.zone &&
      before.dayOffset === s.dayOffset &&
      queue === taskQueues(config.temporal.taskQueue).workflows;
    if (same) {
      changes.push({ id: s.id, calendar: s.calendar, change: 'unchanged', detail: now });
      continue;
    }
    if (!options.dryRun)
      await handle.update((prev) => ({
        ...prev,
        spec: desired.spec,
        action: desired.action,
        policies: desired.policies,
      }));
    changes.push({
      id: s.id,
      calendar: s.calendar,
      change: 'updated',
      detail: `${now}, was ${before ? describeRunTime(before) : 'a different spec'}`,
    });
  }
  const keep = new Set(wanted.map((s) => s.id));
  for (const id of await scheduleIds(client, config)) {
    if (keep.has(id)) continue;
    if (!options.dryRun) await client.schedule.getHandle(id).delete();
    changes.push({
      id,
      calendar: id.slice(schedulePrefix(config).length),
      change: 'deleted',
      detail: 'its calendar is gone or has no enabled campaign',
    });
  }
  return changes;
}

/** This deployment's schedule ids. */
export async function scheduleIds(client: Client, config: ReelcastConfig): Promise<string[]> {
  const prefix = schedulePrefix(config);
  const ids: string[] = [];
  for await (const s of client.schedule.list()) if (s.scheduleId.startsWith(prefix)) ids.push(s.scheduleId);
  return ids.sort();
}

/**
 * The backfill range that plans local dates `from`..`to` of one calendar: its run times are the
 * scheduled local time, `dayOffset` days before each date.
 */
export function backfillRange(
  s: Pick<CalendarSchedule, 'zone' | 'dayOffset'>,
  from: string,
  to: string,
): { start: Date; end: Date } {
  const start = DateTime.fromISO(`${from}T00:00`, { zone: s.zone }).minus({ days: s.dayOffset });
  const end = DateTime.fromISO(`${to}T23:59:59`, { zone: s.zone }).minus({ days: s.dayOffset });
  return { start: start.toJSDate(), end: end.toJSDate() };
}
