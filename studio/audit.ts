import { randomBytes } from 'node:crypto';
import type { ObjectStorage } from '../activities/storage';

/**
 * Who did what, kept in storage beside the posts (so it outlives Studio and is backed up with
 * them). One object per action, under the thing acted on:
 *
 *   audit/posts/<postId>/<at>-<id>.json        approve, reject, replay, close
 *   audit/campaigns/<campaign>/<at>-<id>.json  pause, resume
 *   audit/days/<yyyy-mm-dd>/<at>-<id>.json     run a day now
 *
 * `<at>` is the ISO time with `:` and `.` made `-`, so keys list in time order.
 */
export interface AuditEntry {
  at: string;
  user: string;
  role: string;
  action: string;
  /** `post <id>`, `campaign <id>` or `day <date>`. */
  target: string;
  detail?: string;
  /** How it ended: ok, or the error in words. */
  outcome: string;
}

export type AuditTarget = { post: string } | { campaign: string } | { day: string };

function prefixOf(target: AuditTarget): string {
  if ('post' in target) return `audit/posts/${target.post}/`;
  if ('campaign' in target) return `audit/campaigns/${target.campaign}/`;
  return `audit/days/${target.day}/`;
}

export function targetText(target: AuditTarget): string {
  return 'post' in target
    ? `post ${target.post}`
    : 'campaign' in target
      ? `campaign ${target.campaign}`
      : `day ${target.day}`;
}

export async function recordAudit(
  storage: ObjectStorage,
  target: AuditTarget,
  entry: Omit<AuditEntry, 'at' | 'target'>,
): Promise<AuditEntry> {
  const at = new Date().toISOString();
  const full: AuditEntry = { at, target: targetText(target), ...entry };
  const key = `${prefixOf(target)}${at.replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}.json`;
  await storage.put(key, JSON.stringify(full), { contentType: 'application/json' });
  return full;
}

/** The trail of one post, campaign or day, oldest first. */
export async function readAudit(storage: ObjectStorage, target: AuditTarget): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for await (const obj of storage.list(prefixOf(target))) {
    out.push(JSON.parse((await storage.getBuffer(obj.key)).toString('utf8')) as AuditEntry);
  }
  return out.sort((a, b) => a.at.localeCompare(b.at));
}
