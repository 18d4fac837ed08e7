import { localToInstant } from '../../../activities/calendar';
import { calendarYaml, makeFixture } from './workspace-fixture';

/**
 * Wall time → UTC instant. A time that does not exist (spring forward) is an error, never a
 * silent shift; a time that happens twice (fall back) takes the first occurrence.
 */
describe('local time to publish instant', () => {
  const cases: Array<[zone: string, date: string, time: string, expected: string, why: string]> = [
    ['America/New_York', '2027-03-14', '02:30', 'gap', 'spring forward 02:00 → 03:00'],
    [
      'America/New_York',
      '2027-03-14',
      '03:00',
      '2027-03-14T07:00:00.000Z',
      'first minute after the gap (EDT)',
    ],
    [
      'America/New_York',
      '2027-03-14',
      '01:59',
      '2027-03-14T06:59:00.000Z',
      'last minute before the gap (EST)',
    ],
    [
      'America/New_York',
      '2027-11-07',
      '01:30',
      '2027-11-07T05:30:00.000Z',
      'fall back: first 01:30 is EDT (-4)',
    ],
    ['America/New_York', '2027-11-07', '02:30', '2027-11-07T07:30:00.000Z', 'after fall back, EST (-5)'],
    ['America/New_York', '2027-07-01', '09:00', '2027-07-01T13:00:00.000Z', 'summer'],
    ['America/New_York', '2027-01-15', '09:00', '2027-01-15T14:00:00.000Z', 'winter'],
    ['Europe/Berlin', '2027-03-28', '02:30', 'gap', 'spring forward 02:00 → 03:00'],
    [
      'Europe/Berlin',
      '2027-10-31',
      '02:30',
      '2027-10-31T00:30:00.000Z',
      'fall back: first 02:30 is CEST (+2)',
    ],
    ['Europe/Berlin', '2027-10-31', '03:00', '2027-10-31T02:00:00.000Z', 'after fall back, CET (+1)'],
    [
      'Asia/Shanghai',
      '2027-03-14',
      '02:30',
      '2027-03-13T18:30:00.000Z',
      'no DST in China: every time exists',
    ],
    ['Asia/Shanghai', '2027-11-07', '01:30', '2027-11-06T17:30:00.000Z', 'no DST: no doubled time either'],
    ['Asia/Shanghai', '2028-02-29', '20:00', '2028-02-29T12:00:00.000Z', 'leap day'],
  ];

  test.each(cases)('%s %s %s → %s (%s)', (zone, date, time, expected) => {
    const [h, m] = time.split(':').map(Number);
    const result = localToInstant(date, h, m, zone);
    if (expected === 'gap') expect(result.kind).toBe('gap');
    else expect(result.kind === 'ok' && new Date(result.utcMs).toISOString()).toBe(expected);
  });

  test('fall back is flagged as ambiguous; ordinary times are not', () => {
    expect(localToInstant('2027-11-07', 1, 30, 'America/New_York')).toMatchObject({
      kind: 'ok',
      ambiguous: true,
    });
    expect(localToInstant('2027-11-08', 1, 30, 'America/New_York')).toMatchObject({
      kind: 'ok',
      ambiguous: false,
    });
  });

  test.each([
    ['America/New_York', '2027-03-14'],
    ['Europe/Berlin', '2027-03-28'],
  ])('a daily 02:30 slot in %s is an error on %s, naming the calendar line of the time', (zone, gapDay) => {
    const yaml = calendarYaml(
      [
        '  - id: night',
        '    when:',
        '      - weekdays: [mon, tue, wed, thu, fri, sat, sun]',
        '    slots:',
        '      - { id: late, time: "02:30" }',
        '    template: promo',
        '    variables: { subject: a Shiba Inu, headline: Hi, tags: [a] }',
      ].join('\n'),
      { zone },
    );
    const fx = makeFixture({ 'test.yaml': yaml });
    const plan = fx.plan('2027-03-01', '2027-04-30');
    const errors = plan.problems.filter((p) => p.severity === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      name: 'NonexistentLocalTimeError',
      file: fx.shown('calendars/test.yaml'),
      line: 11,
      col: 27,
      field: 'campaigns[0].slots[0].time',
    });
    expect(errors[0].message).toContain(`02:30 does not exist on ${gapDay} in ${zone}`);
    // Nothing silently moved: the gap day has no post, the others keep 02:30 local.
    expect(plan.posts.find((p) => p.date === gapDay)).toBeUndefined();
    expect(plan.posts.every((p) => p.localTime === '02:30')).toBe(true);
  });

  test('the same slot in Asia/Shanghai plans every day', () => {
    const fx = makeFixture({
      'test.yaml': calendarYaml(
        '  - id: night\n    when: [{ weekdays: [sun] }]\n    slots: [{ id: late, time: "02:30" }]\n    template: promo\n    variables: { subject: a Shiba Inu, headline: Hi, tags: [a] }',
      ),
    });
    const plan = fx.plan('2027-03-01', '2027-03-31');
    expect(plan.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(plan.posts.map((p) => p.date)).toEqual(['2027-03-07', '2027-03-14', '2027-03-21', '2027-03-28']);
  });
});
