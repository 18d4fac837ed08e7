import { calendarYaml, makeFixture } from './workspace-fixture';

function campaign(id: string, channels: string, priority: number | undefined, time = '12:00'): string {
  return [
    `  - id: ${id}`,
    '    when: [{ dates: [2027-05-01] }]',
    `    slots: [{ id: s, time: "${time}" }]`,
    `    channels: [${channels}]`,
    ...(priority === undefined ? [] : [`    priority: ${priority}`]),
    '    template: promo',
    '    variables: { subject: a Shiba Inu, headline: Hi, tags: [a] }',
  ].join('\n');
}

/** Two campaigns claiming the same slot and channel: the higher priority posts there. */
describe('overlapping campaigns', () => {
  const cases: Array<{
    title: string;
    campaigns: string[];
    posts: Array<[string, string[]]>;
    tieWarning: boolean;
  }> = [
    {
      title: 'higher priority takes the shared channel; the other keeps its own',
      campaigns: [campaign('evergreen', 'x, reels', 0), campaign('black-friday', 'x', 10)],
      posts: [
        ['black-friday/2027-05-01/s', ['x']],
        ['evergreen/2027-05-01/s', ['reels']],
      ],
      tieWarning: false,
    },
    {
      title: 'a campaign left with no channel does not post',
      campaigns: [campaign('evergreen', 'x', 0), campaign('black-friday', 'x, reels', 10)],
      posts: [['black-friday/2027-05-01/s', ['x', 'reels']]],
      tieWarning: false,
    },
    {
      title: 'equal priority: the one listed first wins, with a warning',
      campaigns: [campaign('first', 'x', 5), campaign('second', 'x', 5)],
      posts: [['first/2027-05-01/s', ['x']]],
      tieWarning: true,
    },
    {
      title: 'different times do not overlap',
      campaigns: [campaign('morning', 'x', 0, '09:00'), campaign('noon', 'x', 10, '12:00')],
      posts: [
        ['morning/2027-05-01/s', ['x']],
        ['noon/2027-05-01/s', ['x']],
      ],
      tieWarning: false,
    },
    {
      title: 'different channels at the same time do not overlap',
      campaigns: [campaign('a', 'x', 0), campaign('b', 'tiktok', 10)],
      posts: [
        ['a/2027-05-01/s', ['x']],
        ['b/2027-05-01/s', ['tiktok']],
      ],
      tieWarning: false,
    },
  ];

  test.each(cases)('$title', ({ campaigns, posts, tieWarning }) => {
    const fx = makeFixture({ 'test.yaml': calendarYaml(campaigns.join('\n')) });
    const plan = fx.plan('2027-05-01', '2027-05-01');
    expect(plan.posts.map((p) => [p.postId, p.channels]).sort()).toEqual([...posts].sort());
    const warnings = plan.problems.filter((p) => p.name === 'SlotOverlapWarning');
    expect(warnings.length > 0).toBe(tieWarning);
    expect(plan.problems.filter((p) => p.severity === 'error')).toEqual([]);
  });

  test('overlaps are reported with winner and loser', () => {
    const fx = makeFixture({
      'test.yaml': calendarYaml(
        [campaign('evergreen', 'x', 0), campaign('black-friday', 'x', 10)].join('\n'),
      ),
    });
    expect(fx.plan('2027-05-01', '2027-05-01').overlaps).toEqual([
      {
        date: '2027-05-01',
        localTime: '12:00',
        channel: 'x',
        winner: 'black-friday',
        loser: 'evergreen',
        tie: false,
      },
    ]);
  });

  test('campaigns in different calendars never overlap (each calendar is its own set of accounts)', () => {
    const fx = makeFixture({
      'a.yaml': calendarYaml(campaign('one', 'x', 0)),
      'b.yaml': calendarYaml(campaign('two', 'x', 10)).replace('id: test', 'id: other'),
    });
    expect(fx.plan('2027-05-01', '2027-05-01').posts.map((p) => p.postId)).toEqual([
      'one/2027-05-01/s',
      'two/2027-05-01/s',
    ]);
  });
});

/** The plan lists posts by publish instant, whatever calendar or zone they come from. */
describe('plan order', () => {
  test('posts go by instant, then by post id when several post at the same instant', () => {
    const at = (id: string, time: string): string => campaign(id, 'x', undefined, time);
    const fx = makeFixture({
      // Tokyo 10:00 and Shanghai 09:00 are the same instant (01:00 UTC).
      'tokyo.yaml': calendarYaml([at('zeta', '10:00'), at('early', '08:30')].join('\n'), {
        zone: 'Asia/Tokyo',
      }).replace('id: test', 'id: tokyo'),
      'shanghai.yaml': calendarYaml([at('alpha', '09:00'), at('late', '23:59')].join('\n'), {
        zone: 'Asia/Shanghai',
      }).replace('id: test', 'id: shanghai'),
    });
    const plan = fx.plan('2027-05-01', '2027-05-01');
    expect(plan.posts.map((p) => [p.publishAt, p.postId])).toEqual([
      ['2027-04-30T23:30:00.000Z', 'early/2027-05-01/s'],
      ['2027-05-01T01:00:00.000Z', 'alpha/2027-05-01/s'],
      ['2027-05-01T01:00:00.000Z', 'zeta/2027-05-01/s'],
      ['2027-05-01T15:59:00.000Z', 'late/2027-05-01/s'],
    ]);
  });
});
