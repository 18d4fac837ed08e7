import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import { msToTs, tsToMs } from '@temporalio/common/lib/time';
import { DateTime } from 'luxon';
import type { DailyPlanResult } from '../../workflows/daily-plan';
import { postWorkflowId } from '../../workflows/post';
import {
  connectClient,
  e2eConfig,
  e2eEnv,
  reelcast as runCli,
  ROOT,
  startWorker,
  waitFor,
  type RunningWorker,
} from './support';

/**
 * Automatic daily posting, as a person turns it on: `reelcast schedule …` (the compiled CLI) on
 * the real Temporal dev server, with copies of the example calendars that the test then edits.
 */
async function reelcast(env: Record<string, string>, ...args: string[]) {
  const out = await runCli(env, args);
  if (out.status !== 0) throw new Error(`reelcast ${args.join(' ')} exited ${out.status}: ${out.stderr}`);
  return out;
}

/** The dailyPlan runs a schedule has started, newest last, once there are at least `count`. */
async function planRuns(client: Client, scheduleId: string, count: number, timeoutMs = 120_000) {
  return waitFor(
    `${count} daily plan run(s) of ${scheduleId}`,
    async () => {
      const d = await client.schedule.getHandle(scheduleId).describe();
      const ids = d.info.recentActions.map((a) => a.action.workflow.workflowId);
      return ids.length >= count ? ids : undefined;
    },
    timeoutMs,
  );
}

describe('reelcast schedule: automatic daily posting on the real dev server', () => {
  const calendarsDir = mkdtempSync(join(tmpdir(), 'reelcast-sched-'));
  cpSync(join(ROOT, 'calendars'), calendarsDir, { recursive: true });
  const env = e2eEnv('sched', { REELCAST_CALENDARS_DIR: calendarsDir });
  const config = e2eConfig(env);
  const prefix = `${config.temporal.taskQueue}-daily/`;
  const us = `${prefix}us-ecommerce`;
  let client: Client;
  let worker: RunningWorker | undefined;
  const posts: string[] = [];

  beforeAll(async () => {
    client = await connectClient(config);
  });
  afterAll(async () => {
    // The posts these plans started wait for a GPU worker this test never starts.
    await Promise.all(
      posts.map((id) =>
        client.workflow
          .getHandle(id)
          .terminate('test over')
          .catch(() => {}),
      ),
    );
    for await (const s of client.schedule.list())
      if (s.scheduleId.startsWith(prefix)) await client.schedule.getHandle(s.scheduleId).delete();
    await worker?.stop();
    await client.connection.close();
    rmSync(calendarsDir, { recursive: true, force: true });
  });

  /** Waits for a plan run to finish (the worker serves only the workflow queue) and keeps its posts. */
  async function planResult(workflowId: string): Promise<DailyPlanResult> {
    worker ??= await startWorker(config, []);
    const result = (await client.workflow.getHandle(workflowId).result()) as DailyPlanResult;
    posts.push(...[...result.started, ...result.existing].map(postWorkflowId));
    return result;
  }

  it('sync creates one schedule per calendar, at its wall time before the first slot, in its zone', async () => {
    const { stderr } = await reelcast(env, 'schedule', 'sync');
    expect(stderr).toContain(`${prefix}us-ecommerce: created, 07:00 America/New_York (first slot 08:00)`);
    expect(stderr).toMatch(new RegExp(`${prefix}china: created, \\d\\d:\\d\\d Asia/Shanghai`));
    expect(stderr).toMatch(new RegExp(`${prefix}japan: created, \\d\\d:\\d\\d Asia/Tokyo`));

    const d = await client.schedule.getHandle(us).describe();
    expect(d.spec.timezone).toBe('America/New_York');
    expect(d.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 7 }], minute: [{ start: 0 }] });

    // DST in New York starts 2027-03-14: the plan stays at 07:00 local, so its UTC hour moves.
    const matching = await client.workflowService.listScheduleMatchingTimes({
      namespace: config.temporal.namespace,
      scheduleId: us,
      startTime: msToTs(Date.parse('2027-03-12T00:00:00Z')),
      endTime: msToTs(Date.parse('2027-03-17T00:00:00Z')),
    });
    const times = (matching.startTime ?? []).map((t) =>
      DateTime.fromMillis(tsToMs(t), { zone: 'America/New_York' }),
    );
    expect(times.map((t) => t.toFormat('yyyy-MM-dd HH:mm'))).toEqual([
      '2027-03-12 07:00',
      '2027-03-13 07:00',
      '2027-03-14 07:00',
      '2027-03-15 07:00',
      '2027-03-16 07:00',
    ]);
    expect(times.map((t) => t.toUTC().hour)).toEqual([12, 12, 11, 11, 11]);

    // `list` prints the ids and the next run in the calendar's zone.
    const list = await reelcast(env, 'schedule', 'list');
    expect(list.stdout).toMatch(
      new RegExp(`${us} +active +next \\d{4}-\\d\\d-\\d\\d 07:00 America/New_York`),
    );
    const rows = JSON.parse((await reelcast(env, 'schedule', 'list', '--json')).stdout) as Array<{
      id: string;
    }>;
    expect(rows.map((r) => r.id).sort()).toEqual([`${prefix}china`, `${prefix}japan`, us]);

    // Nothing changed since: a second sync changes nothing.
    expect((await reelcast(env, 'schedule', 'sync')).stderr).toContain(`${us}: unchanged`);
  });

  it('trigger, given the id `schedule list` prints, plans the calendar’s day now', async () => {
    const before = (await client.schedule.getHandle(us).describe()).info.recentActions.length;
    expect((await reelcast(env, 'schedule', 'trigger', us)).stderr).toContain(`triggered ${us}`);
    const runs = await planRuns(client, us, before + 1);
    const result = await planResult(runs[runs.length - 1]);
    expect(result.date).toBe(DateTime.now().setZone('America/New_York').toISODate());
    for (const id of result.started) expect(id).toContain(`/${result.date}/`);
  });

  it('backfill of two past days plans those days, whose posts skip without making a video', async () => {
    const day = (n: number) => DateTime.now().setZone('America/New_York').minus({ days: n }).toISODate()!;
    // Black Friday week has posts every day; evergreen only on Tuesdays. Any two past days will do.
    const before = (await client.schedule.getHandle(us).describe()).info.recentActions.length;
    const { stderr } = await reelcast(
      env,
      'schedule',
      'backfill',
      'us-ecommerce',
      '--from',
      day(3),
      '--to',
      day(2),
    );
    expect(stderr).toContain(`backfilled ${us} for ${day(3)}..${day(2)}`);
    const runs = (await planRuns(client, us, before + 2)).slice(before);
    const results = await Promise.all(runs.map(planResult));
    expect(results.map((r) => r.date).sort()).toEqual([day(3), day(2)]);
    for (const id of results.flatMap((r) => r.started)) {
      const state = await waitFor(`${id} to skip`, async () => {
        const d = await client.workflow.getHandle(postWorkflowId(id)).describe();
        const stage = (d.searchAttributes as Record<string, unknown[]>).ReelcastStatus?.[0];
        return stage === 'skipped' ? stage : undefined;
      });
      expect(state).toBe('skipped');
    }
  });

  it('pause and resume, by calendar id', async () => {
    await reelcast(env, 'schedule', 'pause', 'us-ecommerce', '--note', 'holiday freeze');
    expect((await client.schedule.getHandle(us).describe()).state).toMatchObject({
      paused: true,
      note: 'holiday freeze',
    });
    expect((await reelcast(env, 'schedule', 'list')).stdout).toMatch(
      new RegExp(`${us} +paused .*\\(holiday freeze\\)`),
    );
    await reelcast(env, 'schedule', 'resume', 'us-ecommerce');
    expect((await client.schedule.getHandle(us).describe()).state.paused).toBe(false);
  });

  it('sync after a calendar changed: a moved slot updates its schedule (still paused), a removed calendar deletes its own', async () => {
    const file = join(calendarsDir, 'us-ecommerce.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace("time: '08:00'", "time: '09:30'"));
    rmSync(join(calendarsDir, 'japan.yaml'));
    await reelcast(env, 'schedule', 'pause', us);

    const dry = await reelcast(env, 'schedule', 'sync', '--dry-run');
    expect(dry.stderr).toContain(`${us}: would be updated`);
    expect((await client.schedule.getHandle(us).describe()).spec.calendars?.[0].hour).toEqual([
      expect.objectContaining({ start: 7 }),
    ]);

    const { stderr } = await reelcast(env, 'schedule', 'sync');
    expect(stderr).toContain(
      `${us}: updated, 08:30 America/New_York (first slot 09:30), was 07:00 America/New_York`,
    );
    expect(stderr).toContain(`${prefix}japan: deleted, its calendar is gone`);
    expect(stderr).toContain(`${prefix}china: unchanged`);
    const d = await client.schedule.getHandle(us).describe();
    expect(d.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 8 }], minute: [{ start: 30 }] });
    expect(d.state.paused).toBe(true);
    await expect(client.schedule.getHandle(`${prefix}japan`).describe()).rejects.toBeInstanceOf(
      ScheduleNotFoundError,
    );
  });

  it('a schedule whose time passed while no worker ran plans its day once the worker is back, once', async () => {
    // A deployment of its own (its own queues and schedule ids) with only the Japan calendar,
    // whose plan is set to run at the next whole minute plus one, Tokyo time.
    const dir = mkdtempSync(join(tmpdir(), 'reelcast-catchup-'));
    copyFileSync(join(ROOT, 'calendars', 'japan.yaml'), join(dir, 'japan.yaml'));
    const at = DateTime.now().setZone('Asia/Tokyo').plus({ minutes: 2 }).startOf('minute');
    const firstSlot = 12 * 60; // japan.yaml's first slot, 12:00
    const lead = (((firstSlot - (at.hour * 60 + at.minute)) % 1440) + 1440) % 1440;
    const catchEnv = e2eEnv('catchup', {
      REELCAST_CALENDARS_DIR: dir,
      REELCAST_SCHEDULE_LEAD_MINUTES: String(lead),
    });
    const catchConfig = e2eConfig(catchEnv);
    const id = `${catchConfig.temporal.taskQueue}-daily/japan`;
    let late: RunningWorker | undefined;
    try {
      expect((await reelcast(catchEnv, 'schedule', 'sync')).stderr).toContain(
        `${id}: created, ${at.toFormat('HH:mm')} Asia/Tokyo`,
      );
      // No worker serves this deployment: the run starts at its time and waits.
      const [runId] = await planRuns(client, id, 1, 200_000);
      expect(Date.now()).toBeGreaterThanOrEqual(at.toMillis());
      await new Promise((r) => setTimeout(r, 3000));
      late = await startWorker(catchConfig, []);
      const result = (await client.workflow.getHandle(runId).result()) as DailyPlanResult;
      posts.push(...result.started.map(postWorkflowId));
      // A lead past midnight runs the evening before and plans the next day.
      const dayOffset = firstSlot - lead < 0 ? 1 : 0;
      expect(result.date).toBe(at.plus({ days: dayOffset }).toISODate());
      const runs = (await client.schedule.getHandle(id).describe()).info.recentActions;
      expect(runs).toHaveLength(1);
    } finally {
      await client.schedule
        .getHandle(id)
        .delete()
        .catch(() => {});
      await late?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
