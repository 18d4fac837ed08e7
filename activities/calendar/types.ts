/**
 * What the calendar activities hand to workflows. Everything here is plain JSON (no Date, no
 * class instances, no functions) because it crosses Temporal workflow and activity boundaries.
 * Workflow code imports these with `import type` only.
 */

import type { ChannelPostOptions } from '../publish/channel';
import type { ChannelName } from '../publish/channel-table';
import type { SafetyThresholds } from '../safety/thresholds';

/** A channel a post is published to: one of the channel table's (activities/publish/channel-table.ts). */
export type Channel = ChannelName;

/** Text-to-video parameters, following the model contract (docs/ARCHITECTURE.md, "The model contract": Wan2.2 TI2V-5B). */
export interface VideoParams {
  /** 4n+1 (the VAE compresses time 4x); Wan2.2 default 121. */
  frames: number;
  fps: number;
  /** Multiples of 32 (VAE stride 16 x patch 2). 704x1280 is the 9:16 Wan2.2 size. */
  width: number;
  height: number;
  steps: number;
  guidance: number;
  /** Fixed per campaign when the calendar says so, otherwise derived from the post id. */
  seed: number;
  /**
   * The campaign's own model directory as the calendar names it (a brand style: a model
   * exported with `reelcast model export --lora`), absolute or relative to the folder holding
   * the setting model.dir; the GPU worker resolves it. Absent: model.dir.
   */
  model?: string;
}

export type OnApprovalDeadline = 'skip' | 'approve';

export interface ApprovalSpec {
  required: boolean;
  /** The rule as written: how long before publishAt a person must have decided. */
  deadlineMinutesBefore: number;
  /** publishAt minus deadlineMinutesBefore, ISO UTC. */
  deadlineAt: string;
  /** What the post does when nobody decided by the deadline. */
  onDeadline: OnApprovalDeadline;
}

/** One planned post: everything the post workflow needs, rendered and checked. */
export interface PostSpec {
  /** `<campaign>/<yyyy-mm-dd>/<slot>`: the business key; the workflow id is `post/<postId>`. */
  postId: string;
  calendar: string;
  campaign: string;
  campaignName: string;
  /** Local date in the calendar's zone, yyyy-mm-dd. */
  date: string;
  slot: string;
  /** The instant to publish, ISO 8601 UTC (`...Z`). */
  publishAt: string;
  /** IANA zone of the calendar. */
  zone: string;
  /** Wall time in `zone`, HH:mm. */
  localTime: string;
  locale: string;
  channels: Channel[];
  prompt: string;
  negativePrompt: string;
  /** Caption text per channel, disclosure line included. */
  captions: Partial<Record<Channel, string>>;
  /**
   * How each channel publishes it: account, AI label, platform settings (the YouTube title among
   * them). Absent in posts planned by versions before it: publish then uses the defaults.
   */
  publishing?: Partial<Record<Channel, ChannelPublishing>>;
  /**
   * The campaign's AI disclosure line (activities/provenance/disclosure.ts): the caption line,
   * the platforms' AI labels and the rendition's C2PA disclosure follow it. Absent: not disclosed (or planned before it existed).
   */
  aiDisclosure?: string;
  video: VideoParams;
  approval: ApprovalSpec;
  /** How late (after publishAt) the post may still go out; later it is skipped. */
  latenessMinutes: number;
  priority: number;
  /** Template folder name under templatesDir. */
  template: string;
  /** Holiday names on this date in the calendar's holiday set (may be empty). */
  holidays: string[];
  /** Prompt lint warnings (missing subject/action/scene/style, too short, abstract). */
  warnings: string[];
  /**
   * The content gate's thresholds per class (the calendar's and campaign's `safety:` over the
   * defaults, activities/safety/thresholds.ts). Absent in posts planned by older versions: the
   * gate then uses the defaults.
   */
  safety?: SafetyThresholds;
}

/** One channel's way of publishing a post, from the calendar (accounts:, tiktok:, youtube:, instagram:). */
export interface ChannelPublishing {
  /** The named account on the channel's platform (`default` unless the calendar names one). */
  account: string;
  /** The calendar's aiDisclosure policy: the platform's AI-generated label is set. */
  aiGenerated: boolean;
  /** Only the channel's own platform key is set (tiktok, youtube with the title, instagram). */
  options: ChannelPostOptions;
}

/** A problem found in a calendar or template, as a person reads it. */
export interface CalendarProblem {
  severity: 'error' | 'warning';
  /** Stable error class name, e.g. `UnknownVariableError`. */
  name: string;
  file: string;
  line: number;
  col: number;
  /** Dotted field path, e.g. `campaigns[0].slots[1].time`, or the template variable. */
  field: string;
  message: string;
}

/** A channel a lower-priority campaign lost to a higher-priority one in the same slot. */
export interface OverlapNotice {
  date: string;
  localTime: string;
  channel: Channel;
  winner: string;
  loser: string;
  /** True when both had the same priority (the one listed first in the calendar won). */
  tie: boolean;
}

export interface PlanDayInput {
  /** Local date yyyy-mm-dd (each calendar reads it in its own zone). */
  date: string;
  calendarsDir?: string;
  templatesDir?: string;
}

export interface PlanRangeInput {
  from: string;
  to: string;
  calendarsDir?: string;
  templatesDir?: string;
}
