import { readdirSync, statSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { IANAZone } from 'luxon';
import { rrulestr, type RRule, type RRuleSet } from 'rrule';
import { dayNumber, type Weekday } from './days';
import { CalendarError, CalendarSyntaxError, CalendarValueError, type Position } from './errors';
import { checkCountry, HolidaySet, type HolidayType } from './holidays';
import { checkSchema } from './schema';
import { positionOf, readYamlFile, type FieldPath, type SourceFile } from './source';
import {
  CHANNEL_TABLE,
  type DefaultPostOptions,
  type TikTokPostOptions,
  type YouTubePostOptions,
} from '../publish/channel-table';
import { resolveThresholds, type SafetyThresholds } from '../safety/thresholds';
import type { Channel, OnApprovalDeadline, VideoParams } from './types';

/**
 * The typed calendar: parsed once at the boundary with precise errors; the plan trusts it.
 * Internal to activities (it holds YAML documents for error positions); workflows get PostSpecs.
 */

/** Wan2.2 TI2V-5B defaults (docs/ARCHITECTURE.md, "The model contract"): 121 frames at 24 fps, 704x1280. */
export const DEFAULT_VIDEO: Omit<VideoParams, 'seed'> = {
  frames: 121,
  fps: 24,
  width: 704,
  height: 1280,
  steps: 50,
  guidance: 5,
};
export const DEFAULT_APPROVAL = {
  required: false,
  deadlineMinutesBefore: 60,
  onDeadline: 'skip' as OnApprovalDeadline,
};
export const DEFAULT_LATENESS_MINUTES = 30;

export interface Rule {
  dates?: Set<string>;
  /** `annual`: MM-DD bounds that repeat every year (and may wrap over New Year). */
  range?: { from: string; to: string; annual: boolean };
  weekdays?: Set<Weekday>;
  holiday?: { name: string; day: number; from: number; to: number };
  rrule?: RRule | RRuleSet;
  /** Index in `when`/`except`, for error positions. */
  path: FieldPath;
}

export interface Slot {
  id: string;
  time: string;
  hour: number;
  minute: number;
  channels: Channel[];
  index: number;
}

export interface Campaign {
  id: string;
  name: string;
  enabled: boolean;
  when: Rule[];
  except: Rule[];
  slots: Slot[];
  template: string;
  style?: string;
  variables: Record<string, unknown>;
  video: Omit<VideoParams, 'seed'> & { seed?: number };
  /** Where `video.model` is written (the campaign's video:, else defaults.video), for errors. */
  videoModelAt?: Position;
  approval: { required: boolean; deadlineMinutesBefore: number; onDeadline: OnApprovalDeadline };
  latenessMinutes: number;
  priority: number;
  /** The caption line; set, it also turns on each platform's AI-generated label (one policy). */
  aiDisclosure?: string;
  publishing: CampaignPublishing;
  /** The content gate's thresholds: the campaign's `safety:` over the calendar's over the defaults. */
  safety: SafetyThresholds;
  /** Position in the calendar (includes expanded in place): breaks priority ties. */
  order: number;
  source: SourceFile;
  path: FieldPath;
}

export interface Calendar {
  id: string;
  name: string;
  zone: string;
  locale: string;
  holidays?: HolidaySet;
  blockedTerms: string[];
  campaigns: Campaign[];
  /** Who hears about posts that wait for approval, are held or fail (activities/notify). */
  notify?: NotifyTargets;
  source: SourceFile;
}

/** The calendar's `notify:` block: e-mail addresses and a Slack-compatible incoming webhook. */
export interface NotifyTargets {
  email: string[];
  slackWebhook?: string;
}

/**
 * How a campaign's posts are published: the campaign's `accounts:`, `tiktok:`, `youtube:` and
 * `instagram:` over the calendar's, over the channel table's defaults.
 */
export interface CampaignPublishing {
  /** The accounts the calendar names, per channel (the others post to `default`). */
  accounts: Partial<Record<Channel, string>>;
  /** Where each named account is written (the campaign's line, else the calendar's). */
  accountAt: Partial<Record<Channel, Position>>;
  /** Complete settings for each platform, in the platforms' own terms. */
  options: Required<DefaultPostOptions>;
}

/** Where a campaign field is written. */
export function campaignPosition(c: Campaign, ...path: FieldPath): Position {
  return positionOf(c.source, [...c.path, ...path]);
}

/** Calendar files in a folder: its top-level *.yaml / *.yml (parts live in subfolders). */
export function listCalendarFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => ['.yaml', '.yml'].includes(extname(f)))
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile())
    .sort();
}

/** Expands paths given on the command line: folders become their calendar files. */
export function expandCalendarPaths(paths: string[]): string[] {
  return paths.flatMap((p) => {
    const abs = resolve(p);
    try {
      return statSync(abs).isDirectory() ? listCalendarFiles(abs) : [abs];
    } catch {
      return [abs];
    }
  });
}

export interface LoadResult {
  calendar?: Calendar;
  problems: CalendarError[];
}

/** Reads a calendar and its includes, checks the schema and values; every problem is returned. */
export function loadCalendar(absolute: string): LoadResult {
  const problems: CalendarError[] = [];
  const root = readYamlFile(absolute);
  problems.push(...root.errors);
  if (!root.source) return { problems };
  const schemaErrors = checkSchema(root.source, 'calendar');
  problems.push(...schemaErrors);
  const { fatal, badCampaigns } = splitSchemaErrors(schemaErrors);
  if (fatal) return { problems };

  const data = root.source.data as RawCalendar;
  const where = (...path: FieldPath): Position => positionOf(root.source!, path);

  let unusable = false;
  if (!IANAZone.isValidZone(data.zone)) {
    unusable = true;
    problems.push(
      new CalendarValueError(
        where('zone'),
        `unknown time zone "${data.zone}"; use an IANA name such as Asia/Shanghai, America/New_York or Europe/Berlin`,
      ),
    );
  }
  try {
    Intl.getCanonicalLocales(data.locale);
  } catch {
    unusable = true;
    problems.push(
      new CalendarValueError(
        where('locale'),
        `"${data.locale}" is not a locale; use a tag such as zh-CN, en-US or ja-JP`,
      ),
    );
  }

  let holidays: HolidaySet | undefined;
  if (data.holidays) {
    const h = data.holidays;
    const countryProblem = checkCountry(h.country);
    if (countryProblem) {
      unusable = true;
      problems.push(new CalendarValueError(where('holidays', 'country'), countryProblem));
    }
    (h.add ?? []).forEach((a, i) => {
      if (!isValidDateOrReport(a.date, where('holidays', 'add', i, 'date'), problems)) return;
    });
    (h.remove ?? []).forEach((d, i) => isValidDateOrReport(d, where('holidays', 'remove', i), problems));
    if (!countryProblem) {
      holidays = new HolidaySet({
        country: h.country,
        types: h.types ?? ['public'],
        add: h.add ?? [],
        remove: h.remove ?? [],
      });
    }
  }

  if (data.notify?.slackWebhook !== undefined && !URL.canParse(data.notify.slackWebhook)) {
    problems.push(
      new CalendarValueError(
        where('notify', 'slackWebhook'),
        `"${data.notify.slackWebhook}" is not a URL; paste the incoming-webhook URL your chat app gave you (https://hooks.slack.com/services/...)`,
      ),
    );
  }

  // Zone, locale and the holiday country are what every campaign needs: without them, stop here.
  if (unusable) return { problems };

  const raws: Array<{ raw: RawCampaign; source: SourceFile; path: FieldPath }> = [];
  (data.campaigns ?? []).forEach((raw, i) => {
    if (!badCampaigns.has(i)) raws.push({ raw, source: root.source!, path: ['campaigns', i] });
  });
  followIncludes(
    root.source,
    data.include ?? [],
    [root.source.absolute],
    dirname(root.source.absolute),
    raws,
    problems,
  );

  const defaults = data.defaults ?? {};
  const campaigns: Campaign[] = [];
  const ids = new Map<string, Position>();
  raws.forEach(({ raw, source, path }, order) => {
    const at = (...p: FieldPath): Position => positionOf(source, [...path, ...p]);
    const first = ids.get(raw.id);
    if (first) {
      problems.push(
        new CalendarValueError(
          at('id'),
          `campaign id "${raw.id}" is already used at ${first.file}:${first.line}; ids must be unique (they are part of the post id)`,
        ),
      );
      return;
    }
    ids.set(raw.id, at('id'));
    const campaign = buildCampaign(raw, source, path, order, defaults, root.source!, data, problems);
    if (campaign) campaigns.push(campaign);
  });

  // Campaigns with problems are left out; the others still go through the plan's checks, so
  // one `validate` run reports every problem. Any error keeps the plan activities from running.
  return {
    calendar: {
      id: data.id,
      name: data.name ?? data.id,
      zone: data.zone,
      locale: data.locale,
      holidays,
      blockedTerms: data.blockedTerms ?? [],
      campaigns,
      notify: data.notify && { email: data.notify.email ?? [], slackWebhook: data.notify.slackWebhook },
      source: root.source,
    },
    problems,
  };
}

/**
 * Schema errors inside one campaign leave that campaign out; any other (the calendar's own
 * fields, `campaigns:` not being a list) makes the whole file unusable.
 */
function splitSchemaErrors(errors: CalendarError[]): { fatal: boolean; badCampaigns: Set<number> } {
  const badCampaigns = new Set<number>();
  let fatal = false;
  for (const e of errors) {
    const index = /^campaigns\[(\d+)\]/.exec(e.field)?.[1];
    if (index === undefined) fatal = true;
    else badCampaigns.add(Number(index));
  }
  return { fatal, badCampaigns };
}

function followIncludes(
  from: SourceFile,
  includes: string[],
  stack: string[],
  rootDir: string,
  out: Array<{ raw: RawCampaign; source: SourceFile; path: FieldPath }>,
  problems: CalendarError[],
): void {
  includes.forEach((name, i) => {
    const at = positionOf(from, ['include', i]);
    const target = resolve(dirname(from.absolute), name);
    const rel = relative(rootDir, target);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      problems.push(
        new CalendarSyntaxError(
          at,
          `include "${name}" points outside the calendar's folder; keep included files next to the calendar or in a subfolder`,
        ),
      );
      return;
    }
    if (stack.includes(target)) {
      problems.push(
        new CalendarSyntaxError(
          at,
          `include "${name}" makes a loop (${[...stack, target].map((s) => relative(rootDir, s)).join(' → ')}); remove one of the includes`,
        ),
      );
      return;
    }
    const part = readYamlFile(target);
    if (part.errors.length > 0 && !part.source) {
      const missing = part.errors[0].message.includes('ENOENT');
      problems.push(
        ...(missing
          ? [
              new CalendarSyntaxError(
                at,
                `included file "${name}" does not exist (looked for ${target}); fix the name or create it`,
              ),
            ]
          : part.errors),
      );
      return;
    }
    const schemaErrors = checkSchema(part.source!, 'part');
    problems.push(...schemaErrors);
    const { fatal, badCampaigns } = splitSchemaErrors(schemaErrors);
    if (fatal) return;
    const data = part.source!.data as { campaigns?: RawCampaign[]; include?: string[] };
    (data.campaigns ?? []).forEach((raw, j) => {
      if (!badCampaigns.has(j)) out.push({ raw, source: part.source!, path: ['campaigns', j] });
    });
    followIncludes(part.source!, data.include ?? [], [...stack, target], rootDir, out, problems);
  });
}

function buildCampaign(
  raw: RawCampaign,
  source: SourceFile,
  path: FieldPath,
  order: number,
  defaults: RawDefaults,
  calendarSource: SourceFile,
  calendar: RawPublishing & { aiDisclosure?: string; safety?: Partial<SafetyThresholds> },
  problems: CalendarError[],
): Campaign | undefined {
  const before = problems.length;
  const at = (...p: FieldPath): Position => positionOf(source, [...path, ...p]);
  const channels = raw.channels ?? defaults.channels;
  if (!channels) {
    problems.push(
      new CalendarValueError(
        at(),
        `campaign "${raw.id}" has no channels; add channels: [x] to it or to defaults:`,
      ),
    );
  }

  const slotIds = new Set<string>();
  const slots: Slot[] = raw.slots.map((s, index) => {
    if (slotIds.has(s.id))
      problems.push(
        new CalendarValueError(
          at('slots', index, 'id'),
          `slot id "${s.id}" appears twice in campaign "${raw.id}"; give each slot its own id`,
        ),
      );
    slotIds.add(s.id);
    const [hour, minute] = s.time.split(':').map(Number);
    return { id: s.id, time: s.time, hour, minute, channels: s.channels ?? channels ?? [], index };
  });

  const video = { ...DEFAULT_VIDEO, ...defaults.video, ...raw.video };
  // Point at the value where it was written: the campaign's video:, else defaults.video.
  const videoAt = (field: keyof VideoParams): Position =>
    raw.video?.[field] !== undefined
      ? at('video', field)
      : defaults.video?.[field] !== undefined
        ? positionOf(calendarSource, ['defaults', 'video', field])
        : at('id');
  if ((video.frames - 1) % 4 !== 0) {
    const lower = video.frames - ((video.frames - 1) % 4);
    problems.push(
      new CalendarValueError(
        videoAt('frames'),
        `frames is ${video.frames}: the model needs 4n+1 frames (the video decoder works in groups of 4); use ${lower} or ${lower + 4}`,
      ),
    );
  }
  for (const side of ['width', 'height'] as const) {
    if (video[side] % 32 !== 0) {
      const lower = Math.max(32, video[side] - (video[side] % 32));
      problems.push(
        new CalendarValueError(
          videoAt(side),
          `${side} is ${video[side]}: it must be a multiple of 32; use ${lower} or ${lower + 32}`,
        ),
      );
    }
  }

  const when = raw.when.map((r, i) => buildRule(r, [...path, 'when', i], source, problems));
  const except = (raw.except ?? []).map((r, i) => buildRule(r, [...path, 'except', i], source, problems));

  const publishing = buildPublishing(raw, calendar, at, (...p) => positionOf(calendarSource, p), problems);

  let aiDisclosure: string | undefined = calendar.aiDisclosure;
  if (raw.aiDisclosure === false) aiDisclosure = undefined;
  else if (typeof raw.aiDisclosure === 'string') aiDisclosure = raw.aiDisclosure;

  if (problems.length > before) return undefined;
  return {
    id: raw.id,
    name: raw.name ?? raw.id,
    enabled: raw.enabled ?? true,
    when,
    except,
    slots,
    template: raw.template,
    style: raw.style,
    variables: raw.variables ?? {},
    video,
    videoModelAt: video.model !== undefined ? videoAt('model') : undefined,
    approval: { ...DEFAULT_APPROVAL, ...defaults.approval, ...raw.approval },
    latenessMinutes: raw.latenessMinutes ?? defaults.latenessMinutes ?? DEFAULT_LATENESS_MINUTES,
    priority: raw.priority ?? defaults.priority ?? 0,
    aiDisclosure,
    publishing,
    safety: resolveThresholds(calendar.safety, raw.safety),
    order,
    source,
    path,
  };
}

/**
 * Accounts and platform settings, in the marketer's words in YAML (privacy, comments, duet...)
 * and the platforms' in the result (privacyLevel, disableComment, disableDuet...).
 */
function buildPublishing(
  campaign: RawPublishing,
  calendar: RawPublishing,
  campaignAt: (...p: FieldPath) => Position,
  calendarAt: (...p: FieldPath) => Position,
  problems: CalendarError[],
): CampaignPublishing {
  const accounts: CampaignPublishing['accounts'] = { ...calendar.accounts, ...campaign.accounts };
  const accountAt: CampaignPublishing['accountAt'] = {};
  for (const channel of Object.keys(accounts) as Channel[]) {
    accountAt[channel] =
      campaign.accounts?.[channel] !== undefined
        ? campaignAt('accounts', channel)
        : calendarAt('accounts', channel);
  }
  // Point at a setting where it was written: the campaign's, else the calendar's.
  const settingAt = (platform: 'tiktok' | 'youtube' | 'instagram', field: string): Position =>
    (campaign[platform] as Record<string, unknown> | undefined)?.[field] !== undefined
      ? campaignAt(platform, field)
      : calendarAt(platform, field);

  const t = { ...calendar.tiktok, ...campaign.tiktok };
  const td = CHANNEL_TABLE.tiktok.defaults.tiktok;
  const tiktok: TikTokPostOptions = {
    privacyLevel: t.privacy ?? td.privacyLevel,
    disableComment: t.comments === undefined ? td.disableComment : !t.comments,
    disableDuet: t.duet === undefined ? td.disableDuet : !t.duet,
    disableStitch: t.stitch === undefined ? td.disableStitch : !t.stitch,
    brandContentToggle: t.brandContent ?? td.brandContentToggle,
    brandOrganicToggle: t.brandOrganic ?? td.brandOrganicToggle,
  };
  if (tiktok.brandContentToggle && tiktok.privacyLevel === 'SELF_ONLY') {
    problems.push(
      new CalendarValueError(
        settingAt('tiktok', t.brandContent !== undefined ? 'brandContent' : 'privacy'),
        `TikTok does not let branded content (brandContent: true) be private (privacy: SELF_ONLY, the default); set tiktok: { privacy: PUBLIC_TO_EVERYONE } (an audited TikTok app is needed), or brandContent: false`,
      ),
    );
  }

  const y = { ...calendar.youtube, ...campaign.youtube };
  const yd = CHANNEL_TABLE.shorts.defaults.youtube;
  const youtube: Omit<YouTubePostOptions, 'title'> = {
    privacyStatus: y.privacy ?? yd.privacyStatus,
    categoryId: y.categoryId !== undefined ? String(y.categoryId) : yd.categoryId,
    tags: y.tags ?? yd.tags,
    madeForKids: y.madeForKids ?? yd.madeForKids,
  };

  const i = { ...calendar.instagram, ...campaign.instagram };
  const instagram = { shareToFeed: i.shareToFeed ?? CHANNEL_TABLE.reels.defaults.instagram.shareToFeed };
  return { accounts, accountAt, options: { tiktok, youtube, instagram } };
}

function buildRule(raw: RawRule, path: FieldPath, source: SourceFile, problems: CalendarError[]): Rule {
  const at = (...p: FieldPath): Position => positionOf(source, [...path, ...p]);
  const rule: Rule = { path };
  if (raw.dates) {
    raw.dates.forEach((d, i) => isValidDateOrReport(d, at('dates', i), problems));
    rule.dates = new Set(raw.dates);
  }
  if (raw.range) {
    const { from, to } = raw.range;
    const annual = from.length === 5;
    if (annual !== (to.length === 5)) {
      problems.push(
        new CalendarValueError(
          at('range'),
          `range mixes a full date and a yearly MM-DD date (${from} … ${to}); write both as YYYY-MM-DD or both as MM-DD`,
        ),
      );
    } else if (annual) {
      // 2000 is a leap year, so 02-29 is accepted (it then matches only in leap years).
      for (const k of ['from', 'to'] as const) {
        if (Number.isNaN(dayNumber(`2000-${raw.range[k]}`)))
          problems.push(
            new CalendarValueError(
              at('range', k),
              `"${raw.range[k]}" is not a day of the year; write MM-DD, e.g. 03-20`,
            ),
          );
      }
    } else {
      const okFrom = isValidDateOrReport(from, at('range', 'from'), problems);
      const okTo = isValidDateOrReport(to, at('range', 'to'), problems);
      if (okFrom && okTo && dayNumber(from) > dayNumber(to)) {
        problems.push(
          new CalendarValueError(
            at('range', 'to'),
            `range ends (${to}) before it starts (${from}); swap from and to`,
          ),
        );
      }
    }
    rule.range = { from, to, annual };
  }
  if (raw.weekdays) rule.weekdays = new Set(raw.weekdays as Weekday[]);
  if (raw.holiday) {
    const { name, day = 1, from = 0, to = 0 } = raw.holiday;
    if (from > to)
      problems.push(
        new CalendarValueError(
          at('holiday', 'to'),
          `holiday window ends (to: ${to}) before it starts (from: ${from}); "from: -3, to: 0" means from 3 days before to the day`,
        ),
      );
    if (day === 0)
      problems.push(
        new CalendarValueError(
          at('holiday', 'day'),
          `day: 0 is not a day of the holiday; use 1 for its first listed day, 2 for the second, -1 for the last`,
        ),
      );
    rule.holiday = { name, day, from, to };
  }
  if (raw.rrule) {
    try {
      // Without DTSTART a rule counts from a fixed day, never from "now", so plans are repeatable.
      const text = raw.rrule.replace(/^RRULE:/i, '');
      rule.rrule = rrulestr(text, { dtstart: new Date(Date.UTC(2000, 0, 1)) });
      const sample = rule.rrule.after(new Date(Date.UTC(2000, 0, 1)), true);
      if (!sample) throw new Error('it never matches a day');
    } catch (err) {
      problems.push(
        new CalendarValueError(
          at('rrule'),
          `rrule "${raw.rrule}" cannot be used (${(err as Error).message}); write e.g. FREQ=WEEKLY;BYDAY=FR`,
        ),
      );
    }
  }
  return rule;
}

function isValidDateOrReport(date: string, at: Position, problems: CalendarError[]): boolean {
  if (!Number.isNaN(dayNumber(date))) return true;
  problems.push(
    new CalendarValueError(
      at,
      `${date} is not a date on the calendar (check the month and day; February 29 exists only in leap years)`,
    ),
  );
  return false;
}

/** The YAML as the schema guarantees it. */
interface RawCalendar {
  id: string;
  name?: string;
  zone: string;
  locale: string;
  holidays?: {
    country: string;
    types?: HolidayType[];
    add?: Array<{ date: string; name: string }>;
    remove?: string[];
  };
  blockedTerms?: string[];
  aiDisclosure?: string;
  notify?: { email?: string[]; slackWebhook?: string };
  safety?: Partial<SafetyThresholds>;
  defaults?: RawDefaults;
  accounts?: RawPublishing['accounts'];
  tiktok?: RawPublishing['tiktok'];
  youtube?: RawPublishing['youtube'];
  instagram?: RawPublishing['instagram'];
  include?: string[];
  campaigns?: RawCampaign[];
}

interface RawDefaults {
  channels?: Channel[];
  video?: Partial<VideoParams>;
  approval?: Partial<Campaign['approval']>;
  latenessMinutes?: number;
  priority?: number;
}

interface RawRule {
  dates?: string[];
  range?: { from: string; to: string };
  weekdays?: string[];
  holiday?: { name: string; day?: number; from?: number; to?: number };
  rrule?: string;
}

/** Accounts and platform settings, as a calendar or a campaign writes them. */
interface RawPublishing {
  accounts?: Partial<Record<Channel, string>>;
  tiktok?: {
    privacy?: TikTokPostOptions['privacyLevel'];
    comments?: boolean;
    duet?: boolean;
    stitch?: boolean;
    brandContent?: boolean;
    brandOrganic?: boolean;
  };
  youtube?: {
    privacy?: YouTubePostOptions['privacyStatus'];
    categoryId?: string | number;
    tags?: string[];
    madeForKids?: boolean;
  };
  instagram?: { shareToFeed?: boolean };
}

interface RawCampaign extends RawPublishing {
  id: string;
  name?: string;
  enabled?: boolean;
  when: RawRule[];
  except?: RawRule[];
  slots: Array<{ id: string; time: string; channels?: Channel[] }>;
  channels?: Channel[];
  template: string;
  style?: string;
  variables?: Record<string, unknown>;
  video?: Partial<VideoParams>;
  approval?: Partial<Campaign['approval']>;
  latenessMinutes?: number;
  priority?: number;
  aiDisclosure?: string | boolean;
  safety?: Partial<SafetyThresholds>;
}
