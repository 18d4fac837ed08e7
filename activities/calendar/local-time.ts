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

/** Per zone and date: the offset when it is the same all around that day (no transition). */
const steadyOffsets = new Map<string, number | null>();

export function localToInstant(date: string, hour: number, minute: number, zoneName: string): LocalInstant {
  const zone = zoneOf(zoneName);
  const midnight = Date.UTC(
    Number(date.slice(0, 4)),
    Number(date.slice(5, 7)) - 1,
    Number(date.slice(8, 10)),
  );
  const wall = midnight + (hour * 60 + minute) * 60_000;
  // Looking up an offset is slow (Intl); most days have no transition, so one look per day
  // and zone answers every time of that day.
  const key = `${zoneName}|${date}`;
  let steady = steadyOffsets.get(key);
  if (steady === undefined) {
    const before = zone.offset(midnight - 2 * 86_400_000);
    const after = zone.offset(midnight + 3 * 86_400_000);
    steady = before === after && zone.offset(midnight + 12 * 3_600_000) === before ? before : null;
    if (steadyOffsets.size > 100_000) steadyOffsets.clear();
    steadyOffsets.set(key, steady);
  }
  if (steady !== null)
    return { kind: 'ok', utcMs: wall - steady * 60_000, ambiguous: false, offsetMinutes: steady };

  // A zone changes offset at most once in a day either side, so these two cover every case.
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
