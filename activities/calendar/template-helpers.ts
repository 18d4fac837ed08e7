import type Handlebars from 'handlebars';
import { DateTime } from 'luxon';
import { dayNumber } from './days';
import { hash32 } from './post-id';
import type { PostData } from './templates';

/**
 * The helpers templates may use: dates in the calendar's zone and language, the holiday, days
 * until a date, a variant picked by post id (never random), hashtags. `cache` keeps formatted
 * dates: a year's plan formats the same few hundred dates over and over.
 */
export function registerHelpers(env: typeof Handlebars, cache: Map<string, string>): void {
  const postOf = (options: Handlebars.HelperOptions): PostData => (options.data as { post: PostData }).post;

  /** {{formatDate "DDD"}} the post's date (and time); {{formatDate someDate "d LLL"}} another date. */
  env.registerHelper('formatDate', function (...args: unknown[]) {
    const options = args.pop() as Handlebars.HelperOptions;
    const post = postOf(options);
    const [a, b] = args as string[];
    const date = b === undefined ? post.date : a;
    const format = b === undefined ? (a ?? 'DDD') : b;
    const key = `${post.zone}|${post.locale}|${date}|${showsTime(format) ? post.localTime : ''}|${format}`;
    let out = cache.get(key);
    if (out === undefined) {
      const time = date === post.date ? post.localTime : '12:00';
      const dt = DateTime.fromISO(`${date}T${time}`, { zone: post.zone, locale: post.locale });
      if (!dt.isValid) throw new Error(`formatDate: "${date}" is not a date (YYYY-MM-DD)`);
      out = dt.toFormat(format);
      if (cache.size > 50_000) cache.clear();
      cache.set(key, out);
    }
    return out;
  });

  /** {{daysUntil holidayDate}}: whole days from the post's date (negative once past). */
  env.registerHelper('daysUntil', function (date: unknown, options: Handlebars.HelperOptions) {
    const target = dayNumber(String(date));
    if (Number.isNaN(target)) throw new Error(`daysUntil: "${String(date)}" is not a date (YYYY-MM-DD)`);
    return target - dayNumber(postOf(options).date);
  });

  /** {{holidayName}} in the calendar's language; {{holidayName "en"}} in another. */
  env.registerHelper('holidayName', function (...args: unknown[]) {
    const options = args.pop() as Handlebars.HelperOptions;
    const post = postOf(options);
    const lang = (args[0] as string | undefined) ?? post.locale;
    if (post.holiday)
      return post.holidays?.localName(post.holiday.date, lang, post.holiday.name) ?? post.holiday.name;
    return post.holidays?.localName(post.date, lang) ?? '';
  });

  /** {{variant "a" "b" "c"}}: one of the options, the same every time for the same post. */
  env.registerHelper('variant', function (...args: unknown[]) {
    const options = args.pop() as Handlebars.HelperOptions;
    const choices = args.flat().map(String);
    if (choices.length === 0) return '';
    return choices[hash32(`${postOf(options).postId}\u0000${choices.join('\u0001')}`) % choices.length];
  });

  /** {{hashtags tags}} or {{hashtags "Black Friday" "deals"}} → "#BlackFriday #deals". */
  const tagCache = new Map<string, string>();
  env.registerHelper('hashtags', function (...args: unknown[]) {
    args.pop();
    const key = JSON.stringify(args);
    const hit = tagCache.get(key);
    if (hit !== undefined) return hit;
    const tags = args
      .flat()
      .flatMap((t) => String(t).split(','))
      .map((t) => t.replace(/[^\p{L}\p{N}_]/gu, ''))
      .filter(Boolean);
    const out = [...new Set(tags)].map((t) => `#${t}`).join(' ');
    if (tagCache.size > 10_000) tagCache.clear();
    tagCache.set(key, out);
    return out;
  });
}

/** Whether a luxon format shows the time of day (or zone), outside 'quoted' literal text. */
function showsTime(format: string): boolean {
  let hit = timeFormats.get(format);
  if (hit === undefined) {
    hit = /[hHmsSaZztTfFxX]/.test(format.replace(/'[^']*'/g, ''));
    timeFormats.set(format, hit);
  }
  return hit;
}

const timeFormats = new Map<string, boolean>();
