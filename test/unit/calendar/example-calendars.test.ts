import { join } from 'node:path';
import {
  createCalendarActivities,
  loadWorkspace,
  planWorkspace,
  type PostSpec,
} from '../../../activities/calendar';
import { calendarYaml, makeFixture } from './workspace-fixture';

const repo = join(__dirname, '..', '..', '..');
const calendarsDir = join(repo, 'calendars');
const templatesDir = join(repo, 'templates');

/** The calendars shipped in calendars/ (used by the demo) plan what their comments promise. */
describe('example calendars', () => {
  const ws = loadWorkspace({ calendarsDir, templatesDir });
  const plan = planWorkspace(ws, '2026-11-01', '2028-12-31');
  const posts = (campaign: string): PostSpec[] => plan.posts.filter((p) => p.campaign === campaign);
  const days = (campaign: string, year: string): string[] => [
    ...new Set(
      posts(campaign)
        .filter((p) => p.date.startsWith(year))
        .map((p) => p.date),
    ),
  ];

  test('have no errors and no warnings over two years', () => {
    expect(plan.problems.map((p) => `${p.file}:${p.line}: ${p.message}`)).toEqual([]);
    expect(ws.calendars.map((c) => c.id).sort()).toEqual(['china', 'japan', 'us-ecommerce']);
  });

  test('China: red envelopes from 3 days before Spring Festival to the day, 09:00 and 20:00 Shanghai', () => {
    expect(days('spring-festival-red-envelope', '2027')).toEqual([
      '2027-02-03',
      '2027-02-04',
      '2027-02-05',
      '2027-02-06',
    ]);
    expect(days('spring-festival-red-envelope', '2028')).toEqual([
      '2028-01-23',
      '2028-01-24',
      '2028-01-25',
      '2028-01-26',
    ]);
    const first = posts('spring-festival-red-envelope')[0];
    expect(first).toMatchObject({
      postId: 'spring-festival-red-envelope/2027-02-03/morning',
      publishAt: '2027-02-03T01:00:00.000Z',
      zone: 'Asia/Shanghai',
      localTime: '09:00',
      channels: ['x', 'reels', 'tiktok'],
      approval: {
        required: true,
        deadlineMinutesBefore: 180,
        deadlineAt: '2027-02-02T22:00:00.000Z',
        onDeadline: 'skip',
      },
    });
    expect(first.prompt).toMatch(/^红包雨飘落，金色粒子洒满屏幕，喜庆中国风，traditional Chinese ink wash/);
    expect(first.captions.x).toMatch(/\n\n本视频由AI生成$/);
  });

  test('China: the daily brand post gives way on festival days (except: and priority)', () => {
    const brandDays = new Set(posts('brand-daily').map((p) => p.date));
    expect(brandDays.has('2027-02-04')).toBe(false);
    // Mid-Autumn has priority 10 at 09:00 and 20:00: brand-daily keeps no channel those days.
    expect(days('mid-autumn-mooncake', '2027')).toEqual(['2027-09-13', '2027-09-14', '2027-09-15']);
    expect(brandDays.has('2027-09-14')).toBe(false);
    expect(brandDays.has('2027-09-16')).toBe(true);
  });

  test('US: Black Friday week is the Monday before Thanksgiving through Cyber Monday, New York time', () => {
    expect(days('black-friday-earbuds', '2026')).toEqual([
      '2026-11-23',
      '2026-11-24',
      '2026-11-25',
      '2026-11-26',
      '2026-11-27',
      '2026-11-28',
      '2026-11-29',
      '2026-11-30',
    ]);
    const friday = posts('black-friday-earbuds').find(
      (p) => p.postId === 'black-friday-earbuds/2026-11-27/evening',
    )!;
    expect(friday.publishAt).toBe('2026-11-28T00:30:00.000Z');
    expect(friday.prompt).toBe(
      'a white wireless earbud case, pops open and rotates, the earbuds rise slowly out of it, blue-purple gradient background, tech feel, studio product shot, soft key light with rim light, smooth slow turntable rotation, clean reflections, sharp focus, commercial look',
    );
  });

  test('US: the weekly evergreen slot gives Tuesday lunch to Black Friday (same channels, lower priority)', () => {
    expect(posts('evergreen-weekly').some((p) => p.date === '2026-11-24')).toBe(false);
    expect(posts('evergreen-weekly').some((p) => p.date === '2026-12-01')).toBe(true);
    // New York changes to EDT in March: the same 12:00 is 17:00Z in winter, 16:00Z in summer.
    expect(posts('evergreen-weekly').find((p) => p.date === '2027-03-09')!.publishAt).toBe(
      '2027-03-09T17:00:00.000Z',
    );
    expect(posts('evergreen-weekly').find((p) => p.date === '2027-03-16')!.publishAt).toBe(
      '2027-03-16T16:00:00.000Z',
    );
  });

  test('Japan: cherry blossom season every year, March 20 to April 10, Tokyo time', () => {
    expect(days('sakura-shiba', '2027')).toHaveLength(22);
    expect(days('sakura-shiba', '2028')[0]).toBe('2028-03-20');
    expect(posts('sakura-shiba')[0]).toMatchObject({
      publishAt: '2027-03-20T03:00:00.000Z',
      approval: { onDeadline: 'approve' },
    });
    expect(posts('sakura-shiba')[0].prompt).toContain('a Shiba Inu running through a sakura forest');
  });

  test('each calendar posts from its own accounts with its own privacy, and labels AI on every platform', () => {
    const china = posts('spring-festival-red-envelope')[0].publishing!;
    expect(china.x).toEqual({ account: 'cn-brand', aiGenerated: true, options: {} });
    expect(china.reels).toEqual({
      account: 'cn-brand',
      aiGenerated: true,
      options: { instagram: { shareToFeed: true } },
    });
    expect(china.tiktok).toMatchObject({
      account: 'cn-main',
      aiGenerated: true,
      options: { tiktok: { privacyLevel: 'SELF_ONLY', disableComment: true } },
    });

    const japan = posts('sakura-shiba')[0].publishing!;
    expect(japan.x?.account).toBe('jp-main');
    expect(japan.tiktok).toMatchObject({
      account: 'jp-main',
      aiGenerated: true,
      options: { tiktok: { privacyLevel: 'SELF_ONLY', disableComment: false, disableDuet: true } },
    });

    // Black Friday: the campaign posts Shorts from the deals account, the rest as the calendar says.
    const friday = posts('black-friday-earbuds').find(
      (p) => p.postId === 'black-friday-earbuds/2026-11-27/evening',
    )!.publishing!;
    expect(friday.x?.account).toBe('default');
    expect(friday.reels?.account).toBe('us-brand');
    expect(friday.shorts).toEqual({
      account: 'us-deals',
      aiGenerated: true,
      options: {
        youtube: {
          title: 'Pulse Buds Pro: 40% off for Black Friday, Nov 27 only',
          privacyStatus: 'private',
          categoryId: '28',
          tags: ['BlackFriday', 'PulseBuds', 'earbuds'],
          madeForKids: false,
        },
      },
    });
    // Evergreen has no title.hbs: the caption's first line is the title.
    const evergreen = posts('evergreen-weekly')[0];
    expect(evergreen.publishing?.shorts).toMatchObject({
      account: 'us-brand',
      options: {
        youtube: { title: evergreen.captions.shorts!.split('\n')[0], tags: ['PulseAudio', 'earbuds'] },
      },
    });
  });

  test('post ids are unique and follow <campaign>/<yyyy-mm-dd>/<slot>', () => {
    const ids = plan.posts.map((p) => p.postId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of plan.posts) expect(p.postId).toBe(`${p.campaign}/${p.date}/${p.slot}`);
  });

  test('a PostSpec survives JSON (it crosses Temporal boundaries) unchanged', () => {
    const sample = plan.posts.slice(0, 50);
    expect(JSON.parse(JSON.stringify(sample))).toEqual(sample);
  });

  test('the plan is deterministic: same input, same posts (seeds included)', () => {
    const again = planWorkspace(loadWorkspace({ calendarsDir, templatesDir }), '2026-11-01', '2028-12-31');
    expect(again.posts).toEqual(plan.posts);
    expect(new Set(plan.posts.map((p) => p.video.seed)).size).toBe(plan.posts.length);
  });
});

describe('calendar activities', () => {
  const activities = createCalendarActivities({ calendarsDir, templatesDir });

  test('planDay returns the posts of one local date, by publish time', async () => {
    const posts = await activities.planDay({ date: '2026-11-27' });
    expect(posts.map((p) => p.postId)).toEqual([
      'brand-daily/2026-11-27/morning',
      'brand-daily/2026-11-27/evening',
      'black-friday-earbuds/2026-11-27/morning',
      'black-friday-earbuds/2026-11-27/lunch',
      'black-friday-earbuds/2026-11-27/evening',
    ]);
  });

  test('planPost re-plans one post by id; null when the calendars no longer plan it', async () => {
    expect((await activities.planPost({ postId: 'sakura-shiba/2027-04-01/noon' }))?.publishAt).toBe(
      '2027-04-01T03:00:00.000Z',
    );
    expect(await activities.planPost({ postId: 'sakura-shiba/2027-05-01/noon' })).toBeNull();
  });

  test('a calendar with errors plans nothing and throws CalendarInvalidError listing file:line', async () => {
    const fx = makeFixture({
      'bad.yaml': calendarYaml(
        '  - id: broken\n    when: [{ dates: [2027-02-30] }]\n    slots: [{ id: a, time: "12:00" }]\n    template: promo',
      ),
    });
    const error = await activities
      .planDay({ date: '2027-02-01', calendarsDir: fx.calendarsDir, templatesDir: fx.templatesDir })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'CalendarInvalidError' });
    expect((error as Error).message).toContain(`${fx.shown('calendars/bad.yaml')}:8:`);
    expect((error as { problems: unknown[] }).problems).toHaveLength(1);
  });

  test('validateCalendars returns problems as JSON', async () => {
    const problems = await activities.validateCalendars({ from: '2027-01-01' });
    expect(problems).toEqual([]);
  });
});
