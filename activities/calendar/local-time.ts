import { IANAZone } from 'luxon';

/**
 * A calendar's wall time on a date, as an instant. Daylight saving makes some wall times not
 * exist (spring forward: 02:30 in New York on the second Sunday of March) and some happen twice
 * (fall back: 01:30 on the first Sunday of November). A missing time is reported, never shifted;
 * a doubled time takes its FIRST occurrence (the earlier instant, still on summer time), because
 * a post planned for 01:30 should not wait for the second 01:30 an hour later.
 */
export type LocalInstant =
  | { kind: 'ok'; utcMs: number; ambiguous: boolean; offsetMinutes: number }
  | { kind: 'gap'; gapMinutes: number };

const zones = new Map<string, IANAZone>();

export function zoneOf(name: string): IANAZone {
  let zone = zones.get(name);
  if (!zone) {
    zone = IANAZone.create(name);
    zones.set(name, zone);
  }
  return zone;
}

/**
 * Per zone, then date: the date's midnight as if UTC, and the zone's offset when it is the same
 * all around that day (no transition), else null.
 */
const days = new Map<string, Map<string, { midnight: number; steady: number | null }>>();

/** Per zone: its offset at 00:00 UTC of a day number. Neighbouring dates share the samples. */
const midnightOffsets = new Map<string, Map<number, number>>();

function offsetAtMidnight(zoneName: string, day: number): number {
  let byDay = midnightOffsets.get(zoneName);
  if (!byDay) {
    byDay = new Map();
    midnightOffsets.set(zoneName, byDay);
  }
  let offset = byDay.get(day);
  if (offset === undefined) {
    offset = zoneOf(zoneName).offset(day * 86_400_000);
    if (byDay.size > 100_000) byDay.clear();
    byDay.set(day, offset);
  }
  return offset;
}

export function localToInstant(date: string, hour: number, minute: number, zoneName: string): LocalInstant {
  // Looking up an offset is slow (Intl); most days have no transition, so one look per day
  // and zone answers every time of that day. Maps within maps: no key string to build per call.
  let byDate = days.get(zoneName);
  if (!byDate) {
    byDate = new Map();
    days.set(zoneName, byDate);
  }
  let known = byDate.get(date);
  if (known === undefined) {
    const midnight = Date.UTC(
      Number(date.slice(0, 4)),
      Number(date.slice(5, 7)) - 1,
      Number(date.slice(8, 10)),
    );
    // Steady when the offset is the same at every UTC midnight from two days before to three
    // after (a zone never changes offset twice within a day).
    const day = midnight / 86_400_000;
    const first = offsetAtMidnight(zoneName, day - 2);
    let steady: number | null = first;
    for (let d = day - 1; d <= day + 3 && steady !== null; d++)
      if (offsetAtMidnight(zoneName, d) !== first) steady = null;
    known = { midnight, steady };
    if (byDate.size > 100_000) byDate.clear();
    byDate.set(date, known);
  }
  const { midnight, steady } = known;
  const wall = midnight + (hour * 60 + minute) * 60_000;
  if (steady !== null)
    return { kind: 'ok', utcMs: wall - steady * 60_000, ambiguous: false, offsetMinutes: steady };

  // A zone changes offset at most once in a day either side, so these two cover every case.
  const zone = zoneOf(zoneName);
  const offsets = new Set([zone.offset(wall - 86_400_000), zone.offset(wall + 86_400_000)]);
  const valid: Array<{ utc: number; offset: number }> = [];
  for (const offset of offsets) {
    const utc = wall - offset * 60_000;
    if (zone.offset(utc) === offset) valid.push({ utc, offset });
  }
  if (valid.length === 0) {
    const [a, b] = [...offsets];
    return { kind: 'gap', gapMinutes: Math.abs((b ?? a) - a) };
  }
  valid.sort((x, y) => x.utc - y.utc);
  return { kind: 'ok', utcMs: valid[0].utc, ambiguous: valid.length > 1, offsetMinutes: valid[0].offset };
}
