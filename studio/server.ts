import type { Client } from '@temporalio/client';
import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { streamSSE } from 'hono/streaming';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { DateTime } from 'luxon';
import type { Channel } from '../activities/calendar';
import { CHANNEL_NAMES as CHANNELS } from '../activities/publish/channel-table';
import { createPostActivities } from '../activities/posts';
import { readCredentials, type RenditionCredentials } from '../activities/provenance/signer';
import type { ObjectStorage } from '../activities/storage';
import { approvePost, otherDecision, rejectPost } from '../cli/commands/status';
import { closePost, listFailures, replayFailedPost } from '../cli/commands/failures';
import { setCampaignPaused } from '../cli/commands/campaign';
import { runDay } from '../cli/commands/run';
import { horizonFrom } from '../activities/calendar/workspace';
import { isSettled, progressPercent, readProgress } from '../cli/post-progress';
import type { ReelcastConfig } from '../config';
import { postWorkflowId, type PostState } from '../workflows/post';
import { SCRIPT, STYLESHEET } from './assets';
import { readAudit, recordAudit, type AuditTarget } from './audit';
import {
  LoginLimiter,
  Sessions,
  csrfOk,
  mayAct,
  readUsers,
  sameSecret,
  verifyPassword,
  type Session,
} from './auth';
import {
  datesBetween,
  livePosts,
  mergePosts,
  planDays,
  postDetail,
  progressDetail,
  queryState,
  workspaceOf,
  type PostDetail,
} from './data';
import type { Html } from './html';
import {
  calendarPage,
  calendarsPage,
  errorPage,
  failuresPage,
  loginPage,
  postPage,
  type CalendarFilters,
  type Viewer,
} from './views';

export interface StudioOptions {
  config: ReelcastConfig;
  client: Client;
  storage: ObjectStorage;
  /** The users file (`studio.usersFile`), read at each sign-in so new users need no restart. */
  usersFile: string;
  /** One access token for a single-person set-up (`studio.token`): signs in as admin. */
  token?: string;
  /** Always mark cookies Secure (Studio is served over TLS, e.g. behind a proxy). */
  secureCookies?: boolean;
  /** With S3: stream media through Studio rather than redirect to a presigned URL. */
  streamMedia?: boolean;
  /** Today's date, yyyy-mm-dd (tests fix it). */
  today?: () => string;
}

const SESSION_COOKIE = 'studio_session';
const LOGIN_COOKIE = 'studio_login';
const STAGES = [
  'planned',
  'awaiting-approval',
  'generating',
  'transcoding',
  'waiting',
  'paused',
  'publishing',
  'published',
  'skipped',
  'cancelled',
  'awaiting-replay',
  'expired',
];
const POST_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*(\/[A-Za-z0-9][A-Za-z0-9_.-]*)*$/;

type Env = { Bindings: { incoming?: IncomingMessage }; Variables: { session?: Session; viaToken?: boolean } };

/** The Studio web app: every page and API call behind a sign-in, every change behind a CSRF token. */
export function createStudio(options: StudioOptions): Hono<Env> {
  const { client, config, storage } = options;
  const sessions = new Sessions();
  // Five wrong passwords for one name, or thirty from one address (an office shares one), in 15 min.
  const byUser = new LoginLimiter(5);
  const byAddress = new LoginLimiter(30);
  const flashes = new Map<string, { text: string; error: boolean }>();
  const today = options.today ?? (() => DateTime.utc().toISODate()!);
  const app = new Hono<Env>();

  const secure = (c: Context<Env>) =>
    Boolean(options.secureCookies) ||
    c.req.header('x-forwarded-proto') === 'https' ||
    new URL(c.req.url).protocol === 'https:';

  const viewerOf = (c: Context<Env>): Viewer => {
    const s = c.get('session')!;
    const flash = flashes.get(s.id);
    flashes.delete(s.id);
    return { user: s.user, role: s.role, csrf: s.csrf, mayAct: mayAct(s.role), flash };
  };
  const render = (c: Context<Env>, body: Html, status = 200) => c.html(body.text, status as 200);

  // Headers on every answer: no framing, no sniffing, scripts only from Studio itself.
  app.use('*', async (c, next) => {
    await next();
    const media =
      config.storage.kind === 's3' && config.storage.s3.endpoint
        ? ` ${new URL(config.storage.s3.endpoint).origin}`
        : '';
    c.header(
      'Content-Security-Policy',
      `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:${media}; media-src 'self'${media}; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`,
    );
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'same-origin');
    c.header('X-Frame-Options', 'DENY');
  });

  // An unexpected error (Temporal unreachable, say) reads as one, in words, not as a stack trace.
  app.onError((err, c) => {
    process.stderr.write(`studio: ${c.req.method} ${c.req.path}: ${err.stack ?? err.message}\n`);
    const session = c.get('session');
    return render(
      c,
      errorPage(
        session ? viewerOf(c) : undefined,
        'Something went wrong',
        `${inWords(err)}. If Temporal or storage is down, start it (\`reelcast dev up\`) and reload.`,
      ),
      500,
    );
  });

  app.get('/static/studio.css', (c) => {
    c.header('Cache-Control', 'public, max-age=300');
    return c.body(STYLESHEET, 200, { 'Content-Type': 'text/css; charset=utf-8' });
  });
  app.get('/static/studio.js', (c) => {
    c.header('Cache-Control', 'public, max-age=300');
    return c.body(SCRIPT, 200, { 'Content-Type': 'text/javascript; charset=utf-8' });
  });
  app.get('/healthz', (c) => c.text('ok'));
  app.get('/favicon.ico', (c) => c.body(null, 204));

  // Sign-in. The form carries a token that must match its cookie (no sign-in from other sites).
  const showLogin = (c: Context<Env>, error?: string, status = 200) => {
    // One token per browser: a second tab (or a favicon request) must not void the first form.
    const token = /^[\w-]{32}$/.test(getCookie(c, LOGIN_COOKIE) ?? '')
      ? getCookie(c, LOGIN_COOKIE)!
      : randomBytes(24).toString('base64url');
    setCookie(c, LOGIN_COOKIE, token, { httpOnly: true, sameSite: 'Lax', secure: secure(c), path: '/login' });
    return render(
      c,
      loginPage(token, error, safeNext(c.req.query('next') ?? '/'), Boolean(options.token)),
      status,
    );
  };
  app.get('/login', (c) => showLogin(c));
  app.post('/login', async (c) => {
    const form = await c.req.parseBody();
    const user = String(form.user ?? '').trim();
    const password = String(form.password ?? '');
    const sent = String(form._login ?? '');
    const expected = getCookie(c, LOGIN_COOKIE);
    if (!expected || !sameSecret(expected, sent))
      return showLogin(c, 'The sign-in form expired; please sign in again.', 403);
    const ip = c.env?.incoming?.socket.remoteAddress ?? 'unknown';
    const name = user.toLowerCase();
    const wait = Math.max(byUser.retryAfter(name), byAddress.retryAfter(ip));
    if (wait > 0) {
      c.header('Retry-After', String(wait));
      return showLogin(
        c,
        `Too many failed sign-ins. Try again in ${Math.ceil(wait / 60)} minute(s), or ask an admin to reset your password.`,
        429,
      );
    }
    let signedIn: { name: string; role: Session['role'] } | undefined;
    if (options.token && sameSecret(options.token, password))
      signedIn = { name: user || 'owner', role: 'admin' };
    else {
      const found = readUsers(options.usersFile).find((u) => u.name === user);
      // Verify even for an unknown name, so timing does not tell which names exist.
      const ok = await verifyPassword(password, found?.passwordHash ?? DUMMY_HASH);
      if (found && ok) signedIn = { name: found.name, role: found.role };
    }
    if (!signedIn) {
      byUser.failed(name);
      byAddress.failed(ip);
      return showLogin(c, 'That name and password do not match.', 401);
    }
    byUser.succeeded(name);
    const session = sessions.create(signedIn.name, signedIn.role);
    setCookie(c, SESSION_COOKIE, session.id, {
      httpOnly: true,
      sameSite: 'Lax',
      secure: secure(c),
      path: '/',
      maxAge: 12 * 3600,
    });
    deleteCookie(c, LOGIN_COOKIE, { path: '/login' });
    return c.redirect(safeNext(String(form.next ?? '/')), 303);
  });

  // Everything below needs a signed-in person (or the access token as a bearer token).
  app.use('*', async (c, next) => {
    const bearer = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1];
    if (bearer && options.token && sameSecret(options.token, bearer)) {
      c.set('session', { id: 'token', user: 'token', role: 'admin', csrf: '', expiresAt: Infinity });
      c.set('viaToken', true);
      return next();
    }
    const session = sessions.get(getCookie(c, SESSION_COOKIE));
    if (!session) {
      const page = !c.req.path.startsWith('/api/') && c.req.path !== '/events' && c.req.path !== '/media';
      if (c.req.method === 'GET' && page)
        return c.redirect(`/login?next=${encodeURIComponent(c.req.path + new URL(c.req.url).search)}`, 303);
      return c.json({ error: 'sign in first' }, 401);
    }
    c.set('session', session);
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      const form = (c.req.header('content-type') ?? '').includes('form')
        ? await c.req.parseBody()
        : ({} as Record<string, unknown>);
      const sent = c.req.header('x-csrf-token') ?? (typeof form._csrf === 'string' ? form._csrf : undefined);
      if (!csrfOk(session, sent))
        return render(
          c,
          errorPage(
            viewerOf(c),
            'Refused',
            'This request did not come from a Studio page (its security token is missing or old). Reload the page and try again.',
          ),
          403,
        );
    }
    return next();
  });

  app.post('/logout', (c) => {
    sessions.delete(c.get('session')?.id);
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.redirect('/login', 303);
  });

  // Calendar: month or week.
  app.get('/', async (c) => {
    const view = c.req.query('view') === 'week' ? 'week' : 'month';
    const filters: CalendarFilters = {
      campaign: c.req.query('campaign') || undefined,
      channel: c.req.query('channel') || undefined,
      stage: c.req.query('stage') || undefined,
    };
    const now = DateTime.fromISO(today());
    let start: DateTime;
    let end: DateTime;
    let anchor: string;
    let title: string;
    let prev: string;
    let next: string;
    if (view === 'month') {
      const m = /^\d{4}-\d{2}$/.test(c.req.query('month') ?? '')
        ? DateTime.fromISO(`${c.req.query('month')}-01`)
        : now.startOf('month');
      const first = m.isValid ? m : now.startOf('month');
      anchor = first.toFormat('yyyy-MM');
      title = first.toFormat('LLLL yyyy');
      start = first.startOf('week');
      end = first.endOf('month').endOf('week');
      prev = first.minus({ months: 1 }).toFormat('yyyy-MM');
      next = first.plus({ months: 1 }).toFormat('yyyy-MM');
    } else {
      const w = /^\d{4}-\d{2}-\d{2}$/.test(c.req.query('week') ?? '')
        ? DateTime.fromISO(c.req.query('week')!)
        : now;
      start = (w.isValid ? w : now).startOf('week');
      end = start.endOf('week');
      anchor = start.toISODate()!;
      title = `Week of ${start.toFormat('d LLLL yyyy')}`;
      prev = start.minus({ weeks: 1 }).toISODate()!;
      next = start.plus({ weeks: 1 }).toISODate()!;
    }
    const from = start.toISODate()!;
    const to = end.toISODate()!;
    const plan = planDays(config, from, to);
    const live = await livePosts(client, datesBetween(from, to));
    const posts = mergePosts(plan.posts, live);
    const firstOfMonth = view === 'month' ? `${anchor}-01` : from;
    const lastOfMonth = view === 'month' ? DateTime.fromISO(firstOfMonth).endOf('month').toISODate()! : to;
    return render(
      c,
      calendarPage(viewerOf(c), {
        view,
        anchor,
        title,
        prev,
        next,
        days: datesBetween(from, to).map((date) => ({
          date,
          inRange: date >= firstOfMonth && date <= lastOfMonth,
        })),
        posts,
        problemsByDay: plan.problemsByDay,
        filters,
        options: {
          campaigns: [...new Set(posts.map((p) => p.campaign))].sort(),
          channels: [...CHANNELS],
          stages: STAGES,
        },
        today: today(),
      }),
    );
  });

  // The month as JSON (for scripts and the benchmark's baseline).
  app.get('/api/month', async (c) => {
    const m = DateTime.fromISO(`${c.req.query('month') ?? today().slice(0, 7)}-01`);
    if (!m.isValid) return c.json({ error: 'month: write it as yyyy-mm' }, 400);
    const from = m.toISODate()!;
    const to = m.endOf('month').toISODate()!;
    const plan = planDays(config, from, to);
    const posts = mergePosts(plan.posts, await livePosts(client, datesBetween(from, to)));
    return c.json({ from, to, posts, problems: Object.fromEntries(plan.problemsByDay) });
  });

  app.get('/post', async (c) => {
    const postId = c.req.query('id') ?? '';
    if (!POST_ID.test(postId))
      return render(c, errorPage(viewerOf(c), 'No such post', 'That link does not name a post.'), 404);
    const detail = await postDetail(client, postId);
    if (!detail) {
      return render(
        c,
        errorPage(
          viewerOf(c),
          'Not started yet',
          `${postId} has not started: its day has not been planned yet. An editor can run the day from the week view.`,
        ),
        404,
      );
    }
    const described = detail.state
      ? undefined
      : await client.workflow
          .getHandle(postWorkflowId(postId))
          .describe()
          .catch(() => undefined);
    const fallback = (described?.searchAttributes as Record<string, unknown[]> | undefined)
      ?.ReelcastStatus?.[0] as string | undefined;
    const [audit, credentials] = await Promise.all([
      readAudit(storage, { post: postId }),
      renditionCredentials(storage, detail),
    ]);
    return render(c, postPage(viewerOf(c), detail, fallback, audit, credentials));
  });

  app.get('/failures', async (c) => render(c, failuresPage(viewerOf(c), await listFailures(client, {}))));

  app.get('/calendars', async (c) => {
    const range = horizonFrom(today(), 90);
    const plan = planDays(config, range.from, range.to);
    const coming = horizonFrom(today(), 6);
    const comingPosts = plan.posts.filter((p) => p.date <= coming.to);
    const live = await livePosts(client, datesBetween(coming.from, coming.to));
    const paused = new Set(
      await createPostActivities({ storage, client: async () => client }).pausedCampaigns(),
    );
    const ws = workspaceOf(config);
    return render(
      c,
      calendarsPage(viewerOf(c), {
        problems: plan.fileProblems,
        problemsByDay: plan.problemsByDay,
        range,
        coming: mergePosts(comingPosts, live),
        campaigns: ws.calendars.flatMap((cal) =>
          cal.campaigns.map((k) => ({ id: k.id, name: k.name, calendar: cal.id, paused: paused.has(k.id) })),
        ),
      }),
    );
  });

  // Media: only the renditions, posters and previews of known posts, looked up by post and channel.
  app.get('/media', async (c) => {
    const postId = c.req.query('post') ?? '';
    const channel = c.req.query('channel') as Channel;
    const kind = c.req.query('kind') ?? '';
    const field = ({ video: 'renditionKey', poster: 'posterKey', preview: 'previewKey' } as const)[
      kind as 'video'
    ];
    if (!POST_ID.test(postId) || !CHANNELS.includes(channel) || !field) return c.text('not found', 404);
    const state = await stateOf(client, postId);
    const key = state?.renditions[channel]?.[field];
    if (!key) return c.text('not found', 404);
    if (storage.kind === 's3' && !options.streamMedia) return c.redirect(await storage.urlFor(key, 900), 302);
    return serveRange(c, storage, key, c.req.header('range'));
  });

  // The frame that made the content gate hold a post (a JPEG beside the gate's stored scores).
  app.get('/gate-frame', async (c) => {
    const postId = c.req.query('post') ?? '';
    if (!POST_ID.test(postId)) return c.text('not found', 404);
    const key = (await stateOf(client, postId))?.safety?.trip?.frameKey;
    if (!key) return c.text('not found', 404);
    if (storage.kind === 's3' && !options.streamMedia) return c.redirect(await storage.urlFor(key, 900), 302);
    return serveRange(c, storage, key, c.req.header('range'));
  });

  // Live progress: the same heartbeats `reelcast status` reads, every second until settled.
  app.get('/events', (c) => {
    const postId = c.req.query('post') ?? '';
    if (!POST_ID.test(postId)) return c.text('not found', 404);
    return streamSSE(c, async (stream) => {
      let aborted = false;
      stream.onAbort(() => void (aborted = true));
      const deadline = Date.now() + 30 * 60_000;
      while (!aborted && Date.now() < deadline) {
        const p = await readProgress(client, postWorkflowId(postId)).catch(() => undefined);
        const percent = p ? progressPercent(p) : NaN;
        await stream.writeSSE({
          event: 'progress',
          data: JSON.stringify({
            stage: p?.state?.stage,
            percent: Number.isFinite(percent) ? Math.round(percent) : -1,
            detail: progressDetail(p),
          }),
        });
        if (p && isSettled(p)) break;
        await stream.sleep(1000);
      }
      await stream.writeSSE({ event: 'end', data: '{}' });
    });
  });

  // Actions: each calls the same function as its CLI command, only when it is valid, and is audited.
  app.post('/actions/:action', async (c) => {
    const session = c.get('session')!;
    if (!mayAct(session.role))
      return render(
        c,
        errorPage(
          viewerOf(c),
          'Not allowed',
          `Your role (${session.role}) may look but not change anything. Ask an admin for the editor role.`,
        ),
        403,
      );
    const form = (await c.req.parseBody()) as Record<string, string>;
    const action = c.req.param('action');
    const postId = form.post ?? '';
    const reason = (form.reason ?? '').trim();
    let target: AuditTarget;
    let detail: string | undefined;
    let run: () => Promise<string>;
    const stageNow = async (): Promise<string | undefined> => {
      const d = await client.workflow.getHandle(postWorkflowId(postId)).describe();
      if (d.status.name !== 'RUNNING') return 'closed';
      return (d.searchAttributes as Record<string, unknown[]>).ReelcastStatus?.[0] as string | undefined;
    };
    const requireStage = async (want: string, what: string) => {
      const stage = await stageNow().catch(() => undefined);
      if (stage !== want)
        throw new Error(
          stage
            ? `${postId} is ${stage}, not ${want}, so it cannot be ${what}; nothing was changed`
            : `no post ${postId} has started; nothing was changed`,
        );
    };
    switch (action) {
      case 'approve':
      case 'reject':
      case 'release':
      case 'replay':
      case 'close': {
        if (!POST_ID.test(postId)) return c.text('no such post', 404);
        target = { post: postId };
        if ((action === 'reject' || action === 'close') && !reason)
          return back(c, form, flashes, `Say why you ${action} ${postId}; nothing was changed.`, true);
        if (action === 'approve')
          run = async () => {
            await requireStage('awaiting-approval', 'approved');
            const recorded = await approvePost(client, postId, session.user);
            const other = otherDecision(postId, { decision: 'approved', by: session.user }, recorded);
            if (other) throw new Error(other);
            return `Approved ${postId}.`;
          };
        else if (action === 'release') {
          detail = 'over the content gate';
          run = async () => {
            await requireStage('held', 'released');
            await approvePost(client, postId, session.user, { overrideSafety: true });
            return `Released ${postId} over the content gate: it publishes at its time (recorded with your name).`;
          };
        } else if (action === 'reject') {
          detail = reason;
          run = async () => {
            // A held post is rejected like one awaiting approval.
            const held = (await stageNow().catch(() => undefined)) === 'held';
            await requireStage(held ? 'held' : 'awaiting-approval', 'rejected');
            const recorded = await rejectPost(client, postId, session.user, reason);
            const other = otherDecision(postId, { decision: 'rejected', by: session.user, reason }, recorded);
            if (other) throw new Error(other);
            return `Rejected ${postId}: it will be skipped.`;
          };
        } else if (action === 'close') {
          detail = reason;
          run = async () => {
            await requireStage('awaiting-replay', 'closed');
            await closePost(client, postId, reason);
            return `Closed ${postId}.`;
          };
        } else {
          const channel = form.channel ? (form.channel as Channel) : undefined;
          if (channel && !CHANNELS.includes(channel)) return c.text('no such channel', 404);
          detail = channel ?? 'all failed channels';
          run = async () => {
            const outcome = await replayFailedPost(client, config, postId, { channel });
            const lines = Object.entries(outcome)
              .filter(([ch]) => !channel || ch === channel)
              .map(([ch, p]) =>
                p?.status === 'published'
                  ? `${ch}: published`
                  : `${ch}: ${p?.status ?? 'not published'}${p?.reason ? `: ${p.reason}` : ''}`,
              );
            const failed = lines.some((l) => !l.endsWith(': published'));
            if (failed) throw new Error(`Replay of ${postId}: ${lines.join('; ')}`);
            return `Replayed ${postId}: ${lines.join('; ')}.`;
          };
        }
        break;
      }
      case 'pause':
      case 'resume': {
        const campaign = form.campaign ?? '';
        const known = workspaceOf(config).calendars.flatMap((cal) => cal.campaigns.map((k) => k.id));
        if (!known.includes(campaign)) return c.text('no such campaign', 404);
        target = { campaign };
        run = async () => {
          const { told } = await setCampaignPaused(client, config, campaign, action === 'pause');
          return `${action === 'pause' ? 'Paused' : 'Resumed'} ${campaign}: ${told} pending post(s) told.`;
        };
        break;
      }
      case 'run-day': {
        const date = form.date ?? '';
        if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return c.text('date: write it as yyyy-mm-dd', 400);
        target = { day: date };
        run = async () => {
          const r = await runDay(client, config, { date });
          return `${date}: ${r.started.length} post(s) started, ${r.existing.length} already running or done.`;
        };
        break;
      }
      default:
        return c.text('no such action', 404);
    }
    let message: string;
    let failed = false;
    try {
      message = await run();
    } catch (err) {
      failed = true;
      message = inWords(err);
    }
    await recordAudit(storage, target, {
      user: session.user,
      role: session.role,
      action,
      detail,
      outcome: failed ? message : 'ok',
    });
    if (c.get('viaToken') || (c.req.header('accept') ?? '').includes('application/json'))
      return c.json({ ok: !failed, message }, failed ? 409 : 200);
    return back(c, form, flashes, message, failed);
  });

  return app;
}

/** A scrypt hash of nothing anyone types, verified for unknown names. */
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

/** Only paths on this site, never `//evil.example`. */
function safeNext(next: string): string {
  return /^\/(?![/\\])/.test(next) ? next : '/';
}

function back(
  c: Context<Env>,
  form: Record<string, string>,
  flashes: Map<string, { text: string; error: boolean }>,
  text: string,
  error: boolean,
): Response {
  const session = c.get('session')!;
  flashes.set(session.id, { text, error });
  const fallback = form.post ? `/post?id=${encodeURIComponent(form.post)}` : '/';
  return c.redirect(safeNext(form.back || fallback), 303);
}

/** The error a person reads: the root cause's message, without the stack. */
function inWords(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e?.cause && (e.cause as { message?: string }).message) e = e.cause as typeof e;
  const message = e?.message ?? String(err);
  if ((err as { name?: string })?.name === 'WorkflowNotFoundError')
    return 'That post has not started; nothing was changed.';
  return message;
}

const closedStates = new Map<string, PostState>();

async function stateOf(client: Client, postId: string): Promise<PostState | undefined> {
  const kept = closedStates.get(postId);
  if (kept) return kept;
  const state = await queryState(client, postId);
  if (state) return state;
  const detail = await postDetail(client, postId).catch(() => undefined);
  if (detail?.state && !detail.running) closedStates.set(postId, detail.state);
  return detail?.state;
}

/** Parses a single `bytes=a-b` range; undefined for none, 'unsatisfiable' for one outside the object. */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

const TYPES: Record<string, string> = { mp4: 'video/mp4', jpg: 'image/jpeg', webp: 'image/webp' };

async function serveRange(c: Context<Env>, storage: ObjectStorage, key: string, header: string | undefined) {
  const head = await storage.head(key);
  if (!head) return c.text('not found', 404);
  const type = head.contentType ?? TYPES[key.split('.').pop() ?? ''] ?? 'application/octet-stream';
  const range = parseRange(header, head.size);
  const headers: Record<string, string> = {
    'Content-Type': type,
    'Accept-Ranges': 'bytes',
    'Cache-Control': 'private, max-age=3600',
  };
  if (head.etag) headers.ETag = head.etag;
  if (range === 'unsatisfiable')
    return c.body(null, 416, { ...headers, 'Content-Range': `bytes */${head.size}` });
  const stream = await storage.get(key, range);
  const body = Readable.toWeb(stream) as ReadableStream;
  if (!range) return c.body(body, 200, { ...headers, 'Content-Length': String(head.size) });
  return c.body(body, 206, {
    ...headers,
    'Content-Length': String(range.end - range.start + 1),
    'Content-Range': `bytes ${range.start}-${range.end}/${head.size}`,
  });
}

/** Each channel's rendition's Content Credentials, as stored with it (none: unsigned or older). */
async function renditionCredentials(
  storage: ObjectStorage,
  detail: PostDetail,
): Promise<Partial<Record<Channel, RenditionCredentials>>> {
  const renditions = Object.entries(detail.state?.renditions ?? {}).flatMap(([channel, r]) =>
    r ? [[channel, r.renditionKey] as const] : [],
  );
  // Channels that share a preset share the rendition: one HEAD per file.
  const keys = [...new Set(renditions.map(([, key]) => key))];
  const byKey = new Map(
    await Promise.all(
      keys.map(async (key) => {
        const head = await storage.head(key).catch(() => undefined);
        return [key, readCredentials(head?.metadata)] as const;
      }),
    ),
  );
  return Object.fromEntries(
    renditions.flatMap(([channel, key]) => (byKey.get(key) ? [[channel, byKey.get(key)!]] : [])),
  );
}
