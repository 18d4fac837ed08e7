/** The calendar's `safety:` block: thresholds per class, the campaign's over the calendar's, checked with file:line. */
import type { PostSpec } from '../../../activities/calendar';
import { calendarYaml, campaignYaml, makeFixture } from '../calendar/workspace-fixture';

function planned(head: string, more = '') {
  const fx = makeFixture({
    'test.yaml': calendarYaml(campaignYaml('promo', '      - dates: [2027-04-01]', more), { extra: head }),
  });
  const plan = fx.plan('2027-04-01', '2027-04-01');
  return { fx, plan, post: plan.posts[0] as PostSpec | undefined };
}

describe('safety thresholds in the calendar', () => {
  test('without a safety block every post carries the defaults', () => {
    const { plan, post } = planned('');
    expect(plan.problems).toEqual([]);
    expect(post!.safety).toEqual({ drawing: 1, hentai: 0.5, neutral: 1, porn: 0.5, sexy: 0.8 });
  });

  test('a campaign’s thresholds replace the calendar’s class by class', () => {
    const { plan, post } = planned(
      'safety: { sexy: 0.6, porn: 0.4 }',
      '    safety: { porn: 0.2, drawing: 0 }',
    );
    expect(plan.problems).toEqual([]);
    expect(post!.safety).toEqual({ drawing: 0, hentai: 0.5, neutral: 1, porn: 0.2, sexy: 0.6 });
  });

  test.each([
    ['safety: { porn: 1.5 }', /safety\.porn is 1\.5, which is not allowed.*a probability from 0 to 1/],
    ['safety: { nudity: 0.5 }', /unknown field "nudity".*allowed here: porn, hentai, sexy, drawing, neutral/],
    ['safety: { sexy: high }', /safety\.sexy should be number/],
  ])('%s is an error naming the file and line', (head, message) => {
    const { fx, plan } = planned(head);
    const problem = plan.problems.find((p) => p.severity === 'error');
    expect(problem).toMatchObject({ file: fx.shown('calendars/test.yaml') });
    expect(problem!.line).toBeGreaterThan(0);
    expect(problem!.message).toMatch(message);
  });
});
