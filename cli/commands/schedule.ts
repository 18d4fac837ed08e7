import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Command } from 'commander';
import { DateTime } from 'luxon';
import type { ReelcastConfig } from '../../config';
import { commandConfig, say, withClient } from '../context';
import {
  backfillRange,
  calendarSchedules,
  scheduleIdFor,
  scheduleIds,
  schedulePrefix,
  syncSchedules,
} from '../schedules';
import { checkDate } from './run';

export function register(program: Command): void {
  const schedule = program
    .command('schedule')
    .description('the daily plan schedules, one per calendar: automatic daily posting');

  schedule
    .command('sync')
    .description(
      'make the schedules match the calendars: create, update (a slot moved), delete (a calendar removed); run after each calendar change',
    )
    .option('--dry-run', 'only say what would change')
    .action((opts: { dryRun?: boolean }) => {
      const config = commandConfig();
      return withClient(async (client) => {
        const changes = await syncSchedules(client, config, { dryRun: opts.dryRun });
        const verb = (c: string) => (opts.dryRun && c !== 'unchanged' ? `would be ${c}` : c);
        for (const c of changes) say(`${c.id}: ${verb(c.change)}, ${c.detail}`);
        if (changes.length === 0)
          say(`no calendar in ${config.calendarsDir} has an enabled campaign: nothing to schedule`);
      }, config);
    });

  schedule
    .command('list')
    .option('--json', 'machine-readable output')
    .description('the schedules, whether paused, and their next runs (in the calendar zone)')
    .action((opts: { json?: boolean }) => {
      const config = commandConfig();
      return withClient(async (client) => {
        const rows = [];
        for (const id of await scheduleIds(client, config)) {
          const d = await client.schedule.getHandle(id).describe();
          const zone = d.spec.timezone ?? 'UTC';
          rows.push({
            id,
            calendar: id.slice(schedulePrefix(config).length),
            zone,
            paused: d.state.paused,
            note: d.state.note,
            next: d.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()),
            recent: d.info.recentActions.slice(-3).map((a) => a.scheduledAt.toISOString()),
          });
        }
        if (opts.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        else
          for (const r of rows) {
            const next = r.next[0]
              ? DateTime.fromISO(r.next[0], { zone: r.zone }).toFormat("yyyy-MM-dd HH:mm '" + r.zone + "'")
              : '-';
            process.stdout.write(
              `${r.id.padEnd(36)} ${r.paused ? 'paused ' : 'active '} next ${next}${r.paused && r.note ? `  (${r.note})` : ''}\n`,
            );
          }
        if (rows.length === 0) say('no schedules: run `reelcast schedule sync`');
      }, config);
    });

  const one = (name: string, description: string) =>
    schedule
      .command(name)
      .argument(
        '[calendar]',
        'calendar id or schedule id, as `schedule list` prints (default: every calendar)',
      )
      .description(description);

  one('pause', 'pause the daily plan (posts already planned still publish)')
    .option('--note <text>', 'why (shown in schedule list)')
    .action((calendar: string | undefined, opts: { note?: string }) =>
      forEach(calendar, async (handle, id) => {
        await handle.pause(opts.note ?? 'paused with reelcast schedule pause');
        return `paused ${id}`;
      }),
    );
  one('resume', 'resume the daily plan').action((calendar: string | undefined) =>
    forEach(calendar, async (handle, id) => {
      await handle.unpause();
      return `resumed ${id}`;
    }),
  );
  one('trigger', 'run the daily plan now (as if scheduled now)').action((calendar: string | undefined) =>
    forEach(calendar, async (handle, id) => {
      await handle.trigger(ScheduleOverlapPolicy.ALLOW_ALL);
      return `triggered ${id}`;
    }),
  );
  one('backfill', 'plan past or future dates as the schedule would have')
    .requiredOption('--from <YYYY-MM-DD>', 'first local date')
    .requiredOption('--to <YYYY-MM-DD>', 'last local date')
    .action((calendar: string | undefined, opts: { from: string; to: string }) => {
      const from = checkDate(opts.from, '--from');
      const to = checkDate(opts.to, '--to');
      if (to < from) throw new Error(`--to ${to} is before --from ${from}`);
      return forEach(calendar, async (handle, id, config) => {
        const s = calendarSchedules(config).find((c) => c.id === id);
        if (!s) throw new Error(`no calendar for schedule ${id}: run \`reelcast schedule sync\``);
        const range = backfillRange(s, from, to);
        await handle.backfill([{ ...range, overlap: ScheduleOverlapPolicy.ALLOW_ALL }]);
        return `backfilled ${id} for ${from}..${to}`;
      });
    });
}

async function forEach(
  calendar: string | undefined,
  act: (
    handle: ReturnType<Client['schedule']['getHandle']>,
    id: string,
    config: ReelcastConfig,
  ) => Promise<string>,
): Promise<void> {
  const config = commandConfig();
  await withClient(async (client) => {
    const ids = calendar ? [scheduleIdFor(config, calendar)] : await scheduleIds(client, config);
    if (ids.length === 0) throw new Error('no schedules: run `reelcast schedule sync` first');
    for (const id of ids) {
      try {
        say(await act(client.schedule.getHandle(id), id, config));
      } catch (err) {
        if (err instanceof ScheduleNotFoundError)
          throw new Error(
            `no schedule ${id}: run \`reelcast schedule sync\` (the schedules: \`reelcast schedule list\`)`,
          );
        throw err;
      }
    }
  }, config);
}
