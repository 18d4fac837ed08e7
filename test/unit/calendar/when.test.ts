import { calendarYaml, campaignYaml, datesOf, makeFixture } from './workspace-fixture';

/** The days a campaign runs: holidays with offsets, weekdays, ranges, dates, rrule, includes. */
describe('when a campaign runs', () => {
  const cases: Array<{
    title: string;
    when: string;
    holidays?: string;
    from: string;
    to: string;
    dates: string[];
  }> = [
    {
      title: 'from 3 days before Spring Festival to the day (day 2: date-holidays lists the eve first)',
      holidays: 'holidays: { country: CN }',
      when: '      - holiday: { name: Spring Festival, day: 2, from: -3, to: 0 }',
      from: '2027-01-25',
      to: '2027-02-15',
      dates: ['2027-02-03', '2027-02-04', '2027-02-05', '2027-02-06'],
    },
    {
      title: 'the holiday named in the country language (春节), same days',
      holidays: 'holidays: { country: CN }',
      when: '      - holiday: { name: 春节, day: 2, from: -3, to: 0 }',
      from: '2027-01-25',
      to: '2027-02-15',
      dates: ['2027-02-03', '2027-02-04', '2027-02-05', '2027-02-06'],
    },
    {
      title: 'Black Friday = the day after Thanksgiving (US)',
      holidays: 'holidays: { country: US }',
      when: '      - holiday: { name: Thanksgiving Day, from: 1, to: 1 }',
      from: '2026-11-01',
      to: '2027-12-31',
      dates: ['2026-11-27', '2027-11-26'],
    },
    {
      title: 'Mid-Autumn, two days before to the day',
      holidays: 'holidays: { country: CN }',
      when: '      - holiday: { name: Mid-Autumn Festival, from: -2, to: 0 }',
      from: '2027-09-01',
      to: '2027-09-30',
      dates: ['2027-09-13', '2027-09-14', '2027-09-15'],
    },
    {
      title: 'a local holiday added by the calendar',
      holidays: 'holidays:\n  country: CN\n  add: [{ date: 2027-02-10, name: Company Day }]',
      when: '      - holiday: { name: Company Day }',
      from: '2027-01-01',
      to: '2027-12-31',
      dates: ['2027-02-10'],
    },
    {
      title: 'a removed holiday no longer anchors the campaign',
      holidays: 'holidays:\n  country: US\n  remove: [2027-11-25]',
      when: '      - holiday: { name: Thanksgiving Day }',
      from: '2026-01-01',
      to: '2027-12-31',
      dates: ['2026-11-26'],
    },
    {
      title: 'weekdays',
      when: '      - weekdays: [mon, fri]',
      from: '2027-03-01',
      to: '2027-03-14',
      dates: ['2027-03-01', '2027-03-05', '2027-03-08', '2027-03-12'],
    },
    {
      title: 'weekdays inside a date range (both must hold)',
      when: '      - { range: { from: 2027-03-03, to: 2027-03-10 }, weekdays: [wed] }',
      from: '2027-03-01',
      to: '2027-03-31',
      dates: ['2027-03-03', '2027-03-10'],
    },
    {
      title: 'explicit dates, or-ed with another rule',
      when: '      - dates: [2027-02-14]\n      - dates: [2027-03-08]',
      from: '2027-01-01',
      to: '2027-12-31',
      dates: ['2027-02-14', '2027-03-08'],
    },
    {
      title: 'year boundary: a yearly range that wraps over New Year',
      when: '      - range: { from: "12-30", to: "01-02" }',
      from: '2026-12-25',
      to: '2027-01-05',
      dates: ['2026-12-30', '2026-12-31', '2027-01-01', '2027-01-02'],
    },
    {
      title: "year boundary: days before New Year's Day come from the previous year",
      holidays: 'holidays: { country: JP }',
      when: "      - holiday: { name: New Year's Day, from: -2, to: -1 }",
      from: '2026-12-01',
      to: '2027-01-31',
      dates: ['2026-12-30', '2026-12-31'],
    },
    {
      title: 'leap day: a yearly 02-29 runs only in leap years',
      when: '      - range: { from: "02-29", to: "02-29" }',
      from: '2027-01-01',
      to: '2028-12-31',
      dates: ['2028-02-29'],
    },
    {
      title: 'leap day: an explicit 2028-02-29',
      when: '      - dates: [2028-02-29]',
      from: '2028-02-01',
      to: '2028-03-31',
      dates: ['2028-02-29'],
    },
    {
      title: 'rrule: the first Monday of each month',
      when: '      - rrule: FREQ=MONTHLY;BYDAY=1MO',
      from: '2027-01-01',
      to: '2027-03-31',
      dates: ['2027-01-04', '2027-02-01', '2027-03-01'],
    },
  ];

  test.each(cases)('$title', ({ when, holidays, from, to, dates }) => {
    const fx = makeFixture({ 'test.yaml': calendarYaml(campaignYaml('promo', when), { holidays }) });
    const plan = fx.plan(from, to);
    expect(plan.problems.filter((p) => p.severity === 'error').map((p) => p.message)).toEqual([]);
    expect(datesOf(plan)).toEqual(dates);
  });

  test('except removes days from when', () => {
    const fx = makeFixture({
      'test.yaml': calendarYaml(
        campaignYaml(
          'promo',
          '      - weekdays: [mon, tue, wed, thu, fri, sat, sun]',
          '    except:\n      - dates: [2027-05-02]',
        ),
      ),
    });
    expect(datesOf(fx.plan('2027-05-01', '2027-05-03'))).toEqual(['2027-05-01', '2027-05-03']);
  });

  test('a disabled campaign plans nothing', () => {
    const fx = makeFixture({
      'test.yaml': calendarYaml(campaignYaml('promo', '      - weekdays: [mon]', '    enabled: false')),
    });
    expect(fx.plan('2027-03-01', '2027-03-31').posts).toEqual([]);
  });

  test('include: campaigns from another file plan like their own', () => {
    const fx = makeFixture({
      'test.yaml': calendarYaml(campaignYaml('main', '      - dates: [2027-04-01]'), {
        extra: 'include:\n  - parts/more.yaml',
      }),
      'parts/more.yaml':
        'campaigns:\n' +
        campaignYaml('extra', '      - dates: [2027-04-02]') +
        '\ninclude:\n  - deeper.yaml\n',
      'parts/deeper.yaml': 'campaigns:\n' + campaignYaml('deepest', '      - dates: [2027-04-03]') + '\n',
    });
    const plan = fx.plan('2027-04-01', '2027-04-05');
    expect(plan.posts.map((p) => p.postId)).toEqual([
      'main/2027-04-01/noon',
      'extra/2027-04-02/noon',
      'deepest/2027-04-03/noon',
    ]);
  });

  test('a plan range crossing New Year keeps each post on its own local date', () => {
    const fx = makeFixture({
      'test.yaml': calendarYaml(campaignYaml('promo', '      - weekdays: [thu, fri]')),
    });
    const plan = fx.plan('2026-12-31', '2027-01-01');
    expect(plan.posts.map((p) => [p.postId, p.publishAt])).toEqual([
      ['promo/2026-12-31/noon', '2026-12-31T04:00:00.000Z'],
      ['promo/2027-01-01/noon', '2027-01-01T04:00:00.000Z'],
    ]);
  });
});
