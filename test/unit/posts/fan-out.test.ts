import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCalendarActivities, type PostSpec } from '../../../activities/calendar';
import { createFanOutActivities } from '../../../activities/posts/fan-out';
import { FsStorage } from '../../../activities/storage';

const repo = join(__dirname, '..', '..', '..');
const dirs = { calendarsDir: join(repo, 'calendars'), templatesDir: join(repo, 'templates') };
const date = '2026-11-27'; // five posts in the example calendars, in two calendars

/** dailyPlan's plan step: the day's specs go to storage in pages; only keys and counts come back. */
describe('planDayInPages', () => {
  const storage = new FsStorage(mkdtempSync(join(tmpdir(), 'reelcast-plan-pages-')));
  const fanOut = createFanOutActivities({
    storage,
    client: () => Promise.reject(new Error('planning needs no Temporal client')),
    calendar: dirs,
  });
  const read = async <T>(key: string): Promise<T> =>
    JSON.parse((await storage.getBuffer(key)).toString('utf8')) as T;
  let all: PostSpec[];
  beforeAll(async () => {
    all = await createCalendarActivities(dirs).planDay({ date });
  });

  test('writes every spec of the day, in order, in pages, and the ids every calendar plans', async () => {
    const day = await fanOut.planDayInPages({ date, planRunId: 'run-1', pageSize: 2 });
    expect(day).toEqual({
      posts: 5,
      pages: [0, 1, 2].map((n) => `plans/${date}/run-1/page-000${n}.json`),
      plannedKey: `plans/${date}/run-1/planned.json`,
    });
    const pages = await Promise.all(day.pages.map((key) => read<PostSpec[]>(key)));
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat()).toEqual(all);
    expect(await read(day.plannedKey)).toEqual(all.map((p) => `post/${p.postId}`));
  });

  test("one calendar's posts, made quick for a demo, while the planned ids stay every calendar's", async () => {
    const calendar = all.find((p) => p.campaign === 'black-friday-earbuds')!.calendar;
    const mine = all.filter((p) => p.calendar === calendar);
    expect(mine.length).toBeLessThan(all.length);
    const day = await fanOut.planDayInPages({
      date,
      planRunId: 'run-2',
      calendar,
      demo: { firstPublishAt: '2026-11-27T10:00:00.000Z', spacingSeconds: 20, limit: 2, tag: 't1' },
    });
    expect(day.posts).toBe(2);
    const [page] = await Promise.all(day.pages.map((key) => read<PostSpec[]>(key)));
    expect(page.map((p) => [p.postId, p.publishAt, p.approval.required])).toEqual([
      [`${mine[0].postId}-demot1`, '2026-11-27T10:00:00.000Z', false],
      [`${mine[1].postId}-demot1`, '2026-11-27T10:00:20.000Z', false],
    ]);
    expect(await read(day.plannedKey)).toHaveLength(all.length);
  });
});
