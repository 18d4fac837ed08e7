import type Handlebars from 'handlebars';
import { DateTime } from 'luxon';
import { dayNumber } from './days';
import { hash32 } from './post-id';
import type { PostData } from './templates';

/**
 * The helpers templates may use: dates in the calendar's zone and language, the holiday, days
 * until a date, a variant picked by post id (never random), hashtags. Returns the helpers, for
 * the compiled templates (template-compiler.ts) to call the same functions.
 */
export function registerHelpers(env: typeof Handlebars): Record<string, (...args: unknown[]) => unknown> {
  const postOf = (options: Handlebars.HelperOptions): PostData => (options.data as { post: PostData }).post;
  const formatted = new FormatCache();

  /** {{formatDate "DDD"}} the post's date (and time); {{formatDate someDate "d LLL"}} another date. */
  env.registerHelper('formatDate', function (...args: unknown[]) {
    const options = args.pop() as Handlebars.HelperOptions;
    const post = postOf(options);
    const [a, b] = args as string[];
    const date = b === undefined ? post.date : String(a);
    const format = String(b === undefined ? (a ?? 'DDD') : b);
    // Another date than the post's is shown at noon (its time of day is not the slot's).
    const time = date === post.date ? post.localTime : '12:00';
    const at = showsTime(format) ? `${date}T${time}` : date;
    // A date alone reads the same in every zone: formatting it as UTC skips luxon's offset
    // lookups (Intl, slow) and shares the result between calendars.
    const zone = at === date ? 'utc' : post.zone;
    return formatted.get(zone, post.locale, format, at, () => {
      const dt = DateTime.fromISO(`${date}T${time}`, { zone, locale: post.locale });
      if (!dt.isValid) throw new Error(`formatDate: "${date}" is not a date (YYYY-MM-DD)`);
      return dt.toFormat(format);
    });
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
    const choices = args.some(Array.isArray) ? args.flat() : args;
    if (choices.length === 0) return '';
    // The hash of `${postId}\0${choices joined by \1}`, without building that string.
    let h = hash32('\u0000', hash32(postOf(options).postId));
    for (let i = 0; i < choices.length; i++) {
      if (i > 0) h = hash32('\u0001', h);
      h = hash32(String(choices[i]), h);
    }
    return String(choices[h % choices.length]);
  });

  /** {{hashtags tags}} or {{hashtags "Black Friday" "deals"}} → "#BlackFriday #deals". */
  const tagCache = new Map<string, string>();
  const listCache = new WeakMap<unknown[], { items: unknown[]; out: string }>();
  env.registerHelper('hashtags', function (...args: unknown[]) {
    args.pop();
    // One list from the campaign's variables, the same every post: known by identity.
    const list = args.length === 1 && Array.isArray(args[0]) ? (args[0] as unknown[]) : undefined;
    const known = list && listCache.get(list);
    if (known && known.items.length === list.length && known.items.every((t, i) => t === list[i]))
      return known.out;
    const key = list ? undefined : JSON.stringify(args);
    const hit = key === undefined ? undefined : tagCache.get(key);
    if (hit !== undefined) return hit;
    const tags = args
      .flat()
      .flatMap((t) => String(t).split(','))
      .map((t) => t.replace(/[^\p{L}\p{N}_]/gu, ''))
      .filter(Boolean);
    const out = [...new Set(tags)].map((t) => `#${t}`).join(' ');
    if (list) listCache.set(list, { items: [...list], out });
    else {
      if (tagCache.size > 10_000) tagCache.clear();
      tagCache.set(key!, out);
    }
    return out;
  });

  const ours = ['formatDate', 'daysUntil', 'holidayName', 'variant', 'hashtags'];
  return Object.fromEntries(ours.map((name) => [name, env.helpers[name] as (...args: unknown[]) => unknown]));
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

/**
 * Formatted dates by zone, locale, format and date (and time): a year's plan formats the same
 * few hundred dates over and over. Maps within maps, so a hit builds no key string.
 */
class FormatCache {
  readonly #zones = new Map<string, Map<string, Map<string, Map<string, string>>>>();
  #size = 0;

  get(zone: string, locale: string, format: string, at: string, make: () => string): string {
    const byLocale = this.#zones.get(zone) ?? this.#add(this.#zones, zone);
    const byFormat = byLocale.get(locale) ?? this.#add(byLocale, locale);
    const byDate = byFormat.get(format) ?? this.#add(byFormat, format);
    let out = byDate.get(at);
    if (out === undefined) {
      out = make();
      if (++this.#size > 50_000) {
        this.#zones.clear();
        this.#size = 0;
        return out;
      }
      byDate.set(at, out);
    }
    return out;
  }

  #add<V>(map: Map<string, Map<string, V>>, key: string): Map<string, V> {
    const inner = new Map<string, V>();
    map.set(key, inner);
    return inner;
  }
}
