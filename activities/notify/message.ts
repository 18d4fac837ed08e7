/**
 * What a notification says, in the marketing team's words: what happened to which post, why, and
 * the link to its page in Studio. Pure: the same input always gives the same message.
 */

/** The stage changes a person is told about. */
export type NotifyEvent = 'awaiting-approval' | 'held' | 'failed';

export const NOTIFY_EVENTS: readonly NotifyEvent[] = ['awaiting-approval', 'held', 'failed'];

export interface NotificationInput {
  postId: string;
  event: NotifyEvent;
  /** The calendar id: its `notify:` block says who hears about it. */
  calendar: string;
  campaignName: string;
  /** Wall time and zone of the slot, e.g. 2027-02-10 09:00 Asia/Shanghai. */
  date: string;
  localTime: string;
  zone: string;
  channels: string[];
  /** Why (failures: one line per channel, `<channel>: <why>`). */
  reason?: string;
  /** awaiting-approval: the instant after which the campaign's deadline rule applies. */
  deadlineAt?: string;
}

export interface Notification {
  subject: string;
  /** Plain text: the e-mail body and the webhook's `text`. */
  text: string;
  link: string;
}

/** The post's page in Studio (studio/views.ts postHref), under the address people open. */
export function postLink(studioUrl: string, postId: string): string {
  return new URL(
    `post?id=${encodeURIComponent(postId)}`,
    studioUrl.endsWith('/') ? studioUrl : `${studioUrl}/`,
  ).href;
}

const HEADLINES: Record<NotifyEvent, (n: NotificationInput) => string> = {
  'awaiting-approval': (n) => `${n.campaignName} (${when(n)}) is waiting for your approval`,
  held: (n) => `${n.campaignName} (${when(n)}) is held and will not publish until someone looks at it`,
  failed: (n) => `${n.campaignName} (${when(n)}) did not publish`,
};

const WHAT_TO_DO: Record<NotifyEvent, (n: NotificationInput) => string> = {
  'awaiting-approval': (n) =>
    `Open it to watch the video and approve or reject it${n.deadlineAt ? ` before ${n.deadlineAt}` : ''}.`,
  held: (n) =>
    'Open it to see the scores and the frame that tripped the content gate, then release it ' +
    `(\`reelcast approve ${n.postId} --override-safety\`) or reject it (\`reelcast reject ${n.postId}\`).`,
  failed: () => 'Fix the cause, then open it and press Replay (or run `reelcast replay`).',
};

export function buildNotification(input: NotificationInput, studioUrl: string): Notification {
  const link = postLink(studioUrl, input.postId);
  const headline = HEADLINES[input.event](input);
  const reason = input.reason?.trim();
  const lines = [
    headline,
    '',
    `Post: ${input.postId}`,
    `Channels: ${input.channels.join(', ')}`,
    ...(reason ? ['', 'Why:', ...reason.split('\n').map((l) => `  ${l}`)] : []),
    '',
    WHAT_TO_DO[input.event](input),
    link,
  ];
  return { subject: `Reelcast: ${headline}`, text: lines.join('\n'), link };
}

function when(n: NotificationInput): string {
  return `${n.date} ${n.localTime} ${n.zone}`;
}
