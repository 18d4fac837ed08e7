import { runValidate } from '../../../cli/commands/validate';
import { calendarYaml, campaignYaml, makeFixture } from './workspace-fixture';

const ok = campaignYaml('promo', '      - dates: [2027-04-01]');

interface Case {
  title: string;
  calendars: Record<string, string>;
  templates?: Record<string, string>;
  blockedTermsFile?: string;
  /** What `validate` must say: error name, file (relative to the fixture), line, column. */
  expected: { name: string; file: string; line: number; col?: number; says: string };
}

/**
 * Every kind of problem `reelcast validate` reports, each pointing at the exact file and line a
 * person must edit. Line numbers are counted in the YAML/template text written in each case.
 */
const cases: Case[] = [
  {
    title: 'YAML syntax: an unclosed quote',
    calendars: { 'test.yaml': 'id: test\nzone: "Asia/Shanghai\nlocale: en-US\ncampaigns: []\n' },
    expected: {
      name: 'CalendarSyntaxError',
      file: 'calendars/test.yaml',
      line: 2,
      col: 7,
      says: 'Missing closing "quote',
    },
  },
  {
    title: 'YAML syntax: a key twice',
    calendars: {
      'test.yaml': 'id: test\nzone: Asia/Shanghai\nzone: Asia/Tokyo\nlocale: en-US\ncampaigns: []\n',
    },
    expected: {
      name: 'CalendarSyntaxError',
      file: 'calendars/test.yaml',
      line: 3,
      col: 1,
      says: 'not valid YAML',
    },
  },
  {
    title: 'YAML syntax: a tab in the indentation, said once for its line',
    calendars: {
      'test.yaml': calendarYaml(ok).replace(
        '    slots:\n',
        '    slots:\n\t  - { id: late, time: "20:00" }\n',
      ),
    },
    expected: {
      name: 'CalendarSyntaxError',
      file: 'calendars/test.yaml',
      line: 11,
      col: 1,
      says: 'Tabs are not allowed as indentation',
    },
  },
  {
    title: 'schema: a misspelt field, shown at its name with a suggestion',
    calendars: {
      'test.yaml': calendarYaml(
        ok.replace('    template: promo', '    tempalte: promo\n    template: promo'),
      ),
    },
    expected: {
      name: 'CalendarSchemaError',
      file: 'calendars/test.yaml',
      line: 12,
      col: 5,
      says: 'unknown field "tempalte" (did you mean "template"?)',
    },
  },
  {
    title: 'schema: a missing required field, shown at the campaign',
    calendars: { 'test.yaml': calendarYaml(ok.replace('    template: promo\n', '')) },
    expected: {
      name: 'CalendarSchemaError',
      file: 'calendars/test.yaml',
      line: 7,
      col: 5,
      says: 'missing field "template"',
    },
  },
  {
    title: 'schema: a time not written HH:MM',
    calendars: { 'test.yaml': calendarYaml(ok.replace('"12:00"', '"9:00"')) },
    expected: {
      name: 'CalendarSchemaError',
      file: 'calendars/test.yaml',
      line: 11,
      col: 27,
      says: 'a 24-hour wall time HH:MM',
    },
  },
  {
    title: 'schema: an unknown channel',
    calendars: { 'test.yaml': calendarYaml(ok).replace('channels: [x]', 'channels: [twitter]') },
    expected: {
      name: 'CalendarSchemaError',
      file: 'calendars/test.yaml',
      line: 5,
      col: 14,
      says: 'one of x, reels, tiktok, shorts, outbox, webhook',
    },
  },
  {
    title: 'value: an unknown time zone',
    calendars: { 'test.yaml': calendarYaml(ok, { zone: 'Asia/Beijing' }) },
    expected: {
      name: 'CalendarValueError',
      file: 'calendars/test.yaml',
      line: 2,
      col: 7,
      says: 'unknown time zone "Asia/Beijing"',
    },
  },
  {
    title: 'value: February 29 in a year that has none',
    calendars: { 'test.yaml': calendarYaml(campaignYaml('promo', '      - dates: [2027-02-29]')) },
    expected: {
      name: 'CalendarValueError',
      file: 'calendars/test.yaml',
      line: 9,
      col: 17,
      says: '2027-02-29 is not a date',
    },
  },
  {
    title: 'value: frames the model cannot make',
    calendars: { 'test.yaml': calendarYaml(`${ok}\n    video: { frames: 120 }`) },
    expected: {
      name: 'CalendarValueError',
      file: 'calendars/test.yaml',
      line: 18,
      col: 22,
      says: 'use 117 or 121',
    },
  },
  {
    title: 'value: the same campaign id twice (across an include)',
    calendars: {
      'test.yaml': calendarYaml(ok, { extra: 'include: [parts/more.yaml]' }),
      'parts/more.yaml': `campaigns:\n${ok}\n`,
    },
    expected: {
      name: 'CalendarValueError',
      file: 'calendars/parts/more.yaml',
      line: 2,
      col: 9,
      says: 'campaign id "promo" is already used',
    },
  },
  {
    title: 'include: a file that does not exist, shown at the include line',
    calendars: { 'test.yaml': calendarYaml(ok, { extra: 'include:\n  - parts/missing.yaml' }) },
    expected: {
      name: 'CalendarSyntaxError',
      file: 'calendars/test.yaml',
      line: 5,
      col: 5,
      says: 'included file "parts/missing.yaml" does not exist',
    },
  },
  {
    title: 'include: a schema error inside an included file points into that file',
    calendars: {
      'test.yaml': calendarYaml(ok, { extra: 'include: [parts/more.yaml]' }),
      'parts/more.yaml': `campaigns:\n${campaignYaml('other', '      - dates: [2027-04-02]').replace('"12:00"', '"25:00"')}\n`,
    },
    expected: {
      name: 'CalendarSchemaError',
      file: 'calendars/parts/more.yaml',
      line: 6,
      col: 27,
      says: 'HH:MM',
    },
  },
  {
    title: 'holiday: a name the country does not have',
    calendars: {
      'test.yaml': calendarYaml(campaignYaml('promo', '      - holiday: { name: Spring Festivel }'), {
        holidays: 'holidays: { country: CN }',
      }),
    },
    expected: {
      name: 'UnknownHolidayError',
      file: 'calendars/test.yaml',
      line: 10,
      col: 26,
      says: 'no holiday named "Spring Festivel" in CN',
    },
  },
  {
    title: 'unknown template',
    calendars: { 'test.yaml': calendarYaml(ok.replace('template: promo', 'template: promotion')) },
    expected: {
      name: 'UnknownTemplateError',
      file: 'calendars/test.yaml',
      line: 12,
      col: 15,
      says: 'no template folder "promotion"',
    },
  },
  {
    title: 'unknown style',
    calendars: { 'test.yaml': calendarYaml(ok.replace('style: cinematic', 'style: watercolour')) },
    expected: {
      name: 'UnknownTemplateError',
      file: 'calendars/test.yaml',
      line: 13,
      col: 12,
      says: 'no style "watercolour"',
    },
  },
  {
    title: 'unknown variable in a template: template file, line and column',
    calendars: { 'test.yaml': calendarYaml(ok) },
    templates: { 'promo/caption.hbs': '{{headline}}\nBuy now: {{product}} {{hashtags tags}}' },
    expected: {
      name: 'UnknownVariableError',
      file: 'templates/promo/caption.hbs',
      line: 2,
      col: 12,
      says: 'unknown variable "product"',
    },
  },
  {
    title: 'unknown variable inside a style partial points at the partial',
    calendars: { 'test.yaml': calendarYaml(ok) },
    templates: { 'styles/cinematic.hbs': 'cinematic lighting,\n{{lens}} lens' },
    expected: {
      name: 'UnknownVariableError',
      file: 'templates/styles/cinematic.hbs',
      line: 2,
      col: 3,
      says: 'unknown variable "lens"',
    },
  },
  {
    title: 'unknown variable only used in {{#if}}: found by reading the template, not only by rendering it',
    calendars: { 'test.yaml': calendarYaml(ok) },
    templates: {
      'promo/caption.hbs': '{{headline}}\n{{#if holidayDate}}{{holidayNmae}}{{/if}} {{#if sale}}sale{{/if}}',
    },
    expected: {
      name: 'UnknownVariableError',
      file: 'templates/promo/caption.hbs',
      line: 2,
      col: 22,
      says: 'unknown variable "holidayNmae"',
    },
  },
  {
    title: 'a helper written in the wrong case: the message names the right one',
    calendars: { 'test.yaml': calendarYaml(ok) },
    templates: { 'promo/caption.hbs': '{{headline}}\nOnly {{formatdate "LLL d"}}! {{hashtags tags}}' },
    expected: {
      name: 'UnknownVariableError',
      file: 'templates/promo/caption.hbs',
      line: 2,
      col: 8,
      says: 'unknown variable "formatdate" (campaign "promo") (did you mean "formatDate"?)',
    },
  },
  {
    title: 'a misspelt style partial: the message names the style',
    calendars: { 'test.yaml': calendarYaml(ok) },
    templates: { 'promo/prompt.hbs': 'a Shiba Inu running, sakura forest,\n{{> ink-wsh}}' },
    expected: {
      name: 'UnknownTemplateError',
      file: 'templates/promo/prompt.hbs',
      line: 2,
      col: 1,
      says: 'unknown partial "ink-wsh" (campaign "promo") (did you mean "ink-wash"?)',
    },
  },
  {
    title: 'unknown partial',
    calendars: { 'test.yaml': calendarYaml(ok) },
    templates: { 'promo/prompt.hbs': 'a Shiba Inu running, sakura forest,\n{{> watercolour}}' },
    expected: {
      name: 'UnknownTemplateError',
      file: 'templates/promo/prompt.hbs',
      line: 2,
      col: 1,
      says: 'unknown partial "watercolour"',
    },
  },
  {
    title: 'template syntax error',
    calendars: { 'test.yaml': calendarYaml(ok) },
    templates: { 'promo/caption.hbs': '{{headline}}\n{{#if tags}}tagged\n' },
    expected: {
      name: 'TemplateSyntaxError',
      file: 'templates/promo/caption.hbs',
      line: 3,
      says: 'template does not parse',
    },
  },
  {
    title: 'nonexistent local time (spring forward in New York)',
    calendars: {
      'test.yaml': calendarYaml(
        campaignYaml('promo', '      - dates: [2027-03-14]').replace('"12:00"', '"02:15"'),
        { zone: 'America/New_York' },
      ),
    },
    expected: {
      name: 'NonexistentLocalTimeError',
      file: 'calendars/test.yaml',
      line: 11,
      col: 27,
      says: '02:15 does not exist on 2027-03-14 in America/New_York',
    },
  },
  {
    title: 'caption too long for X (CJK counts double)',
    calendars: {
      'test.yaml': calendarYaml(ok.replace('headline: Spring is here', `headline: ${'春'.repeat(141)}`)),
    },
    expected: {
      name: 'CaptionTooLongError',
      file: 'templates/promo/caption.hbs',
      line: 1,
      col: 1,
      says: 'is 290 of 280 weighted characters',
    },
  },
  {
    title: 'Instagram: more than 30 hashtags in the caption',
    calendars: {
      'test.yaml': calendarYaml(
        ok.replace('tags: [spring]', `tags: [${Array.from({ length: 31 }, (_, i) => `t${i}`).join(', ')}]`),
      ).replace('channels: [x]', 'channels: [reels]'),
    },
    expected: {
      name: 'CaptionRuleError',
      file: 'templates/promo/caption.hbs',
      line: 1,
      col: 1,
      says: 'the reels caption of campaign "promo" on 2027-04-01 (slot "noon", ',
    },
  },
  {
    title: 'Instagram: more than 20 mentions, with what to do',
    calendars: { 'test.yaml': calendarYaml(ok).replace('channels: [x]', 'channels: [reels]') },
    templates: {
      'promo/caption.hbs': `{{headline}} ${Array.from({ length: 21 }, (_, i) => `@friend${i}`).join(' ')}`,
    },
    expected: {
      name: 'CaptionRuleError',
      file: 'templates/promo/caption.hbs',
      line: 1,
      col: 1,
      says: 'has 21 @-mentions; at most 20 are allowed; mention fewer accounts, or add a caption.reels.hbs with fewer',
    },
  },
  {
    title: 'YouTube: < or > in the description (the caption)',
    calendars: {
      'test.yaml': calendarYaml(ok.replace('headline: Spring is here', "headline: 'Spring <sale>'")).replace(
        'channels: [x]',
        'channels: [shorts]',
      ),
    },
    expected: {
      name: 'CaptionRuleError',
      file: 'templates/promo/caption.hbs',
      line: 1,
      col: 1,
      says: 'contains "<", which the platform does not accept (< > are refused); remove them, or add a caption.shorts.hbs without them',
    },
  },
  {
    title: 'YouTube: a title from title.hbs over 100 characters',
    calendars: { 'test.yaml': calendarYaml(ok).replace('channels: [x]', 'channels: [shorts]') },
    templates: { 'promo/title.hbs': `{{headline}}: ${'more '.repeat(20)}` },
    expected: {
      name: 'CaptionTooLongError',
      file: 'templates/promo/title.hbs',
      line: 1,
      col: 1,
      says: 'the shorts title of campaign "promo" on 2027-04-01',
    },
  },
  {
    title: 'YouTube: a variable misspelt in title.hbs',
    calendars: { 'test.yaml': calendarYaml(ok).replace('channels: [x]', 'channels: [shorts]') },
    templates: { 'promo/title.hbs': '{{headlin}}' },
    expected: {
      name: 'UnknownVariableError',
      file: 'templates/promo/title.hbs',
      line: 1,
      col: 3,
      says: 'unknown variable "headlin"',
    },
  },
  {
    title: 'TikTok: a caption over 2,200 characters',
    calendars: {
      'test.yaml': calendarYaml(
        ok.replace('headline: Spring is here', `headline: ${'a'.repeat(2200)}`),
      ).replace('channels: [x]', 'channels: [tiktok]'),
    },
    expected: {
      name: 'CaptionTooLongError',
      file: 'templates/promo/caption.hbs',
      line: 1,
      col: 1,
      says: 'is 2208 of 2200 characters (an emoji counts 2); shorten the caption or add a shorter caption.tiktok.hbs',
    },
  },
  {
    title: 'TikTok: branded content cannot be private (SELF_ONLY, the default)',
    calendars: { 'test.yaml': calendarYaml(ok, { extra: 'tiktok: { brandContent: true }' }) },
    expected: {
      name: 'CalendarValueError',
      file: 'calendars/test.yaml',
      line: 4,
      col: 25,
      says: 'TikTok does not let branded content (brandContent: true) be private',
    },
  },
  {
    title: 'schema: a TikTok privacy the platform does not have',
    calendars: { 'test.yaml': calendarYaml(ok, { extra: 'tiktok: { privacy: PUBLIC }' }) },
    expected: {
      name: 'CalendarSchemaError',
      file: 'calendars/test.yaml',
      line: 4,
      col: 20,
      says: 'tiktok.privacy is "PUBLIC": expected who sees the post: SELF_ONLY (the default',
    },
  },
  {
    title: 'schema: an account for a channel without accounts (the outbox)',
    calendars: { 'test.yaml': calendarYaml(ok, { extra: 'accounts: { x: us-main, outbox: us-main }' }) },
    expected: {
      name: 'CalendarSchemaError',
      file: 'calendars/test.yaml',
      line: 4,
      col: 25,
      says: 'unknown field "outbox"; allowed here: x, reels, tiktok, shorts',
    },
  },
  {
    title: 'schema: an account name with a space, in a campaign',
    calendars: { 'test.yaml': calendarYaml(`${ok}\n    accounts: { tiktok: US Main }`) },
    expected: {
      name: 'CalendarSchemaError',
      file: 'calendars/test.yaml',
      line: 18,
      col: 25,
      says: 'the name of a connected account',
    },
  },
  {
    title: 'blocked term written in a template',
    calendars: { 'test.yaml': calendarYaml(ok, { extra: 'blockedTerms: [guaranteed]' }) },
    templates: { 'promo/caption.hbs': '{{headline}}\nResults Guaranteed! {{hashtags tags}}' },
    expected: {
      name: 'BlockedTermError',
      file: 'templates/promo/caption.hbs',
      line: 2,
      col: 9,
      says: 'blocked term "Guaranteed"',
    },
  },
  {
    title: 'blocked term from the compliance file, written in a campaign variable',
    calendars: {
      'test.yaml': calendarYaml(
        ok.replace('headline: Spring is here', 'headline: A miracle cure for spring'),
      ),
    },
    blockedTermsFile: '# compliance list\nmiracle cure\n',
    expected: {
      name: 'BlockedTermError',
      file: 'calendars/test.yaml',
      line: 16,
      col: 17,
      says: 'blocked term "miracle cure"',
    },
  },
];

describe('reelcast validate: each problem at its file and line', () => {
  test.each(cases)('$title', ({ calendars, templates, blockedTermsFile, expected }) => {
    const fx = makeFixture(calendars, templates, blockedTermsFile ? { 'blocked.txt': blockedTermsFile } : {});
    const out: string[] = [];
    const code = runValidate(
      [],
      {
        calendarsDir: fx.calendarsDir,
        templatesDir: fx.templatesDir,
        blockedTermsFile: fx.blockedTermsFile,
        from: '2027-01-01',
        to: '2027-12-31',
      },
      { out: (l) => out.push(l), err: () => undefined },
    );
    expect(code).toBe(1);
    const prefix = `${fx.shown(expected.file)}:${expected.line}:${expected.col ?? ''}`;
    const hit = out.find((l) => l.startsWith(prefix) && l.includes(expected.says));
    if (!hit)
      throw new Error(`expected a line starting ${prefix} saying ${expected.says}; got:\n${out.join('\n')}`);
    // A YAML mistake is said once for its line, not once per stumble of the parser.
    const sameLine = `${fx.shown(expected.file)}:${expected.line}:`;
    expect(out.filter((l) => l.startsWith(sameLine) && l.includes('not valid YAML')).length).toBeLessThan(2);
    // Also the error class, for workflows and the failures list.
    const fxPlan = fx.plan('2027-01-01', '2027-12-31');
    expect(fxPlan.problems.map((p) => p.name)).toContain(expected.name);
  });

  test('every problem is printed in one run, not only the first, and the exit code is 1', () => {
    const campaigns = [
      campaignYaml('one', '      - dates: [2027-02-30]'),
      campaignYaml('two', '      - dates: [2027-04-01]').replace('"12:00"', '"24:00"'),
      campaignYaml('three', '      - dates: [2027-04-01]').replace('template: promo', 'template: nope'),
      campaignYaml('four', '      - dates: [2027-03-14]').replace('"12:00"', '"02:30"'),
    ].join('\n');
    const fx = makeFixture({
      'a.yaml': calendarYaml(campaigns, { zone: 'America/New_York' }),
      'b.yaml': calendarYaml(ok).replace('id: test', 'id: fine'),
    });
    const out: string[] = [];
    const validate = (dirs: { calendarsDir: string; templatesDir: string }): number =>
      runValidate(
        [],
        { ...dirs, from: '2027-01-01', to: '2027-12-31' },
        { out: (l) => out.push(l), err: () => undefined },
      );
    expect(validate(fx)).toBe(1);
    expect(out.map((l) => l.replace(/^.*a\.yaml:/, ''))).toEqual([
      expect.stringMatching(/^9:17: 2027-02-30 is not a date/),
      expect.stringMatching(
        /^22:27: campaigns\[1\]\.slots\[0\]\.time is "24:00": expected a 24-hour wall time/,
      ),
      expect.stringMatching(/^34:15: campaign "three": no template folder "nope"/),
      expect.stringMatching(/^44:27: 02:30 does not exist on 2027-03-14 in America\/New_York/),
    ]);
  });

  test('a calendar without a usable zone stops at the zone (every time would be wrong)', () => {
    const fx = makeFixture({
      'a.yaml': calendarYaml(campaignYaml('one', '      - dates: [2027-02-30]'), { zone: 'Mars/Olympus' }),
    });
    const out: string[] = [];
    runValidate(
      [],
      { calendarsDir: fx.calendarsDir, templatesDir: fx.templatesDir, from: '2027-01-01' },
      { out: (l) => out.push(l), err: () => undefined },
    );
    expect(out.map((l) => l.replace(/^.*a\.yaml:/, ''))).toEqual([
      expect.stringMatching(/^2:7: unknown time zone "Mars\/Olympus"/),
    ]);
  });

  test('names inside {{#each}} and helpers are not mistaken for unknown variables', () => {
    const fx = makeFixture(
      {
        'test.yaml': calendarYaml(
          ok.replace('      tags: [spring]', '      tags: [spring]\n      items: [{ name: a }, { name: b }]'),
        ),
      },
      {
        'promo/caption.hbs':
          '{{#each items}}{{name}}{{@index}}{{/each}}{{#each tags}}{{this}}{{else}}{{headline}}{{/each}} {{formatDate "d"}} {{holidayName}} {{campaign.name}}',
      },
    );
    const plan = fx.plan('2027-04-01', '2027-04-01');
    expect(plan.problems).toEqual([]);
    expect(plan.posts[0].captions.x).toBe('a0b1spring 1  promo');
  });

  test('a template that does not parse is reported once, at its line, not again for each post', () => {
    const fx = makeFixture(
      { 'test.yaml': calendarYaml(campaignYaml('promo', '      - weekdays: [mon, tue, wed]')) },
      { 'promo/caption.hbs': '{{headline}}\n{{#if tags}}tagged\n' },
    );
    const plan = fx.plan('2027-01-01', '2027-01-31');
    expect(plan.problems.map((p) => [p.name, p.file, p.line])).toEqual([
      ['TemplateSyntaxError', fx.shown('templates/promo/caption.hbs'), 3],
    ]);
    expect(plan.posts).toEqual([]);
  });

  test('a valid calendar exits 0 with no output lines', () => {
    const fx = makeFixture({ 'test.yaml': calendarYaml(ok) });
    const out: string[] = [];
    const err: string[] = [];
    const code = runValidate(
      [],
      { calendarsDir: fx.calendarsDir, templatesDir: fx.templatesDir, from: '2027-01-01' },
      { out: (l) => out.push(l), err: (l) => err.push(l) },
    );
    expect({ code, out }).toEqual({ code: 0, out: [] });
    expect(err.join('\n')).toContain('ok:');
  });

  test('validate accepts file paths instead of the whole folder', () => {
    const fx = makeFixture({ 'good.yaml': calendarYaml(ok), 'bad.yaml': 'id: [' });
    const code = runValidate(
      [`${fx.calendarsDir}/good.yaml`],
      { calendarsDir: fx.calendarsDir, templatesDir: fx.templatesDir, from: '2027-01-01' },
      { out: () => undefined, err: () => undefined },
    );
    expect(code).toBe(0);
  });
});
