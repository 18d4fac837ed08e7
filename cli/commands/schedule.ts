import {
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptions,
} from '@temporalio/client';
import type { Command } from 'commander';
import { DateTime } from 'luxon';
import { loadWorkspace } from '../../activities/calendar/workspace';
import type { ReelcastConfig } from '../../config';
import { dailyPlan } from '../../workflows/daily-plan';

import { commandConfig, say, withClient } from '../context';
import { checkDate } from './run';

export const SCHEDULE_PREFIX = 'reelcast-daily/';

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
 * One daily schedule per calendar, `leadMinutes` before its earliest slot, in its own zone. A lead
 * that reaches into the previous day runs the evening before and plans the next day.
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
      id: `${SCHEDULE_PREFIX}${calendar.id}`,
      calendar: calendar.id,
      zone: calendar.zone,
      hour: Math.floor(minuteOfDay / 60),
      minute: minuteOfDay % 60,
      dayOffset,
      firstSlot: `${String(Math.floor(first / 60)).padStart(2, '0')}:${String(first % 60).padStart(2, '0')}`,
    });
  }
  return out;
}

function scheduleOptions(s: CalendarSchedule, taskQueue: string): ScheduleOptions {
  return {
    scheduleId: s.id,
    spec: {
      calendars: [{ hour: s.hour, minute: s.minute, comment: `daily plan for ${s.calendar}` }],
      timezone: s.zone,
    },
    action: {
      type: 'startWorkflow',
      workflowType: dailyPlan,
      taskQueue,
      workflowId: `daily/${s.calendar}`,
      args: [{ calendar: s.calendar, zone: s.zone, dayOffset: s.dayOffset }],
    },
    // A server down for a while still plans the days it missed (their late posts skip themselves).
    policies: { catchupWindow: '1 day', overlap: ScheduleOverlapPolicy.BUFFER_ONE },
  };
}

export function register(program: Command): void {
  const schedule = program.command('schedule').description('the daily plan schedules, one per calendar');

  schedule
    .command('sync')
    .description('create or update a schedule per calendar (and delete those of removed calendars)')
    .action(() =>
      withClient(async (client) => {
        const config = commandConfig();
        const wanted = calendarSchedules(config);
        for (const s of wanted) {
          const options = scheduleOptions(s, config.temporal.taskQueue);
          try {
            await client.schedule.getHandle(s.id).update((prev) => ({
              ...prev,
              spec: options.spec,
              action: options.action,
              policies: options.policies,
            }));
            say(
              `updated ${s.id}: ${String(s.hour).padStart(2, '0')}:${String(s.minute).padStart(2, '0')} ${s.zone}${s.dayOffset ? ' the day before' : ''} (first slot ${s.firstSlot})`,
            );
          } catch (err) {
            if (!(err instanceof ScheduleNotFoundError)) throw err;
            await client.schedule.create(options);
            say(
              `created ${s.id}: ${String(s.hour).padStart(2, '0')}:${String(s.minute).padStart(2, '0')} ${s.zone}${s.dayOffset ? ' the day before' : ''} (first slot ${s.firstSlot})`,
            );
          }
        }
        const keep = new Set(wanted.map((s) => s.id));
        for await (const existing of client.schedule.list()) {
          if (existing.scheduleId.startsWith(SCHEDULE_PREFIX) && !keep.has(existing.scheduleId)) {
            await client.schedule.getHandle(existing.scheduleId).delete();
            say(`deleted ${existing.scheduleId} (its calendar is gone or has no enabled campaign)`);
          }
        }
      }),
    );

  schedule
    .command('list')
    .option('--json', 'machine-readable output')
    .description('the schedules, whether paused, and their next runs')
    .action((opts: { json?: boolean }) =>
      withClient(async (client) => {
        const rows = [];
        for await (const s of client.schedule.list()) {
          if (!s.scheduleId.startsWith(SCHEDULE_PREFIX)) continue;
          const d = await client.schedule.getHandle(s.scheduleId).describe();
          rows.push({
            id: s.scheduleId,
            paused: d.state.paused,
            note: d.state.note,
            next: d.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()),
            recent: d.info.recentActions.slice(-3).map((a) => a.scheduledAt.toISOString()),
          });
        }
        if (opts.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        else
          for (const r of rows)
            process.stdout.write(
              `${r.id.padEnd(36)} ${r.paused ? 'paused ' : 'active '} next ${r.next[0] ?? '-'}${r.paused && r.note ? `  (${r.note})` : ''}\n`,
            );
        if (rows.length === 0) say('no schedules: run `reelcast schedule sync`');
      }),
    );

  const one = (name: string, description: string) =>
    schedule
      .command(name)
      .argument('[calendar]', 'calendar id (default: every calendar)')
      .description(description);

  one('pause', 'pause the daily plan')
    .option('--note <text>', 'why (shown in schedule list)')
    .action((calendar: string | undefined, opts: { note?: string }) =>
      forEach(calendar, (client, id) =>
        client.schedule
          .getHandle(id)
          .pause(opts.note ?? 'paused with reelcast schedule pause')
          .then(() => `paused ${id}`),
      ),
    );
  one('resume', 'resume the daily plan').action((calendar: string | undefined) =>
    forEach(calendar, (client, id) =>
      client.schedule
        .getHandle(id)
        .unpause()
        .then(() => `resumed ${id}`),
    ),
  );
  one('trigger', 'run the daily plan now (as if scheduled now)').action((calendar: string | undefined) =>
    forEach(calendar, (client, id) =>
      client.schedule
        .getHandle(id)
        .trigger(ScheduleOverlapPolicy.ALLOW_ALL)
        .then(() => `triggered ${id}`),
    ),
  );
  one('backfill', 'plan past or future dates as the schedule would have')
    .requiredOption('--from <YYYY-MM-DD>', 'first local date')
    .requiredOption('--to <YYYY-MM-DD>', 'last local date')
    .action((calendar: string | undefined, opts: { from: string; to: string }) => {
      const from = checkDate(opts.from, '--from');
      const to = checkDate(opts.to, '--to');
      if (to < from) throw new Error(`--to ${to} is before --from ${from}`);
      return forEach(calendar, async (client, id) => {
        const s = calendarSchedules(commandConfig()).find((c) => c.id === id);
        if (!s) throw new Error(`no calendar for schedule ${id}`);
        // The run times that plan each date: the scheduled local time, dayOffset days before.
        const start = DateTime.fromISO(`${from}T00:00`, { zone: s.zone }).minus({ days: s.dayOffset });
        const end = DateTime.fromISO(`${to}T23:59`, { zone: s.zone }).minus({ days: s.dayOffset });
        await client.schedule
          .getHandle(id)
          .backfill([
            { start: start.toJSDate(), end: end.toJSDate(), overlap: ScheduleOverlapPolicy.ALLOW_ALL },
          ]);
        return `backfilled ${id} for ${from}..${to}`;
      });
    });
}

async function forEach(
  calendar: string | undefined,
  act: (client: Client, id: string) => Promise<string>,
): Promise<void> {
  await withClient(async (client) => {
    const ids: string[] = [];
    if (calendar) ids.push(`${SCHEDULE_PREFIX}${calendar}`);
    else
      for await (const s of client.schedule.list())
        if (s.scheduleId.startsWith(SCHEDULE_PREFIX)) ids.push(s.scheduleId);
    if (ids.length === 0) throw new Error('no schedules: run `reelcast schedule sync` first');
    for (const id of ids) {
      try {
        say(await act(client, id));
      } catch (err) {
        if (err instanceof ScheduleNotFoundError)
          throw new Error(
            `no schedule ${id}: run \`reelcast schedule sync\` (calendar ids: see \`reelcast schedule list\`)`,
          );
        throw err;
      }
    }
  });
}
