import Holidays from 'date-holidays';
import { dateOf, dayNumber } from './days';

export type HolidayType = 'public' | 'bank' | 'school' | 'optional' | 'observance';

export interface HolidaySetSpec {
  /** `CN`, `US-CA`, `DE-BY`. */
  country: string;
  types: HolidayType[];
  /** Local corrections: days the package lacks (China's adjusted days, for instance). */
  add: Array<{ date: string; name: string }>;
  /** Days the package lists that are not holidays for this calendar. */
  remove: string[];
}

/** Whether date-holidays knows the country (and region); an explanation when it does not. */
export function checkCountry(country: string): string | undefined {
  const [code, region] = country.split('-');
  const probe = new Holidays();
  const countries = probe.getCountries() as Record<string, string> | undefined;
  if (!countries || !countries[code])
    return `unknown country code "${code}"; use an ISO 3166 code such as CN, US, JP, DE`;
  if (region) {
    const states = (probe.getStates(code) as Record<string, string> | undefined) ?? {};
    if (!states[region]) {
      const known = Object.keys(states);
      return known.length
        ? `unknown region "${region}" for ${code}; known regions: ${known.slice(0, 30).join(', ')}${known.length > 30 ? ', …' : ''}`
        : `${code} has no regions in the holiday data; write just "${code}"`;
    }
  }
  return undefined;
}

/**
 * The holidays of one calendar: the package's list for its country and types, in English and
 * the country's own language (so `Spring Festival` and `春节` both work), plus local overrides.
 * Years are computed on first use and kept.
 */
export class HolidaySet {
  readonly #source: PackageHolidays;
  readonly #byYear = new Map<number, Map<string, HolidayName[]>>();
  readonly #removed: Set<string>;

  constructor(readonly spec: HolidaySetSpec) {
    this.#source = packageHolidays(spec.country, spec.types);
    this.#removed = new Set(spec.remove);
  }

  /** Holiday names on a date, English first, then the country's language. */
  namesOn(date: string): string[] {
    return [...new Set((this.#year(Number(date.slice(0, 4))).get(date) ?? []).map((h) => h.name))];
  }

  /**
   * The name of a holiday on a date in the language of `locale` when the data has it, else in
   * English; `sameAs` picks which holiday when several fall on the date.
   */
  localName(date: string, locale: string, sameAs?: string): string | undefined {
    const all = this.#year(Number(date.slice(0, 4))).get(date) ?? [];
    const group = sameAs
      ? all.filter((h) => h.group === all.find((x) => normalise(x.name) === normalise(sameAs))?.group)
      : all;
    if (group.length === 0) return undefined;
    const lang = locale.split('-')[0].toLowerCase();
    return (group.find((h) => h.lang === lang) ?? group.find((h) => h.lang === 'en') ?? group[0]).name;
  }

  /**
   * Each occurrence of a holiday in a year, as its run of consecutive days (Spring Festival is
   * listed as three days, New Year's Eve first; a rule picks which day to count from).
   */
  occurrences(name: string, year: number): string[][] {
    const wanted = normalise(name);
    const days = [...this.#year(year).entries()]
      .filter(([, names]) => names.some((n) => normalise(n.name) === wanted))
      .map(([date]) => dayNumber(date))
      .sort((a, b) => a - b);
    const runs: string[][] = [];
    days.forEach((d, i) => {
      if (i === 0 || days[i - 1] !== d - 1) runs.push([]);
      runs[runs.length - 1].push(dateOf(d));
    });
    return runs;
  }

  /** All names known in the given years, for "did you mean" and for checking `holiday:` names. */
  namesIn(years: number[]): string[] {
    const names = new Set<string>();
    for (const y of years) for (const list of this.#year(y).values()) for (const n of list) names.add(n.name);
    return [...names];
  }

  #year(year: number): Map<string, HolidayName[]> {
    let map = this.#byYear.get(year);
    if (map) return map;
    map = new Map();
    const put = (date: string, name: string, lang: string, group: string): void => {
      const list = map!.get(date) ?? [];
      if (!list.some((h) => h.name === name && h.lang === lang)) list.push({ name, lang, group });
      map!.set(date, list);
    };
    for (const h of this.#source.year(year))
      if (!this.#removed.has(h.date)) put(h.date, h.name, h.lang, h.group);
    for (const a of this.spec.add)
      if (a.date.startsWith(`${year}-`)) put(a.date, a.name, 'local', `local:${a.name}`);
    this.#byYear.set(year, map);
    return map;
  }
}

/**
 * The package's holidays for one country and set of types, shared by every calendar and every
 * plan in the process: computing a year (China's lunar dates especially) is slow, and a worker
 * re-reads calendars on each plan.
 */
interface PackageHolidays {
  year(year: number): ReadonlyArray<{ date: string } & HolidayName>;
}

const packages = new Map<string, PackageHolidays>();

function packageHolidays(country: string, types: HolidayType[]): PackageHolidays {
  const key = `${country}|${[...types].sort().join(',')}`;
  let found = packages.get(key);
  if (!found) {
    const [code, region] = country.split('-');
    const hd = region ? new Holidays(code, region, { types }) : new Holidays(code, { types });
    const native = (hd.getLanguages() as string[] | undefined) ?? [];
    const languages = [...new Set(['en', ...native])];
    const years = new Map<number, Array<{ date: string } & HolidayName>>();
    found = {
      year(year) {
        let list = years.get(year);
        if (!list) {
          list = [];
          for (const lang of languages) {
            const raw =
              (hd.getHolidays(year, lang) as
                Array<{ date: string; name: string; rule: string }> | undefined) ?? [];
            // The rule text is the same in every language: it ties "Spring Festival" to "春节".
            for (const h of raw) list.push({ date: h.date.slice(0, 10), name: h.name, lang, group: h.rule });
          }
          years.set(year, list);
        }
        return list;
      },
    };
    packages.set(key, found);
  }
  return found;
}

interface HolidayName {
  name: string;
  lang: string;
  group: string;
}

function normalise(name: string): string {
  return name.normalize('NFKC').trim().toLowerCase().replace(/\s+/g, ' ');
}

export function sameHolidayName(a: string, b: string): boolean {
  return normalise(a) === normalise(b);
}
