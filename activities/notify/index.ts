/**
 * Notifications: a post that waits for approval, is held or fails to publish tells the people
 * its calendar names (`notify:` — e-mail over SMTP and a Slack-compatible incoming webhook),
 * once per post and event (record.ts), with what happened, why, and the link to its Studio page.
 */
import { createTransport } from 'nodemailer';
import type { ReelcastConfig } from '../../config';
import { listCalendarFiles, loadCalendar, type NotifyTargets } from '../calendar/calendar';
import type { ObjectStorage } from '../storage';
import { NotifyNotConfiguredError } from './errors';
import { buildNotification, type Notification, type NotificationInput } from './message';
import { NotificationRecord, type NotifyMedium } from './record';

export { buildNotification, postLink, NOTIFY_EVENTS } from './message';
export type { NotificationInput, NotifyEvent } from './message';
export { NotificationRecord } from './record';

export { NON_RETRYABLE_NOTIFY_ERRORS, NotifyNotConfiguredError } from './errors';

export interface NotifyResult {
  /** The media a message went out on in this call (a message sent before is not counted). */
  sent: NotifyMedium[];
}

export function createNotifyActivities(deps: { storage: ObjectStorage; config: ReelcastConfig }) {
  const record = new NotificationRecord(deps.storage);
  const studioUrl =
    deps.config.studio.publicUrl ?? `http://${deps.config.studio.host}:${deps.config.studio.port}/`;
  return {
    /** Tells the calendar's people about a post's stage change; sends each medium at most once. */
    async notifyPeople(input: NotificationInput): Promise<NotifyResult> {
      // Read when sending, so the webhook URL (a secret of sorts) never enters a workflow history.
      const targets = notifyTargets(deps.config.calendarsDir, input.calendar);
      if (!targets) return { sent: [] };
      const message = buildNotification(input, studioUrl);
      const senders: Array<[NotifyMedium, () => Promise<void>]> = [];
      if (targets.email.length) senders.push(['email', () => sendEmail(deps.config, targets.email, message)]);
      if (targets.slackWebhook) {
        const url = targets.slackWebhook;
        senders.push(['webhook', () => postToWebhook(url, message)]);
      }
      const sent: NotifyMedium[] = [];
      const failures: unknown[] = [];
      for (const [medium, send] of senders) {
        if (!(await record.claim(input.postId, input.event, medium))) continue;
        try {
          await send();
        } catch (err) {
          await record.release(input.postId, input.event, medium);
          failures.push(err);
          continue;
        }
        await record.sent(input.postId, input.event, medium);
        sent.push(medium);
      }
      // The media that went out are recorded; a retry sends only the ones that failed.
      if (failures.length) throw failures[0];
      return { sent };
    },
  };
}

/** The `notify:` block of the calendar with this id, if any calendar in the folder has one. */
export function notifyTargets(calendarsDir: string, calendarId: string): NotifyTargets | undefined {
  for (const file of listCalendarFiles(calendarsDir)) {
    const { calendar } = loadCalendar(file);
    if (calendar?.id === calendarId) return calendar.notify;
  }
  return undefined;
}

async function sendEmail(config: ReelcastConfig, to: string[], message: Notification): Promise<void> {
  const smtp = config.notify.smtp;
  if (!smtp.host) {
    throw new NotifyNotConfiguredError(
      `the calendar sends notification e-mails to ${to.join(', ')}, but no SMTP server is set; set notify.smtp.host (SMTP_HOST) and the other notify.smtp settings`,
    );
  }
  const transport = createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password?.reveal() ?? '' } } : {}),
  });
  try {
    await transport.sendMail({ from: smtp.from, to, subject: message.subject, text: message.text });
  } catch (err) {
    // nodemailer's errors name the server's answer; they never hold the password.
    throw new Error(
      `the SMTP server ${smtp.host}:${smtp.port} did not take the e-mail: ${(err as Error).message}`,
    );
  } finally {
    transport.close();
  }
}

/** Slack's incoming-webhook shape (`{ text }`), which Mattermost, Rocket.Chat and others accept. */
async function postToWebhook(url: string, message: Notification): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: `*${message.subject.replace(/^Reelcast: /, '')}*\n${message.text}` }),
    signal: AbortSignal.timeout(15_000),
  }).catch((err: Error) => {
    throw new Error(`the notification webhook (${new URL(url).host}) could not be reached: ${err.message}`);
  });
  if (!res.ok) {
    throw new Error(
      `the notification webhook (${new URL(url).host}) answered ${res.status}: ${(await res.text()).slice(0, 200)}`,
    );
  }
}
