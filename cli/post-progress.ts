import type { Client, WorkflowHandle } from '@temporalio/client';
import type { PostState } from '../workflows/post';
import { postStateQuery } from '../workflows/post';

export interface PostProgress {
  workflowId: string;
  state?: PostState;
  /** The running activity's last heartbeat: `{step, of, etaSeconds}` from generate, `{percent}`-like from media. */
  heartbeat?: { activity: string; details: Record<string, unknown> };
  closed: boolean;
}

// Held posts wait for a person, like those awaiting replay: nothing more happens by itself.
const FINAL = new Set(['published', 'skipped', 'cancelled', 'awaiting-replay', 'expired', 'held']);

/** Reads a post's stage (query) and its running activity's last heartbeat (describe). */
export async function readProgress(client: Client, workflowId: string): Promise<PostProgress> {
  const handle: WorkflowHandle = client.workflow.getHandle(workflowId);
  const description = await handle.describe();
  const closed = description.status.name !== 'RUNNING';
  const state = await handle.query(postStateQuery).catch(() => undefined);
  const pending = description.raw.pendingActivities?.[0];
  let heartbeat: PostProgress['heartbeat'];
  const payload = pending?.heartbeatDetails?.payloads?.[0];
  if (pending && payload?.data) {
    try {
      heartbeat = {
        activity: pending.activityType?.name ?? '',
        details: JSON.parse(Buffer.from(payload.data).toString('utf8')),
      };
    } catch {
      heartbeat = undefined;
    }
  }
  return { workflowId, state, heartbeat, closed };
}

export function isSettled(p: PostProgress): boolean {
  return p.closed || FINAL.has(p.state?.stage ?? '');
}

/** How far the running activity is, 0-100, from its last heartbeat; NaN when it says nothing. */
export function progressPercent(p: PostProgress): number {
  const d = p.heartbeat?.details ?? {};
  const step = Number(d.step);
  const of = Number(d.of);
  return Number.isFinite(Number(d.percent)) ? Number(d.percent) : of > 0 ? (step / of) * 100 : NaN;
}

/** One line per post: stage, and a bar from the running activity's heartbeats. */
export function progressLine(p: PostProgress): string {
  const id = p.workflowId.replace(/^post\//, '');
  const stage = p.state?.stage ?? (p.closed ? 'closed' : 'starting');
  const d = p.heartbeat?.details ?? {};
  let bar = '';
  const step = Number(d.step);
  const of = Number(d.of);
  const percent = progressPercent(p);
  if (Number.isFinite(percent) && (stage === 'generating' || stage === 'transcoding')) {
    const filled = Math.round((percent / 100) * 20);
    const detail = of > 0 ? ` step ${step}/${of}` : '';
    const eta = Number(d.etaSeconds) > 0 ? ` eta ${Math.round(Number(d.etaSeconds))} s` : '';
    bar = ` [${'#'.repeat(filled)}${'-'.repeat(20 - filled)}] ${Math.round(percent)}%${detail}${eta}`;
  }
  const reason = p.state?.reason && stage !== 'published' ? ` (${p.state.reason})` : '';
  return `${id.padEnd(44)} ${stage.padEnd(16)}${bar}${reason}`;
}

/**
 * Redraws the posts' lines until each is settled (published, skipped, cancelled or awaiting
 * replay). On a terminal the block redraws in place; elsewhere a line is printed when it changes.
 */
export async function watchPosts(
  client: Client,
  workflowIds: string[],
  options: { stream?: NodeJS.WriteStream; intervalMs?: number; timeoutMs?: number } = {},
): Promise<PostProgress[]> {
  const stream = options.stream ?? process.stderr;
  const tty = Boolean(stream.isTTY);
  const last = new Map<string, string>();
  const deadline = Date.now() + (options.timeoutMs ?? 60 * 60_000);
  let drawn = 0;
  for (;;) {
    const all = await Promise.all(workflowIds.map((id) => readProgress(client, id)));
    const lines = all.map(progressLine);
    if (tty) {
      if (drawn > 0) stream.write(`\x1b[${drawn}A`);
      for (const line of lines) stream.write(`\x1b[2K${line}\n`);
      drawn = lines.length;
    } else {
      all.forEach((p, i) => {
        const key = `${p.state?.stage}|${Math.round(Number(p.heartbeat?.details.step ?? 0) / 5)}`;
        if (last.get(p.workflowId) !== key) {
          last.set(p.workflowId, key);
          stream.write(`${lines[i]}\n`);
        }
      });
    }
    if (all.every(isSettled) || Date.now() > deadline) return all;
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 1000));
  }
}
