import { campaignPosition, type Calendar, type Campaign, type Slot } from './calendar';
import { captionLimitOf, fitsX, withDisclosure, xWeightedLength } from './captions';
import { BlockedTerms } from './compliance';
import { dayNumber, isoOf, weekdayOf } from './days';
import {
  BlockedTermError,
  CalendarError,
  CalendarValueError,
  CaptionTooLongError,
  NonexistentLocalTimeError,
  PromptLintWarning,
  SlotOverlapWarning,
  UnknownTemplateError,
  UnknownVariableError,
  type Position,
} from './errors';
import { localToInstant, type LocalInstant } from './local-time';
import { postIdOf, seedOf } from './post-id';
import { lintPrompt } from './prompt-lint';
import { positionOf } from './source';
import type { PostData, TemplateFile, TemplateKind, TemplateSet } from './templates';
import type { Channel, OverlapNotice, PostSpec } from './types';
import { campaignDays, type CampaignDay } from './when';

export interface PlanInput {
  calendars: Calendar[];
  templates: TemplateSet;
  /** Local dates, both included; each calendar reads them in its own zone. */
  from: string;
  to: string;
  /** The compliance list from the config; each calendar's `blockedTerms` is added to it. */
  blockedTerms?: readonly string[];
}

export interface Plan {
  /** Sorted by publish instant, then post id. */
  posts: PostSpec[];
  overlaps: OverlapNotice[];
  /** Errors (the plan must not be used) and warnings, each once per place in a file. */
  problems: CalendarError[];
}

/** Names the templates get from the plan; a campaign variable may not take them. */
export const RESERVED_VARIABLES = [
  'postId',
  'date',
  'time',
  'weekday',
  'zone',
  'locale',
  'slot',
  'channel',
  'campaign',
  'calendar',
  'holiday',
  'holidayDate',
];

interface Candidate {
  campaign: Campaign;
  day: CampaignDay;
  slot: Slot;
  instant: Extract<LocalInstant, { kind: 'ok' }>;
  channels: Channel[];
}

/**
 * The plan: calendars + a date range → posts, each with its deterministic post id, publish
 * instant, rendered prompt, negative prompt and captions. Pure: the same input gives the same
 * output, with no clock, randomness or I/O (calendars and templates were read before).
 */
export function planPosts(input: PlanInput): Plan {
  const from = dayNumber(input.from);
  const to = dayNumber(input.to);
  const problems = new ProblemList();
  const planned: Array<{ publishMs: number; post: PostSpec }> = [];
  const overlaps: OverlapNotice[] = [];
  if (Number.isNaN(from) || Number.isNaN(to) || from > to) {
    throw new RangeError(`plan range ${input.from} … ${input.to} is not two dates YYYY-MM-DD in order`);
  }
  for (const calendar of input.calendars) {
    const blocked = new BlockedTerms([...(input.blockedTerms ?? []), ...calendar.blockedTerms]);
    const candidates: Candidate[] = [];
    for (const campaign of calendar.campaigns) {
      if (!campaign.enabled) continue;
      if (!checkCampaign(campaign, input.templates, problems)) continue;
      const { days, problems: whenProblems } = campaignDays(calendar, campaign, from, to);
      whenProblems.forEach((p) => problems.add(p, campaign.id));
      for (const day of days) {
        for (const slot of campaign.slots) {
          const instant = localToInstant(day.date, slot.hour, slot.minute, calendar.zone);
          if (instant.kind === 'gap') {
            problems.add(
              new NonexistentLocalTimeError(
                campaignPosition(campaign, 'slots', slot.index, 'time'),
                `${slot.time} does not exist on ${day.date} in ${calendar.zone}: clocks jump forward ${instant.gapMinutes} minutes that night (daylight saving). Move slot "${slot.id}" of campaign "${campaign.id}" outside the gap, or add an except: rule for that date`,
              ),
              campaign.id,
            );
            continue;
          }
          candidates.push({ campaign, day, slot, instant, channels: slot.channels });
        }
      }
    }
    const kept = resolveOverlaps(calendar, candidates, overlaps, problems);
    const failed = new Set<string>();
    const renders: RenderCache = { perCampaign: new Map(), parts: new Map() };
    for (const c of kept) {
      if (failed.has(c.campaign.id)) continue;
      try {
        planned.push({
          publishMs: c.instant.utcMs,
          post: buildPost(calendar, c, input.templates, blocked, problems, renders),
        });
      } catch (err) {
        if (!(err instanceof CalendarError)) throw err;
        // The same template fails the same way on every day: report once, skip the rest.
        problems.add(err, c.campaign.id);
        failed.add(c.campaign.id);
      }
    }
  }
  // By the instant as a number: comparing 100,000 ISO strings costs more than planning them.
  planned.sort((a, b) => a.publishMs - b.publishMs || (a.post.postId < b.post.postId ? -1 : 1));
  return { posts: planned.map((p) => p.post), overlaps, problems: problems.list() };
}

function checkCampaign(campaign: Campaign, templates: TemplateSet, problems: ProblemList): boolean {
  let ok = true;
  const missing = templates.missing(campaign.template);
  if (missing) {
    problems.add(
      new UnknownTemplateError(
        campaignPosition(campaign, 'template'),
        `campaign "${campaign.id}": ${missing}`,
      ),
      campaign.id,
    );
    ok = false;
  }
  if (campaign.style && !templates.hasStyle(campaign.style)) {
    problems.add(
      new UnknownTemplateError(
        campaignPosition(campaign, 'style'),
        `campaign "${campaign.id}": no style "${campaign.style}"; known styles: ${templates.styleNames.join(', ')} (files in templates/styles/)`,
      ),
      campaign.id,
    );
    ok = false;
  }
  // A template that does not parse was reported when templates were read; say it once.
  if (ok && templates.unparsable(campaign.template, campaign.style)) ok = false;
  if (ok) {
    const known = new Set([...RESERVED_VARIABLES, ...Object.keys(campaign.variables)]);
    const channels = [...new Set(campaign.slots.flatMap((s) => s.channels))];
    const seen = new Set<string>();
    const parts: Array<[TemplateKind, Channel | undefined]> = [
      ['prompt', undefined],
      ['negative', undefined],
      ...channels.map((ch): [TemplateKind, Channel] => ['caption', ch]),
    ];
    for (const [kind, channel] of parts) {
      for (const at of templates.unknownNames(campaign.template, kind, channel, campaign.style, known)) {
        const key = `${at.file}:${at.line}:${at.col}`;
        if (seen.has(key)) continue;
        seen.add(key);
        problems.add(
          at.what === 'partial'
            ? new UnknownTemplateError(
                at,
                `unknown partial "${at.field}" (campaign "${campaign.id}"); styles are ${templates.styleNames.join(', ')} (use {{> style}} for the campaign's style), or add templates/partials/${at.field}.hbs`,
              )
            : new UnknownVariableError(
                at,
                `unknown variable "${at.field}" (campaign "${campaign.id}"); add it to the campaign's variables: in the calendar, or fix the name (the plan gives: ${RESERVED_VARIABLES.join(', ')})`,
              ),
          campaign.id,
        );
        ok = false;
      }
    }
  }
  for (const name of Object.keys(campaign.variables)) {
    if (RESERVED_VARIABLES.includes(name)) {
      const at = positionOf(campaign.source, [...campaign.path, 'variables', name], { key: true });
      problems.add(
        new CalendarValueError(
          at,
          `variable "${name}" is reserved (templates get it from the plan: ${RESERVED_VARIABLES.join(', ')}); rename it`,
        ),
        campaign.id,
      );
      ok = false;
    }
  }
  return ok;
}

/**
 * Two campaigns claim the same slot when they post at the same wall time on the same day to the
 * same channel of one calendar. The higher priority keeps the channel; on a tie the campaign
 * listed first keeps it (and a warning says so). A post left with no channel is dropped.
 */
function resolveOverlaps(
  calendar: Calendar,
  candidates: Candidate[],
  overlaps: OverlapNotice[],
  problems: ProblemList,
): Candidate[] {
  // Keyed by the minute (day number and wall time) as a number: cheaper than a string each.
  const bySlot = new Map<number, Candidate[]>();
  for (const c of candidates) {
    const key = c.day.day * 1440 + c.slot.hour * 60 + c.slot.minute;
    const group = bySlot.get(key);
    if (group) group.push(c);
    else bySlot.set(key, [c]);
  }
  for (const group of bySlot.values()) {
    if (group.length < 2 || new Set(group.map((g) => g.campaign.id)).size < 2) continue;
    group.sort(
      (a, b) =>
        b.campaign.priority - a.campaign.priority ||
        a.campaign.order - b.campaign.order ||
        a.slot.index - b.slot.index,
    );
    const taken = new Map<Channel, Candidate>();
    for (const c of group) {
      c.channels = c.channels.filter((ch) => {
        const winner = taken.get(ch);
        if (!winner) {
          taken.set(ch, c);
          return true;
        }
        if (winner.campaign === c.campaign) return true;
        const tie = winner.campaign.priority === c.campaign.priority;
        overlaps.push({
          date: c.day.date,
          localTime: c.slot.time,
          channel: ch,
          winner: winner.campaign.id,
          loser: c.campaign.id,
          tie,
        });
        if (tie) {
          problems.add(
            new SlotOverlapWarning(
              campaignPosition(c.campaign, 'slots', c.slot.index, 'time'),
              `campaigns "${winner.campaign.id}" and "${c.campaign.id}" both post to ${ch} at ${c.slot.time} on ${c.day.date} with priority ${c.campaign.priority}; "${winner.campaign.id}" is listed first and wins. Set priority: on one of them to decide`,
            ),
            `${winner.campaign.id}>${c.campaign.id}`,
          );
        }
        return false;
      });
    }
  }
  return candidates.filter((c) => c.channels.length > 0);
}

/**
 * Rendered text, kept by what it depends on (see TemplateSet.dependsOn): a prompt that uses only
 * the campaign's variables renders once per campaign, a caption that ignores the channel once per
 * post for all its channels. Blocked terms are checked when a text is first rendered.
 */
interface RenderCache {
  /** Text of parts that do not depend on the post: rendered once per campaign. */
  perCampaign: Map<Part, string>;
  parts: Map<Campaign, CampaignParts>;
}

/** One template part of a campaign; channels whose caption ignores the channel share one. */
interface Part {
  kind: TemplateKind;
  file: TemplateFile;
  post: boolean;
  channel: boolean;
}

interface CampaignParts {
  prompt: Part;
  negative: Part;
  captions: Map<Channel, Part>;
}

function partsOf(cache: RenderCache, templates: TemplateSet, campaign: Campaign): CampaignParts {
  let parts = cache.parts.get(campaign);
  if (!parts) {
    const make = (kind: TemplateKind, channel?: Channel): Part => ({
      kind,
      file: templates.fileOf(campaign.template, kind, channel),
      ...templates.dependsOn(campaign.template, kind, channel, campaign.style),
    });
    parts = { prompt: make('prompt'), negative: make('negative'), captions: new Map() };
    const shared = new Map<TemplateFile, Part>();
    for (const slot of campaign.slots) {
      for (const channel of slot.channels) {
        if (parts.captions.has(channel)) continue;
        const part = make('caption', channel);
        const same = !part.channel && shared.get(part.file);
        parts.captions.set(channel, same || part);
        if (!part.channel && !same) shared.set(part.file, part);
      }
    }
    cache.parts.set(campaign, parts);
  }
  return parts;
}

function buildPost(
  calendar: Calendar,
  c: Candidate,
  templates: TemplateSet,
  blocked: BlockedTerms,
  problems: ProblemList,
  cache: RenderCache,
): PostSpec {
  const { campaign, day, slot } = c;
  const postId = postIdOf(campaign.id, day.date, slot.id);
  const publishMs = c.instant.utcMs;
  const parts = partsOf(cache, templates, campaign);
  const holidayName = day.holiday?.name ?? calendar.holidays?.namesOn(day.date)[0] ?? null;

  // Built on the first render that needs them: often every part comes from the caches.
  let post: PostData | undefined;
  let context: Record<string, unknown> | undefined;
  const perPost: Array<[Part, string]> = [];
  const render = (part: Part, channel?: Channel): string => {
    let text = part.post ? perPost.find(([p]) => p === part)?.[1] : cache.perCampaign.get(part);
    if (text !== undefined) return text;
    post ??= {
      postId,
      date: day.date,
      localTime: slot.time,
      zone: calendar.zone,
      locale: calendar.locale,
      holidays: calendar.holidays,
      holiday: day.holiday,
    };
    // A literal then Object.assign: V8 builds `{ ...variables, more }` some 50x slower, and
    // reserved names are refused in checkCampaign, so variables cannot overwrite these.
    context ??= Object.assign(
      {
        postId,
        date: day.date,
        time: slot.time,
        weekday: weekdayOf(day.day),
        zone: calendar.zone,
        locale: calendar.locale,
        slot: slot.id,
        channel: null as Channel | null,
        campaign: { id: campaign.id, name: campaign.name },
        calendar: { id: calendar.id, name: calendar.name },
        holiday: holidayName,
        holidayDate: day.holiday?.date ?? (holidayName ? day.date : null),
      },
      campaign.variables,
    );
    // Rendering is synchronous, so one context per post serves every channel in turn.
    context.channel = channel ?? null;
    text = templates.renderFile(part.file, context, post, campaign.style);
    if (part.kind === 'caption') text = withDisclosure(text, campaign.aiDisclosure);
    if (part.kind !== 'negative') checkBlocked(blocked, text, part.kind, channel, c, templates);
    if (part.post) perPost.push([part, text]);
    else cache.perCampaign.set(part, text);
    return text;
  };

  const prompt = render(parts.prompt);
  const negativePrompt = render(parts.negative);

  const captions: Partial<Record<Channel, string>> = {};
  for (const channel of c.channels) {
    const caption = render(parts.captions.get(channel)!, channel);
    if (captionLimitOf(channel) !== undefined) {
      const fit = fitsX(caption);
      if (!fit.fits) {
        const file = templates.fileOf(campaign.template, 'caption', channel).file;
        problems.add(
          new CaptionTooLongError(
            { file, line: 1, col: 1, field: `caption.${channel}` },
            `the ${channel} caption of campaign "${campaign.id}" on ${day.date} is ${fit.length ?? xWeightedLength(caption)} of 280 weighted characters (CJK and emoji count 2, a link 23${campaign.aiDisclosure ? ', the AI disclosure line included' : ''}); shorten the caption or add a shorter caption.${channel}.hbs`,
          ),
          campaign.id,
        );
      }
    }
    captions[channel] = caption;
  }

  const warnings = cachedLint(prompt);
  if (warnings.length > 0) {
    const file = templates.fileOf(campaign.template, 'prompt').file;
    for (const w of warnings)
      problems.add(
        new PromptLintWarning({ file, line: 1, col: 1, field: 'prompt' }, `campaign "${campaign.id}": ${w}`),
        campaign.id,
      );
  }

  const publishAt = isoOf(publishMs);
  return {
    postId,
    calendar: calendar.id,
    campaign: campaign.id,
    campaignName: campaign.name,
    date: day.date,
    slot: slot.id,
    publishAt,
    zone: calendar.zone,
    localTime: slot.time,
    locale: calendar.locale,
    channels: c.channels,
    prompt,
    negativePrompt,
    captions,
    video: {
      frames: campaign.video.frames,
      fps: campaign.video.fps,
      width: campaign.video.width,
      height: campaign.video.height,
      steps: campaign.video.steps,
      guidance: campaign.video.guidance,
      seed: campaign.video.seed ?? seedOf(postId),
    },
    approval: {
      required: campaign.approval.required,
      deadlineMinutesBefore: campaign.approval.deadlineMinutesBefore,
      deadlineAt: isoOf(publishMs - campaign.approval.deadlineMinutesBefore * 60_000),
      onDeadline: campaign.approval.onDeadline,
    },
    latenessMinutes: campaign.latenessMinutes,
    priority: campaign.priority,
    template: campaign.template,
    holidays: calendar.holidays?.namesOn(day.date) ?? NO_HOLIDAYS,
    warnings,
  };
}

const NO_HOLIDAYS: string[] = Object.freeze([]) as unknown as string[];

const lintCache = new Map<string, string[]>();

function cachedLint(prompt: string): string[] {
  let hit = lintCache.get(prompt);
  if (!hit) {
    // Shared by every post with this prompt; frozen so no consumer edits another post's list.
    hit = Object.freeze(lintPrompt(prompt)) as string[];
    if (lintCache.size > 20_000) lintCache.clear();
    lintCache.set(prompt, hit);
  }
  return hit;
}

function checkBlocked(
  blocked: BlockedTerms,
  text: string,
  kind: 'prompt' | 'caption',
  channel: Channel | undefined,
  c: Candidate,
  templates: TemplateSet,
): void {
  const term = blocked.find(text);
  if (!term) return;
  const where = locateTerm(
    term,
    templates.sources(c.campaign.template, kind, channel, c.campaign.style),
    c.campaign,
  );
  throw new BlockedTermError(
    where,
    `the ${kind}${channel ? ` for ${channel}` : ''} of campaign "${c.campaign.id}" contains the blocked term "${term}" (compliance list); reword it`,
  );
}

/** Where a blocked word was written: in a template file, else in the campaign's variables. */
function locateTerm(
  term: string,
  files: Array<{ file: string; source: string }>,
  campaign: Campaign,
): Position {
  const needle = term.toLowerCase();
  for (const { file, source } of files) {
    const at = source.toLowerCase().indexOf(needle);
    if (at >= 0) {
      const before = source.slice(0, at).split('\n');
      return { file, line: before.length, col: before[before.length - 1].length + 1, field: term };
    }
  }
  const search = (value: unknown, path: Array<string | number>): Position | undefined => {
    if (typeof value === 'string')
      return value.toLowerCase().includes(needle)
        ? positionOf(campaign.source, [...campaign.path, 'variables', ...path])
        : undefined;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const hit = search(value[i], [...path, i]);
        if (hit) return hit;
      }
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        const hit = search(v, [...path, k]);
        if (hit) return hit;
      }
    }
    return undefined;
  };
  return search(campaign.variables, []) ?? campaignPosition(campaign, 'template');
}

/** Problems once per place (and campaign); repeats on other dates are counted, not repeated. */
class ProblemList {
  readonly #byKey = new Map<string, { error: CalendarError; more: number }>();

  add(error: CalendarError, scope: string): void {
    const key = `${error.name}|${error.file}|${error.line}|${error.col}|${scope}|${error.name === 'PromptLintWarning' ? error.message : ''}`;
    const seen = this.#byKey.get(key);
    if (seen) seen.more++;
    else this.#byKey.set(key, { error, more: 0 });
  }

  list(): CalendarError[] {
    return [...this.#byKey.values()].map(({ error, more }) => {
      if (more > 0)
        error.message = `${error.message} (and ${more} more time${more > 1 ? 's' : ''} in the planned dates)`;
      return error;
    });
  }
}
