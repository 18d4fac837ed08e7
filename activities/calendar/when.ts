import { campaignPosition, type Calendar, type Campaign, type Rule } from './calendar';
import { dateOf, dayNumber, weekdayOf, yearOf } from './days';
import { CalendarError, CalendarValueError, UnknownHolidayError } from './errors';

/** Why a campaign runs on a day: the holiday its rule is relative to, when it is one. */
export interface CampaignDay {
  day: number;
  date: string;
  holiday?: { name: string; date: string };
}

/**
 * The days from `from` to `to` (day numbers, both included) on which a campaign runs: any `when`
 * rule matches and no `except` rule does. Within one rule every condition must hold.
 */
export function campaignDays(
  calendar: Calendar,
  campaign: Campaign,
  from: number,
  to: number,
): { days: CampaignDay[]; problems: CalendarError[] } {
  const problems: CalendarError[] = [];
  const when = campaign.when.map((r) => compileRule(calendar, campaign, r, from, to, problems));
  const except = campaign.except.map((r) => compileRule(calendar, campaign, r, from, to, problems));
  if (problems.length > 0) return { days: [], problems };
  const days: CampaignDay[] = [];
  for (let day = from; day <= to; day++) {
    const date = dateOf(day);
    let matched: CompiledRule | undefined;
    for (const rule of when) {
      if (rule.matches(day, date)) {
        matched = rule;
        break;
      }
    }
    if (!matched || except.some((r) => r.matches(day, date))) continue;
    days.push({ day, date, holiday: matched.holidayOn?.(day) });
  }
  return { days, problems };
}

interface CompiledRule {
  matches(day: number, date: string): boolean;
  holidayOn?: (day: number) => { name: string; date: string } | undefined;
}

function compileRule(
  calendar: Calendar,
  campaign: Campaign,
  rule: Rule,
  from: number,
  to: number,
  problems: CalendarError[],
): CompiledRule {
  const checks: Array<(day: number, date: string) => boolean> = [];
  let holidayOn: CompiledRule['holidayOn'];

  if (rule.dates) {
    const dates = rule.dates;
    checks.push((_, date) => dates.has(date));
  }
  if (rule.range) {
    const { from: a, to: b, annual } = rule.range;
    if (annual) {
      // MM-DD compares as text; a range like 12-20 … 01-05 wraps over New Year.
      checks.push(
        a <= b
          ? (_, date) => date.slice(5) >= a && date.slice(5) <= b
          : (_, date) => date.slice(5) >= a || date.slice(5) <= b,
      );
    } else {
      const lo = dayNumber(a);
      const hi = dayNumber(b);
      checks.push((day) => day >= lo && day <= hi);
    }
  }
  if (rule.weekdays) {
    const weekdays = rule.weekdays;
    checks.push((day) => weekdays.has(weekdayOf(day)));
  }
  if (rule.holiday) {
    const anchorOf = holidayWindow(calendar, campaign, rule, from, to, problems);
    checks.push((day) => anchorOf.has(day));
    holidayOn = (day) => anchorOf.get(day);
  }
  if (rule.rrule) {
    const hits = new Set(
      rule.rrule
        .between(new Date(from * 86_400_000), new Date(to * 86_400_000 + 86_399_999), true)
        .map((d) => Math.floor(d.getTime() / 86_400_000)),
    );
    checks.push((day) => hits.has(day));
  }
  return { matches: (day, date) => checks.every((c) => c(day, date)), holidayOn };
}

/** Day number → the holiday occurrence it belongs to, for every day inside the rule's window. */
function holidayWindow(
  calendar: Calendar,
  campaign: Campaign,
  rule: Rule,
  from: number,
  to: number,
  problems: CalendarError[],
): Map<number, { name: string; date: string }> {
  const { name, day, from: before, to: after } = rule.holiday!;
  const out = new Map<number, { name: string; date: string }>();
  const at = campaignPosition(campaign, ...rule.path.slice(campaign.path.length), 'holiday', 'name');
  if (!calendar.holidays) {
    problems.push(
      new CalendarValueError(
        at,
        `campaign "${campaign.id}" is relative to the holiday "${name}", but the calendar has no holidays; add holidays: {country: CN} (your country code) at the top`,
      ),
    );
    return out;
  }
  // Offsets reach up to a year either way, so look at the neighbouring years too.
  const years: number[] = [];
  for (let y = yearOf(from) - 1; y <= yearOf(to) + 1; y++) years.push(y);
  let found = false;
  for (const year of years) {
    for (const run of calendar.holidays.occurrences(name, year)) {
      found = true;
      // day: 1 is the first listed day, -1 the last; a shorter run counts from its nearest end.
      const anchor = day > 0 ? run[Math.min(day, run.length) - 1] : run[Math.max(run.length + day, 0)];
      const a = dayNumber(anchor);
      for (let d = Math.max(a + before, from); d <= Math.min(a + after, to); d++)
        if (!out.has(d)) out.set(d, { name, date: anchor });
    }
  }
  if (!found) {
    const known = calendar.holidays.namesIn(years.slice(1, -1));
    problems.push(
      new UnknownHolidayError(
        at,
        `no holiday named "${name}" in ${calendar.holidays.spec.country} in ${years[1]}${years.length > 3 ? `–${years[years.length - 2]}` : ''}${closest(name, known)}; known: ${known.slice(0, 12).join(', ')}${known.length > 12 ? ', …' : ''}; add it under holidays.add if the data lacks it`,
      ),
    );
  }
  return out;
}

function closest(name: string, known: string[]): string {
  const lower = name.toLowerCase();
  const hit = known.find(
    (k) =>
      k.toLowerCase().includes(lower) ||
      lower.includes(k.toLowerCase()) ||
      k.toLowerCase().startsWith(lower.slice(0, 4)),
  );
  return hit ? ` (did you mean "${hit}"?)` : '';
}
