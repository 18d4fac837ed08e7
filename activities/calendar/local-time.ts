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

export function localToInstant(date: string, hour: number, minute: number, zoneName: string): LocalInstant {
  const zone = zoneOf(zoneName);
  const wall = Date.UTC(
    Number(date.slice(0, 4)),
    Number(date.slice(5, 7)) - 1,
    Number(date.slice(8, 10)),
    hour,
    minute,
  );
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
