import { captionLength } from '../../../activities/publish/channel-text';
import { calendarYaml, campaignYaml, makeFixture } from './workspace-fixture';

function planWith(
  caption: string,
  opts: {
    zone?: string;
    locale?: string;
    holidays?: string;
    when?: string;
    extra?: string;
    more?: string;
  } = {},
) {
  const fx = makeFixture(
    {
      'test.yaml': calendarYaml(
        campaignYaml('promo', opts.when ?? '      - dates: [2027-02-03, 2027-02-04]', opts.more),
        opts,
      ),
    },
    { 'promo/caption.hbs': caption },
  );
  return fx.plan('2027-01-01', '2027-12-31');
}

function captionsOf(plan: ReturnType<typeof planWith>): string[] {
  expect(plan.problems.filter((p) => p.severity === 'error').map((p) => p.message)).toEqual([]);
  return plan.posts.map((p) => p.captions.x!);
}

/** What the template helpers put in a caption, in the calendar's zone and language. */
describe('template helpers', () => {
  test('formatDate uses the calendar locale', () => {
    expect(captionsOf(planWith('{{formatDate "cccc d LLLL"}}', { locale: 'zh-CN' }))).toEqual([
      '星期三 3 二月',
      '星期四 4 二月',
    ]);
    expect(captionsOf(planWith('{{formatDate "cccc, LLL d"}}', { locale: 'en-US' }))).toEqual([
      'Wednesday, Feb 3',
      'Thursday, Feb 4',
    ]);
  });

  test('formatDate of another date shows noon, and the post on that date still shows its slot time', () => {
    const campaign = campaignYaml('promo', '      - dates: [2027-02-03, 2027-02-10]').replace(
      'time: "12:00"',
      'time: "09:30"',
    );
    const fx = makeFixture(
      { 'test.yaml': calendarYaml(campaign) },
      { 'promo/caption.hbs': 'launch {{formatDate "2027-02-10" "HH:mm"}}, now {{formatDate "HH:mm"}}' },
    );
    expect(captionsOf(fx.plan('2027-01-01', '2027-12-31'))).toEqual([
      'launch 12:00, now 09:30',
      'launch 09:30, now 09:30',
    ]);
  });

  test('formatDate with a time shows the slot time in the calendar zone', () => {
    expect(
      captionsOf(planWith('{{formatDate "HH:mm ZZZZ"}}', { zone: 'Europe/Berlin', locale: 'de-DE' }))[0],
    ).toBe('12:00 MEZ');
  });

  test('holidayName and daysUntil count down to the holiday the campaign is relative to', () => {
    const caption = '{{holidayName}}: {{daysUntil holidayDate}}';
    const plan = planWith(caption, {
      holidays: 'holidays: { country: CN }',
      locale: 'zh-CN',
      when: '      - holiday: { name: Spring Festival, day: 2, from: -2, to: 0 }',
    });
    expect(captionsOf(plan)).toEqual(['春节: 2', '春节: 1', '春节: 0']);
    const en = planWith('{{holidayName "en"}}', {
      holidays: 'holidays: { country: CN }',
      locale: 'zh-CN',
      when: '      - holiday: { name: 春节, day: 2 }',
    });
    expect(captionsOf(en)).toEqual(['Spring Festival']);
  });

  test('variant picks by post id: the same post always, different posts may differ', () => {
    const caption = '{{variant "a" "b" "c" "d" "e" "f" "g" "h"}}';
    const first = captionsOf(
      planWith(caption, { when: '      - range: { from: 2027-03-01, to: 2027-03-31 }' }),
    );
    const again = captionsOf(
      planWith(caption, { when: '      - range: { from: 2027-03-01, to: 2027-03-31 }' }),
    );
    expect(again).toEqual(first);
    expect(new Set(first).size).toBeGreaterThan(3);
  });

  test('hashtags turn words into tags', () => {
    expect(captionsOf(planWith('{{hashtags tags}} {{hashtags "Black Friday" "deals"}}'))[0]).toBe(
      '#spring #BlackFriday #deals',
    );
  });

  test('the AI disclosure line ends every caption unless the campaign turns it off', () => {
    expect(captionsOf(planWith('{{headline}}', { extra: 'aiDisclosure: AI-generated video' }))[0]).toBe(
      'Spring is here\n\nAI-generated video',
    );
    expect(
      captionsOf(
        planWith('{{headline}}', {
          extra: 'aiDisclosure: AI-generated video',
          more: '    aiDisclosure: false',
        }),
      )[0],
    ).toBe('Spring is here');
  });

  test('a per-channel caption overrides the shared one for that channel only', () => {
    const fx = makeFixture(
      {
        'test.yaml': calendarYaml(
          campaignYaml('promo', '      - dates: [2027-02-03]', '    channels: [x, reels]'),
        ),
      },
      { 'promo/caption.x.hbs': 'short for X', 'promo/caption.hbs': 'long for {{channel}}' },
    );
    expect(fx.plan('2027-02-03', '2027-02-03').posts[0].captions).toEqual({
      x: 'short for X',
      reels: 'long for reels',
    });
  });

  test('the style partial is the campaign style', () => {
    const plan = planWith('x');
    expect(plan.posts[0].prompt).toBe(
      'a Shiba Inu running through a sakura forest, spring afternoon sun, anime style, cinematic lighting, shallow depth of field',
    );
  });

  test('a campaign variable may not take a name the plan provides', () => {
    const fx = makeFixture({
      'test.yaml': calendarYaml(
        campaignYaml('promo', '      - dates: [2027-02-03]').replace(
          '      tags: [spring]',
          '      tags: [spring]\n      date: tomorrow',
        ),
      ),
    });
    const errors = fx.plan('2027-02-03', '2027-02-03').problems;
    expect(errors.map((e) => [e.name, e.line, e.message.slice(0, 30)])).toEqual([
      ['CalendarValueError', 18, 'variable "date" is reserved (t'],
    ]);
  });
});

describe("X's weighted caption length", () => {
  test.each([
    ['a'.repeat(280), 280],
    ['春'.repeat(140), 280],
    ['春'.repeat(141), 282],
    [`${'a'.repeat(10)} https://example.com/a/very/long/path/that/is/long`, 34],
    ['😀', 2],
  ])('%s weighs %i', (text, weight) => {
    expect(captionLength('x', text)).toBe(weight);
  });

  test('280 fits, 281 is an error; a link counts 23 whatever its length', () => {
    expect(captionsOf(planWith('a'.repeat(280)))).toHaveLength(2);
    expect(planWith('a'.repeat(281)).problems.map((p) => p.name)).toContain('CaptionTooLongError');
    const url = `https://example.com/${'p'.repeat(200)}`;
    expect(captionsOf(planWith(`${'a'.repeat(256)} ${url}`))).toHaveLength(2);
    expect(planWith(`${'a'.repeat(257)} ${url}`).problems.map((p) => p.name)).toContain(
      'CaptionTooLongError',
    );
  });

  test('the disclosure line counts towards the limit', () => {
    expect(
      planWith('a'.repeat(270), { extra: 'aiDisclosure: AI-generated video' }).problems.map((p) => p.name),
    ).toContain('CaptionTooLongError');
  });

  test('other channels are not held to 280', () => {
    const fx = makeFixture(
      {
        'test.yaml': calendarYaml(
          campaignYaml('promo', '      - dates: [2027-02-03]', '    channels: [reels]'),
        ),
      },
      { 'promo/caption.hbs': 'a'.repeat(500) },
    );
    expect(fx.plan('2027-02-03', '2027-02-03').problems).toEqual([]);
  });
});
