import { DEFAULT_ACCOUNT, reconnectCommand, type Platform } from '../publish/accounts';
import type { ChannelPostOptions } from '../publish/channel';
import { platformOf } from '../publish/channel-table';
import { captionProblems, titleFromCaption, titleProblems, type TextProblem } from '../publish/channel-text';
import { campaignPosition, type Calendar, type Campaign, type Slot } from './calendar';
import { withDisclosure } from './captions';
import { disclosurePolicy } from '../provenance/disclosure';
import { BlockedTerms } from './compliance';
import { dayNumber, isoOf, weekdayOf } from './days';
import {
  BlockedTermError,
  CalendarError,
  CalendarValueError,
  CaptionRuleError,
  CaptionTooLongError,
  NonexistentLocalTimeError,
  PromptLintWarning,
  SlotOverlapWarning,
  UnknownAccountError,
  UnknownModelError,
  UnknownTemplateError,
  UnknownVariableError,
  type Position,
} from './errors';
import { localToInstant } from './local-time';
import { postIdOf, seedOf } from './post-id';
import { lintPrompt } from './prompt-lint';
import { positionOf } from './source';
import { didYouMean } from './suggest';
import type { PostData, TemplateFile, TemplateKind, TemplateSet } from './templates';
import type { Channel, ChannelPublishing, OverlapNotice, PostSpec } from './types';
import { campaignDays, type CampaignDay } from './when';

export interface PlanInput {
  calendars: Calendar[];
  templates: TemplateSet;
  /** Local dates, both included; each calendar reads them in its own zone. */
  from: string;
  to: string;
  /** The compliance list from the config; each calendar's `blockedTerms` is added to it. */
  blockedTerms?: readonly string[];
  /**
   * Whether an account is connected (the token store's list). Given, a calendar that names an
   * account nobody connected is an error; absent, accounts are not checked.
   */
  isAccountConnected?: (platform: Platform, account: string) => boolean;
  /**
   * Checks a campaign's model directory (`video.model`, as written) against the model contract:
   * undefined when it is usable, else what is wrong and what to do. Given, a campaign naming a
   * missing or broken model directory is an error; absent, models are not checked.
   */
  checkModel?: (model: string) => string | undefined;
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
  /** The publish instant, ms since 1970 UTC. */
  publishMs: number;
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
  // Posts and their instants side by side: 100,000 small pair objects would cost more.
  const planned: PostSpec[] = [];
  const plannedMs: number[] = [];
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
      if (input.isAccountConnected) checkAccounts(campaign, input.isAccountConnected, problems);
      if (input.checkModel && campaign.video.model !== undefined) {
        const problem = input.checkModel(campaign.video.model);
        if (problem)
          problems.add(
            new UnknownModelError(
              campaign.videoModelAt ?? campaignPosition(campaign, 'id'),
              `campaign "${campaign.id}" uses model "${campaign.video.model}": ${problem}`,
            ),
            `${campaign.id}|model`,
          );
      }
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
          candidates.push({ campaign, day, slot, publishMs: instant.utcMs, channels: slot.channels });
        }
      }
    }
    const kept = resolveOverlaps(calendar, candidates, overlaps, problems);
    const failed = new Set<string>();
    const renderers = new Map<Campaign, CampaignRenderer>();
    for (const c of kept) {
      if (failed.has(c.campaign.id)) continue;
      let renderer = renderers.get(c.campaign);
      if (!renderer) {
        renderer = new CampaignRenderer(calendar, c.campaign, input.templates, blocked);
        renderers.set(c.campaign, renderer);
      }
      try {
        planned.push(buildPost(calendar, c, renderer, problems));
        plannedMs.push(c.publishMs);
      } catch (err) {
        if (!(err instanceof CalendarError)) throw err;
        // The same template fails the same way on every day: report once, skip the rest.
        problems.add(err, c.campaign.id);
        failed.add(c.campaign.id);
      }
    }
  }
  return { posts: inPublishOrder(planned, plannedMs), overlaps, problems: problems.list() };
}

/**
 * Posts by publish instant, then post id. Sorting 100,000 posts with a comparator costs more
 * than planning them, so each instant (whole minutes since 1970) and the post's index are packed
 * into one number and the numbers sorted natively; posts at the same minute then go by post id.
 */
function inPublishOrder(planned: PostSpec[], publishMs: number[]): PostSpec[] {
  const n = planned.length;
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const minute = publishMs[i] / 60_000;
    // Seconds in an instant (no slot has them) or a year past 2097: sort the slow way.
    if (!Number.isInteger(minute) || minute < 0 || minute >= PACK || n >= PACK) {
      return planned
        .map((post, k) => ({ post, ms: publishMs[k] }))
        .sort((a, b) => a.ms - b.ms || (a.post.postId < b.post.postId ? -1 : 1))
        .map((p) => p.post);
    }
    keys[i] = minute * PACK + i;
  }
  keys.sort();
  const posts: PostSpec[] = new Array<PostSpec>(n);
  for (let i = 0; i < n;) {
    const minute = Math.floor(keys[i] / PACK);
    let end = i + 1;
    while (end < n && Math.floor(keys[end] / PACK) === minute) end++;
    for (let k = i; k < end; k++) posts[k] = planned[keys[k] - minute * PACK];
    if (end - i > 1) {
      const same = posts.slice(i, end).sort((a, b) => (a.postId < b.postId ? -1 : 1));
      for (let k = i; k < end; k++) posts[k] = same[k - i];
    }
    i = end;
  }
  return posts;
}

/** 2^26: minutes until 2097, and posts per plan; packed together they stay exact in a double. */
const PACK = 67_108_864;

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
      ...channels
        .filter((ch) => platformOf(ch) === 'youtube' && templates.hasPart(campaign.template, 'title'))
        .map((ch): [TemplateKind, Channel] => ['title', ch]),
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
                `unknown partial "${at.field}" (campaign "${campaign.id}")${didYouMean(at.field, [...templates.styleNames, ...templates.partialNames])}; styles are ${templates.styleNames.join(', ')} (use {{> style}} for the campaign's style), or add templates/partials/${at.field}.hbs`,
              )
            : new UnknownVariableError(
                at,
                `unknown variable "${at.field}" (campaign "${campaign.id}")${didYouMean(at.field, [...known, ...templates.helperNames])}; add it to the campaign's variables: in the calendar, or fix the name (the plan gives: ${RESERVED_VARIABLES.join(', ')})`,
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

/** Each channel's account (named, or `default`) must be connected on its platform. */
function checkAccounts(
  campaign: Campaign,
  isConnected: NonNullable<PlanInput['isAccountConnected']>,
  problems: ProblemList,
): void {
  for (const channel of new Set(campaign.slots.flatMap((s) => s.channels))) {
    const platform = platformOf(channel);
    if (!platform) continue;
    const account = campaign.publishing.accounts[channel] ?? DEFAULT_ACCOUNT;
    if (isConnected(platform, account)) continue;
    problems.add(
      new UnknownAccountError(
        campaign.publishing.accountAt[channel] ?? campaignPosition(campaign, 'id'),
        `campaign "${campaign.id}" posts to ${channel} as ${platform} account "${account}", which nobody has connected; connect it (\`${reconnectCommand(platform, account)}\`) or name a connected account under accounts:`,
      ),
      `${campaign.id}|${channel}`,
    );
  }
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
  // Keyed by the minute (day number and wall time) as a number: cheaper than a string each. Most
  // slots have one candidate: it stands alone until a second one comes.
  const bySlot = new Map<number, Candidate | Candidate[]>();
  for (const c of candidates) {
    const key = c.day.day * 1440 + c.slot.hour * 60 + c.slot.minute;
    const group = bySlot.get(key);
    if (group === undefined) bySlot.set(key, c);
    else if (Array.isArray(group)) group.push(c);
    else bySlot.set(key, [group, c]);
  }
  for (const group of bySlot.values()) {
    if (!Array.isArray(group) || new Set(group.map((g) => g.campaign.id)).size < 2) continue;
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

/** One template part of a campaign; channels whose caption ignores the channel share one. */
interface Part {
  kind: TemplateKind;
  file: TemplateFile;
  post: boolean;
  channel: boolean;
}

/**
 * Renders one campaign's posts, one after another. Text is kept by what it depends on (see
 * TemplateSet.dependsOn): a prompt that uses only the campaign's variables renders once per
 * campaign, a caption that ignores the channel once per post for all its channels. Rendering is
 * synchronous, so one context object serves every post in turn (a year's plan would otherwise
 * build 100,000 of them). Blocked terms are checked when a text is first rendered.
 */
class CampaignRenderer {
  readonly prompt: Part;
  readonly negative: Part;
  readonly captions = new Map<Channel, Part>();
  /** title.hbs, when the template has one and the campaign posts to YouTube. */
  readonly title?: Part;
  /** How each channel publishes, the same for every post (YouTube's differs by its title). */
  readonly #publishing = new Map<Channel, ChannelPublishing>();
  #lastYouTube?: ChannelPublishing;
  readonly #once = new Map<Part, string>();
  /** This post's texts so far: a post has a handful of parts, so a list beats a map. */
  readonly #postParts: Part[] = [];
  readonly #postTexts: string[] = [];
  readonly #context: Record<string, unknown>;
  readonly #post: PostData;
  #candidate?: Candidate;

  constructor(
    readonly calendar: Calendar,
    readonly campaign: Campaign,
    readonly templates: TemplateSet,
    readonly blocked: BlockedTerms,
  ) {
    const make = (kind: TemplateKind, channel?: Channel): Part => ({
      kind,
      file: templates.fileOf(campaign.template, kind, channel),
      ...templates.dependsOn(campaign.template, kind, channel, campaign.style),
    });
    this.prompt = make('prompt');
    this.negative = make('negative');
    const shared = new Map<TemplateFile, Part>();
    for (const slot of campaign.slots) {
      for (const channel of slot.channels) {
        if (this.captions.has(channel)) continue;
        const part = make('caption', channel);
        const same = !part.channel && shared.get(part.file);
        this.captions.set(channel, same || part);
        if (!part.channel && !same) shared.set(part.file, part);
      }
    }
    const aiGenerated = disclosurePolicy(campaign.aiDisclosure).platformLabel;
    const { accounts, options } = campaign.publishing;
    for (const channel of this.captions.keys()) {
      const platform = platformOf(channel);
      this.#publishing.set(channel, {
        account: accounts[channel] ?? DEFAULT_ACCOUNT,
        aiGenerated,
        options:
          platform === 'tiktok'
            ? { tiktok: options.tiktok }
            : platform === 'instagram'
              ? { instagram: options.instagram }
              : {},
      });
      if (platform === 'youtube' && templates.hasPart(campaign.template, 'title'))
        this.title = make('title', channel);
    }
    // A literal then Object.assign: V8 builds `{ ...variables, more }` some 50x slower, and
    // reserved names are refused in checkCampaign, so variables cannot overwrite these.
    this.#context = Object.assign(
      {
        postId: '',
        date: '',
        time: '',
        weekday: '',
        zone: calendar.zone,
        locale: calendar.locale,
        slot: '',
        channel: null as Channel | null,
        campaign: { id: campaign.id, name: campaign.name },
        calendar: { id: calendar.id, name: calendar.name },
        holiday: null as string | null,
        holidayDate: null as string | null,
      },
      campaign.variables,
    );
    this.#post = {
      postId: '',
      date: '',
      localTime: '',
      zone: calendar.zone,
      locale: calendar.locale,
      holidays: calendar.holidays,
      holiday: undefined,
    };
  }

  /** Moves to the next post: its texts are rendered on first use. */
  begin(c: Candidate, postId: string, holidayName: string | null): void {
    const { day, slot } = c;
    this.#candidate = c;
    this.#postParts.length = 0;
    this.#postTexts.length = 0;
    const context = this.#context;
    context.postId = postId;
    context.date = day.date;
    context.time = slot.time;
    context.weekday = weekdayOf(day.day);
    context.slot = slot.id;
    context.holiday = holidayName;
    context.holidayDate = day.holiday?.date ?? (holidayName ? day.date : null);
    const post = this.#post;
    post.postId = postId;
    post.date = day.date;
    post.localTime = slot.time;
    post.holiday = day.holiday;
  }

  /**
   * How `channel` publishes this post. YouTube's title comes from title.hbs, else from the
   * caption's first line (else the campaign's name), cut to fit.
   */
  publishing(channel: Channel, caption: string): ChannelPublishing {
    const common = this.#publishing.get(channel)!;
    if (platformOf(channel) !== 'youtube') return common;
    const title = this.title
      ? this.text(this.title, channel)
      : titleFromCaption(caption) || titleFromCaption(this.campaign.name);
    if (this.#lastYouTube?.options.youtube?.title === title) return this.#lastYouTube;
    const youtube = { title, ...this.campaign.publishing.options.youtube };
    this.#lastYouTube = { ...common, options: { youtube } satisfies ChannelPostOptions };
    return this.#lastYouTube;
  }

  text(part: Part, channel?: Channel): string {
    if (!part.post) {
      const once = this.#once.get(part);
      if (once !== undefined) return once;
    } else {
      const at = this.#postParts.indexOf(part);
      if (at >= 0) return this.#postTexts[at];
    }
    this.#context.channel = channel ?? null;
    let text = this.templates.renderFile(part.file, this.#context, this.#post, this.campaign.style);
    if (part.kind === 'caption') text = withDisclosure(text, this.campaign.aiDisclosure);
    if (part.kind !== 'negative')
      checkBlocked(this.blocked, text, part.kind, channel, this.#candidate!, this.templates);
    if (part.post) {
      this.#postParts.push(part);
      this.#postTexts.push(text);
    } else this.#once.set(part, text);
    return text;
  }
}

function buildPost(
  calendar: Calendar,
  c: Candidate,
  renderer: CampaignRenderer,
  problems: ProblemList,
): PostSpec {
  const { campaign, day, slot } = c;
  const templates = renderer.templates;
  const postId = postIdOf(campaign.id, day.date, slot.id);
  const publishMs = c.publishMs;
  const holidays = calendar.holidays?.namesOn(day.date) ?? NO_HOLIDAYS;
  renderer.begin(c, postId, day.holiday?.name ?? holidays[0] ?? null);

  const prompt = renderer.text(renderer.prompt);
  const negativePrompt = renderer.text(renderer.negative);

  const captions: Partial<Record<Channel, string>> = {};
  const publishing: Partial<Record<Channel, ChannelPublishing>> = {};
  for (const channel of c.channels) {
    const caption = renderer.text(renderer.captions.get(channel)!, channel);
    const how = renderer.publishing(channel, caption);
    const title = how.options.youtube?.title;
    for (const problem of captionProblems(channel, caption))
      problems.add(...textProblem(problem, channel, c, templates));
    if (title !== undefined)
      for (const problem of titleProblems(channel, title))
        problems.add(...textProblem(problem, channel, c, templates));
    captions[channel] = caption;
    publishing[channel] = how;
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
    publishing,
    ...(campaign.aiDisclosure !== undefined ? { aiDisclosure: campaign.aiDisclosure } : {}),
    video: {
      frames: campaign.video.frames,
      fps: campaign.video.fps,
      width: campaign.video.width,
      height: campaign.video.height,
      steps: campaign.video.steps,
      guidance: campaign.video.guidance,
      seed: campaign.video.seed ?? seedOf(postId),
      ...(campaign.video.model !== undefined ? { model: campaign.video.model } : {}),
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
    holidays,
    warnings,
    safety: campaign.safety,
  };
}

/**
 * A caption or title that breaks its channel's rule (channel-table.ts), at the template that
 * makes it, naming the campaign's slot in the calendar and what to do.
 */
function textProblem(
  problem: TextProblem,
  channel: Channel,
  c: Candidate,
  templates: TemplateSet,
): [CalendarError, string] {
  const { campaign, day, slot } = c;
  // A title made from the caption is cut to fit: only title.hbs can break a title rule.
  const kind =
    problem.field === 'title' && templates.hasPart(campaign.template, 'title') ? 'title' : 'caption';
  const file = templates.fileOf(campaign.template, kind, channel).file;
  const slotAt = campaignPosition(campaign, 'slots', slot.index);
  const caption = problem.field === 'caption';
  const own = `${problem.field}.${channel}.hbs`;
  const fix = {
    length: caption
      ? `${campaign.aiDisclosure ? ', the AI disclosure line included' : ''}; shorten the caption or add a shorter ${own}`
      : `; shorten ${file}`,
    forbidden: caption ? `; remove them, or add a ${own} without them` : `; remove them from ${file}`,
    hashtags: `; use fewer hashtags, or add a ${own} with fewer`,
    mentions: `; mention fewer accounts, or add a ${own} with fewer`,
    empty: `; the platform needs one: make ${file} say something`,
  }[problem.rule];
  const message = `the ${channel} ${problem.field} of campaign "${campaign.id}" on ${day.date} (slot "${slot.id}", ${slotAt.file}:${slotAt.line}) ${problem.message}${fix}`;
  const at = { file, line: 1, col: 1, field: `${problem.field}.${channel}` };
  const error =
    problem.rule === 'length' ? new CaptionTooLongError(at, message) : new CaptionRuleError(at, message);
  return [error, `${campaign.id}|${channel}|${problem.field}|${problem.rule}`];
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
  kind: Exclude<TemplateKind, 'negative'>,
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
