import { lintPrompt } from '../../../activities/calendar';
import { BlockedTerms } from '../../../activities/calendar/compliance';
import { calendarYaml, campaignYaml, makeFixture } from './workspace-fixture';

describe('prompt lint (subject + action + scene + style)', () => {
  test.each([
    'a white wireless earbud case pops open and rotates, blue-purple gradient background, tech feel',
    'a Shiba Inu running through a sakura forest, spring afternoon sun, anime style',
    '红包雨飘落，金色粒子洒满屏幕，喜庆中国风',
  ])('the example prompt "%s" passes', (prompt) => {
    expect(lintPrompt(prompt)).toEqual([]);
  });

  test.each([
    ['make a cool video', /short.*\n.*abstract/s],
    ['a cat', /short/],
    [
      'a golden retriever puppy sitting quietly on a wooden porch with its red ball and a blanket',
      /lacks .*style/,
    ],
    ['a red sports car, cinematic lighting, film grain, dramatic mood', /lacks an action.*a scene/],
  ])('"%s" warns', (prompt, pattern) => {
    expect(lintPrompt(prompt).join('\n')).toMatch(pattern);
  });

  test('a warning is attached to the post and reported at the prompt template, without failing the plan', () => {
    const fx = makeFixture(
      { 'test.yaml': calendarYaml(campaignYaml('promo', '      - dates: [2027-02-03]')) },
      { 'promo/prompt.hbs': 'make a cool video' },
    );
    const plan = fx.plan('2027-02-03', '2027-02-03');
    expect(plan.posts[0].warnings.length).toBeGreaterThan(0);
    expect(
      plan.problems.every(
        (p) =>
          p.severity === 'warning' &&
          p.name === 'PromptLintWarning' &&
          p.file === fx.shown('templates/promo/prompt.hbs'),
      ),
    ).toBe(true);
  });
});

describe('blocked terms', () => {
  const list = new BlockedTerms(['ass', 'miracle cure', '赌博', 'guaranteed']);
  test.each([
    ['a class on glass art', undefined],
    ['kick ass deals', 'ass'],
    ['the MIRACLE  Cure is here', 'MIRACLE  Cure'],
    ['线上赌博平台', '赌博'],
    ['ＧＵＡＲＡＮＴＥＥＤ results', 'GUARANTEED'],
  ])('%s → %s', (text, term) => {
    expect(list.find(text)).toBe(term);
  });
});
