import { DateTime } from 'luxon';
import type { Channel } from '../activities/calendar';
import { CHANNEL_TABLE } from '../activities/publish/channel-table';
import { captionLength } from '../activities/publish/channel-text';
import type { RenditionCredentials } from '../activities/provenance/signer';
import type { FailureRow } from '../cli/commands/failures';
import type { PostState } from '../workflows/post';
import type { AuditEntry } from './audit';
import type { CalendarPost, DayProblem, PostDetail } from './data';
import { html, raw, safeUrl, type Html } from './html';

/** What every page knows about the person looking at it. */
export interface Viewer {
  user: string;
  role: string;
  csrf: string;
  mayAct: boolean;
  flash?: { text: string; error: boolean };
}

/** Stages after which a post has its renditions (and so a poster). */
const HAS_VIDEO = new Set(['waiting', 'paused', 'publishing', 'published', 'awaiting-replay', 'expired']);

export function page(title: string, viewer: Viewer | undefined, body: Html): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · Reelcast Studio</title>
        <link rel="stylesheet" href="/static/studio.css" />
        <script src="/static/studio.js" defer></script>
      </head>
      <body>
        <header>
          <nav>
            <a href="/">Reelcast Studio</a>${
              viewer
                ? html`<a href="/">Calendar</a><a href="/failures">Failures</a
                    ><a href="/calendars">Calendars</a>
                    <span class="who">${viewer.user} (${viewer.role})</span>
                    <form method="post" action="/logout">${csrfField(viewer)}<button>Sign out</button></form>`
                : ''
            }
          </nav>
        </header>
        <main>
          ${viewer?.flash ? html`<div class="flash${viewer.flash.error ? ' error' : ''}" role="status">${viewer.flash.text}</div>` : ''}${body}
        </main>
      </body>
    </html>`;
}

export function csrfField(viewer: Viewer): Html {
  return html`<input type="hidden" name="_csrf" value="${viewer.csrf}" />`;
}

export function loginPage(
  loginToken: string,
  error: string | undefined,
  next: string,
  tokenMode: boolean,
): Html {
  return page(
    'Sign in',
    undefined,
    html`<form class="login card" method="post" action="/login">
      <h1>Sign in</h1>
      ${error ? html`<div class="flash error" role="alert">${error}</div>` : ''}
      <input type="hidden" name="_login" value="${loginToken}" /><input
        type="hidden"
        name="next"
        value="${next}"
      />
      <label
        >Name <input type="text" name="user" autocomplete="username" ${tokenMode ? '' : raw('required')}
      /></label>
      <label
        >${tokenMode ? 'Password or access token' : 'Password'}
        <input type="password" name="password" autocomplete="current-password" required
      /></label>
      <button>Sign in</button>
    </form>`,
  );
}

export function errorPage(viewer: Viewer | undefined, title: string, message: string): Html {
  return page(
    title,
    viewer,
    html`<h1>${title}</h1>
      <p>${message}</p>
      <p><a href="/">Back to the calendar</a></p>`,
  );
}

function stageBadge(stage: string): Html {
  return html`<span class="stage s-${stage}">${stage}</span>`;
}

function postHref(postId: string): string {
  return `/post?id=${encodeURIComponent(postId)}`;
}

function mediaHref(postId: string, channel: string, kind: 'video' | 'poster' | 'preview'): string {
  return `/media?post=${encodeURIComponent(postId)}&channel=${encodeURIComponent(channel)}&kind=${kind}`;
}

/** Zone abbreviations by zone and UTC hour: luxon's zone math is most of a month page's time. */
const abbreviations = new Map<string, string>();

function zoneAbbreviation(
  publishAt: string,
  zone: string | undefined,
  needTime: boolean,
): { abbr: string; hhmm: string } {
  const key = `${zone ?? 'UTC'}|${publishAt.slice(0, 13)}`;
  let abbr = abbreviations.get(key);
  const local =
    abbr === undefined || needTime ? DateTime.fromISO(publishAt, { zone: zone ?? 'UTC' }) : undefined;
  if (abbr === undefined) {
    abbr = local!.isValid ? (local!.offsetNameShort ?? '') : '';
    if (abbreviations.size > 10_000) abbreviations.clear();
    abbreviations.set(key, abbr);
  }
  return { abbr, hhmm: local?.isValid ? local.toFormat('HH:mm') : '' };
}

function zoneTime(p: { publishAt?: string; zone?: string; localTime?: string }): Html {
  if (!p.publishAt) return html`<span class="t">--:--</span>`;
  const { abbr, hhmm } = zoneAbbreviation(p.publishAt, p.zone, !p.localTime);
  return html`<time
    class="t"
    datetime="${p.publishAt}"
    data-utc="${p.publishAt}"
    data-zone="${p.zone ?? 'UTC'}"
    title="${p.zone ?? 'UTC'}"
    >${p.localTime ?? hhmm} ${abbr}</time
  >`;
}

function postChip(p: CalendarPost, big: boolean): Html {
  const channel = p.channels[0];
  return html`<a class="post s-${p.stage}" href="${postHref(p.postId)}"
    >${
      HAS_VIDEO.has(p.stage) && channel
        ? html`<img src="${mediaHref(p.postId, channel, 'poster')}" alt="" loading="lazy" />`
        : ''
    }<span
      >${zoneTime(p)} <span class="c">${p.campaignName ?? p.campaign}</span>${
        big ? html`<br /><span class="muted">${p.channels.join(', ')}</span>` : ''
      }
      ${stageBadge(p.stage)}</span
    ></a
  >`;
}

export interface CalendarFilters {
  campaign?: string;
  channel?: string;
  stage?: string;
}

export function filterPosts(posts: CalendarPost[], f: CalendarFilters): CalendarPost[] {
  return posts.filter(
    (p) =>
      (!f.campaign || p.campaign === f.campaign) &&
      (!f.channel || p.channels.includes(f.channel as Channel)) &&
      (!f.stage || p.stage === f.stage),
  );
}

function filterBar(
  view: 'month' | 'week',
  anchor: string,
  f: CalendarFilters,
  options: { campaigns: string[]; channels: string[]; stages: string[] },
): Html {
  const select = (name: keyof CalendarFilters, label: string, values: string[]) =>
    html`<label
      >${label}<select name="${name}">
        <option value="">all</option>
        ${values.map(
          (v) => html`<option value="${v}" ${f[name] === v ? raw(' selected') : ''}>${v}</option>`,
        )}
      </select></label
    >`;
  return html`<form class="toolbar" method="get" action="/">
    <input type="hidden" name="view" value="${view}" /><input
      type="hidden"
      name="${view === 'month' ? 'month' : 'week'}"
      value="${anchor}"
    />
    ${select('campaign', 'Campaign', options.campaigns)}${select('channel', 'Channel', options.channels)}${select('stage', 'Stage', options.stages)}
    <button class="secondary">Filter</button>
  </form>`;
}

export interface CalendarView {
  view: 'month' | 'week';
  /** yyyy-mm for a month, the Monday for a week. */
  anchor: string;
  title: string;
  prev: string;
  next: string;
  /** The days shown, Monday first; `inRange` false for the month's leading and trailing days. */
  days: Array<{ date: string; inRange: boolean }>;
  posts: CalendarPost[];
  problemsByDay: Map<string, DayProblem[]>;
  filters: CalendarFilters;
  options: { campaigns: string[]; channels: string[]; stages: string[] };
  today: string;
}

export function calendarPage(viewer: Viewer, v: CalendarView): Html {
  const byDay = new Map<string, CalendarPost[]>();
  for (const p of filterPosts(v.posts, v.filters)) {
    const list = byDay.get(p.date);
    if (list) list.push(p);
    else byDay.set(p.date, [p]);
  }
  const keep = new URLSearchParams(
    Object.entries(v.filters).filter(([, value]) => value) as Array<[string, string]>,
  ).toString();
  const nav = (anchor: string, label: string) =>
    html`<a class="button secondary" href="/?view=${v.view}&${v.view}=${anchor}${keep ? `&${keep}` : ''}"
      >${label}</a
    >`;
  const other = v.view === 'month' ? 'week' : 'month';
  const otherAnchor = v.view === 'month' ? v.days.find((d) => d.inRange)!.date : v.anchor.slice(0, 7);
  const week = v.view === 'week';
  const cells = v.days.map(({ date, inRange }) => {
    const posts = byDay.get(date) ?? [];
    const problems = v.problemsByDay.get(date) ?? [];
    const runnable = week && viewer.mayAct && date >= v.today && posts.some((p) => p.planned && !p.live);
    return html`<section
      class="day${inRange ? '' : ' other'}${date === v.today ? ' today' : ''}${posts.length ? '' : ' empty'}"
      data-date="${date}"
    >
      <div class="num">
        <span>${DateTime.fromISO(date).toFormat(week ? 'ccc d LLL' : 'ccc d')}</span>${
          problems.length
            ? html`<a
                class="problem"
                href="/calendars#d-${date}"
                title="${problems.map((p) => `${p.file}:${p.line}: ${p.message}`).join('\n')}"
                >⚠ ${problems.length}</a
              >`
            : ''
        }
      </div>
      ${posts.map((p) => postChip(p, week))}${
        runnable
          ? html`<form
              method="post"
              action="/actions/run-day"
              data-confirm="Plan ${date} now and start its posts?"
            >
              ${csrfField(viewer)}<input type="hidden" name="date" value="${date}" /><button
                class="secondary"
              >
                Run this day now
              </button>
            </form>`
          : ''
      }
    </section>`;
  });
  return page(
    v.title,
    viewer,
    html`<h1>${v.title}</h1>
      <div class="toolbar">
        ${nav(v.prev, '‹ Previous')}${nav(v.next, 'Next ›')}<a
          class="button secondary"
          href="/?view=${other}&${other}=${otherAnchor}"
          >${other === 'week' ? 'Week view' : 'Month view'}</a
        >
      </div>
      ${filterBar(v.view, v.anchor, v.filters, v.options)}
      <div class="${v.view}">
        ${week ? '' : ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].map((d) => html`<div class="dow">${d}</div>`)}${cells}
      </div>`,
  );
}

/** Caption length against the channel's limit, counted the channel's way (the channel table). */
function captionMeter(channel: Channel, text: string): Html {
  const limit = CHANNEL_TABLE[channel].caption.maxLength;
  const length = captionLength(channel, text);
  return html`<span class="${length > limit ? 'over' : 'muted'}"
    >${length} / ${limit}${channel === 'x' ? ' (weighted)' : ''}</span
  >`;
}

function publishResult(p: NonNullable<PostState['publishes'][Channel]> | undefined): Html {
  if (!p) return html`<p class="muted">not published yet</p>`;
  return html`<p>
      ${stageBadge(p.status === 'published' ? 'published' : p.status === 'failed' ? 'awaiting-replay' : p.status)}
      ${p.status}${
        p.url
          ? html` · <a href="${safeUrl(p.url)}" rel="noopener noreferrer" target="_blank">open the post</a>`
          : ''
      }${p.remoteId ? html` <span class="muted">${p.remoteId}</span>` : ''}
      <span class="muted">(${p.attempts} attempt${p.attempts === 1 ? '' : 's'})</span>
    </p>
    ${p.reason ? html`<p class="over">${p.reason}</p>` : ''}`;
}

/** What a rendition's Content Credentials tell the people who see it, in their words. */
function credentialsNote(c: RenditionCredentials | undefined): Html | string {
  if (!c) return '';
  return html`<p class="credentials" data-credentials>
    Content Credentials: labelled as made with AI, signed by
    ${c.signedBy.name}${
      c.signedBy.development
        ? html` <span class="over"
            >(the development certificate: viewers show it as untrusted; set the team's certificate, see
            <code>reelcast provenance init</code>)</span
          >`
        : ''
    }${c.disclosure ? ', with the AI disclosure of the caption' : ''}
  </p>`;
}

export function postPage(
  viewer: Viewer,
  d: PostDetail,
  fallbackStage: string | undefined,
  audit: AuditEntry[],
  credentials: Partial<Record<Channel, RenditionCredentials>> = {},
): Html {
  const spec = d.spec;
  const state = d.state;
  const stage = state?.stage ?? fallbackStage ?? (d.running ? 'planned' : 'closed');
  const channels = (spec?.channels ?? (Object.keys(state?.renditions ?? {}) as Channel[])) as Channel[];
  const actions: Html[] = [];
  const post = { post: d.postId };
  if (viewer.mayAct && d.running && stage === 'awaiting-approval') {
    actions.push(
      actionForm(viewer, 'approve', post, 'Approve'),
      actionForm(viewer, 'reject', post, 'Reject', { reason: 'Reason for rejecting' }),
    );
  }
  if (viewer.mayAct && d.running && stage === 'held') {
    actions.push(
      actionForm(viewer, 'release', post, 'Release over the content gate', {
        confirm: 'Publish this clip although the content gate held it? Your name and the time are recorded.',
      }),
      actionForm(viewer, 'reject', post, 'Reject', { reason: 'Reason for rejecting' }),
    );
  }
  if (viewer.mayAct && d.running && stage === 'awaiting-replay') {
    const failed = channels.filter((c) => state?.publishes[c]?.status !== 'published');
    if (Object.keys(state?.renditions ?? {}).length > 0)
      for (const c of failed)
        actions.push(actionForm(viewer, 'replay', { ...post, channel: c }, `Replay ${c}`));
    actions.push(
      actionForm(viewer, 'close', post, 'Close', {
        reason: 'Reason for closing',
        confirm: 'Give up on this post? It will not be published.',
      }),
    );
  }
  const percent = Number.isFinite(d.progressPercent) ? d.progressPercent! : 0;
  return page(
    d.postId,
    viewer,
    html`<h1>
        ${spec?.campaignName ?? d.postId.split('/')[0]}
        <span class="muted">${spec ? html`${spec.date} ${zoneTime(spec)}` : ''}</span>
      </h1>
      <div class="card" id="progress" data-post="${d.running ? d.postId : ''}" data-stage="${stage}">
        <p>${stageBadge(stage)} <span class="muted">${d.postId}</span></p>
        ${state?.reason ? html`<p class="${stage === 'awaiting-replay' || stage === 'expired' ? 'over' : ''}">${state.reason}</p>` : ''}
        ${d.running && (stage === 'generating' || stage === 'transcoding') ? html`<progress max="100" value="${Math.round(percent)}"></progress>` : ''}
        <div class="muted" data-detail>${d.progressDetail ?? ''}</div>
        ${actions.length ? html`<div class="actions">${actions}</div>` : ''}
        ${state?.approval ? html`<p class="muted">Approval: ${state.approval.decision}${state.approval.by ? ` by ${state.approval.by}` : ''}${state.approval.reason ? `: ${state.approval.reason}` : ''}</p>` : ''}
      </div>
      ${state?.safety ? gateCard(d.postId, state.safety) : ''}
      <h2>Channels</h2>
      <div class="channels">
        ${channels.map((c) => {
          const r = state?.renditions[c];
          const caption = spec?.captions[c] ?? '';
          return html`<section class="card" data-channel="${c}">
            <h3>${c}</h3>
            ${
              r
                ? html`<video
                      controls
                      preload="metadata"
                      playsinline
                      poster="${mediaHref(d.postId, c, 'poster')}"
                      src="${mediaHref(d.postId, c, 'video')}"
                    ></video>
                    <p>
                      <a href="${mediaHref(d.postId, c, 'preview')}" target="_blank">animated preview</a>
                    </p>
                    ${credentialsNote(credentials[c])}`
                : html`<p class="muted">no video yet</p>`
            }
            <p>Caption ${captionMeter(c, caption)}</p>
            <pre class="text caption">${caption}</pre>
            ${publishResult(state?.publishes[c])}
          </section>`;
        })}
      </div>
      ${
        spec
          ? html`<h2>Prompt</h2>
              <pre class="text prompt">${spec.prompt}</pre>
              <h2>Negative prompt</h2>
              <pre class="text">${spec.negativePrompt}</pre>`
          : ''
      }
      <h2>Timeline</h2>
      ${
        d.timeline.length
          ? html`<ol>
              ${d.timeline.map((t) => html`<li>${stageBadge(t.stage)} <time datetime="${t.at.toISOString()}">${t.at.toISOString().replace('T', ' ').slice(0, 19)} UTC</time></li>`)}
            </ol>`
          : html`<p class="muted">not started yet</p>`
      }
      <h2>Audit trail</h2>
      ${
        audit.length
          ? html`<table>
              <thead>
                <tr>
                  <th>When (UTC)</th>
                  <th>Who</th>
                  <th>What</th>
                  <th>Outcome</th>
                </tr>
              </thead>
              <tbody>
                ${audit.map(
                  (a) =>
                    html`<tr>
                      <td>${a.at.replace('T', ' ').slice(0, 19)}</td>
                      <td>${a.user} <span class="muted">(${a.role})</span></td>
                      <td>${a.action}${a.detail ? html`: ${a.detail}` : ''}</td>
                      <td>${a.outcome}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
          : html`<p class="muted">nobody acted on this post in Studio yet</p>`
      }`,
  );
}

const GATE_CLASSES = ['Porn', 'Hentai', 'Sexy', 'Drawing', 'Neutral'] as const;

/** The content gate's verdict: each class's highest score against its threshold, and the tripping frame. */
function gateCard(postId: string, g: NonNullable<PostDetail['state']>['safety'] & object): Html {
  const trip = g.trip;
  return html`<h2>Content gate</h2>
    <div class="card" id="gate" data-passed="${g.passed ? 'yes' : 'no'}">
      <p>
        ${g.passed ? 'Passed' : html`<span class="over">Held</span>`}
        <span class="muted"
          >${g.classifier}, ${g.frames} sampled frames, checked
          ${g.createdAt}${g.reused ? ' (stored check reused)' : ''}</span
        >
      </p>
      <ul class="gate-scores">
        ${GATE_CLASSES.map((c) => {
          const threshold = g.thresholds[c.toLowerCase() as keyof typeof g.thresholds];
          const score = g.peak[c] ?? 0;
          const over = threshold < 1 && score >= threshold;
          return html`<li data-class="${c}">
            ${c}: highest score <span class="${over ? 'over' : ''}">${score.toFixed(3)}</span>, threshold
            ${threshold >= 1 ? 'off' : String(threshold)}
          </li>`;
        })}
      </ul>
      ${
        trip
          ? html`<p>
                Tripped by ${trip.className} ${trip.score.toFixed(3)} (threshold ${String(trip.threshold)}) at
                ${trip.atSeconds.toFixed(2)} s <span class="muted">${trip.frameKey}</span>
              </p>
              <img
                class="gate-frame"
                src="/gate-frame?post=${encodeURIComponent(postId)}"
                alt="the frame that tripped the content gate"
              />`
          : ''
      }
      ${g.override ? html`<p class="muted">Released over the content gate by ${g.override.by ?? 'someone'} at ${g.override.at}</p>` : ''}
    </div>`;
}

/** A button that posts one action, with its hidden fields, the CSRF token and a reason if asked. */
function actionForm(
  viewer: Viewer,
  action: string,
  fields: Record<string, string>,
  label: string,
  opts: { reason?: string; confirm?: string } = {},
): Html {
  return html`<form
    method="post"
    action="/actions/${action}"
    ${opts.confirm ? html`data-confirm="${opts.confirm}"` : ''}
  >
    ${csrfField(viewer)}${Object.entries(fields).map(
      ([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`,
    )}${
      opts.reason
        ? html`<input
            type="text"
            name="reason"
            placeholder="why (required)"
            required
            aria-label="${opts.reason}"
          />`
        : ''
    }<button class="${opts.reason ? 'danger' : ''}">${label}</button>
  </form>`;
}

export function failuresPage(viewer: Viewer, rows: FailureRow[]): Html {
  const sorted = [...rows].sort((a, b) => (b.since?.getTime() ?? 0) - (a.since?.getTime() ?? 0));
  return page(
    'Failures',
    viewer,
    html`<h1>Failures</h1>
      ${
        sorted.length === 0
          ? html`<p>No post is waiting for a replay.</p>`
          : html`<p class="muted">
                Newest first. Fix what the reason says, then replay; or close a post you give up on.
              </p>
              <table>
                <thead>
                  <tr>
                    <th>Post</th>
                    <th>Channel</th>
                    <th>Reason and what to do</th>
                    <th>Age</th>
                    <th></th>
                  </tr>
                </thead>
                <tbody>
                  ${sorted.map(
                    (r) =>
                      html`<tr>
                        <td><a href="${postHref(r.postId)}">${r.postId}</a></td>
                        <td>${r.channel}</td>
                        <td class="reason">${r.reason}</td>
                        <td>${r.age}</td>
                        <td>
                          ${
                            viewer.mayAct && r.channel !== '-'
                              ? html`<form method="post" action="/actions/replay">
                                  ${csrfField(viewer)}<input
                                    type="hidden"
                                    name="post"
                                    value="${r.postId}"
                                  /><input type="hidden" name="channel" value="${r.channel}" /><input
                                    type="hidden"
                                    name="back"
                                    value="/failures"
                                  /><button>Replay ${r.channel}</button>
                                </form>`
                              : r.held
                                ? html`<a href="${postHref(r.postId)}"
                                    >look at the frame, then release or reject</a
                                  >`
                                : r.channel === '-'
                                  ? html`<span class="muted"
                                      >no video to replay: fix the cause and run the day again</span
                                    >`
                                  : ''
                          }
                        </td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
      }`,
  );
}

export interface CalendarsView {
  problems: DayProblem[];
  problemsByDay: Map<string, DayProblem[]>;
  range: { from: string; to: string };
  coming: CalendarPost[];
  campaigns: Array<{ id: string; name: string; calendar: string; paused: boolean }>;
}

export function calendarsPage(viewer: Viewer, v: CalendarsView): Html {
  const problemRow = (p: DayProblem) =>
    html`<li>
      <code>${p.file}:${p.line}:${p.col}</code>
      ${p.severity === 'warning' ? html`<span class="stage s-paused">warning</span>` : html`<span class="stage s-awaiting-replay">error</span>`}
      ${p.message}
    </li>`;
  const days = [...v.problemsByDay].sort(([a], [b]) => a.localeCompare(b));
  return page(
    'Calendars',
    viewer,
    html`<h1>Calendars</h1>
      <p class="muted">
        The calendar files under version control are the source of truth; Studio reads them. Checked from
        ${v.range.from} to ${v.range.to}, as <code>reelcast validate</code> does.
      </p>
      <h2>Problems</h2>
      ${
        v.problems.length === 0 && days.length === 0
          ? html`<p>No problems found.</p>`
          : html`<ul>
                ${v.problems.map(problemRow)}
              </ul>
              ${days.map(
                ([date, list]) =>
                  html`<h3 id="d-${date}">${date}</h3>
                    <ul>
                      ${list.map(problemRow)}
                    </ul>`,
              )}`
      }
      <h2>Campaigns</h2>
      <table>
        <thead>
          <tr>
            <th>Campaign</th>
            <th>Calendar</th>
            <th>State</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          ${v.campaigns.map(
            (c) =>
              html`<tr>
                <td>${c.name} <span class="muted">${c.id}</span></td>
                <td>${c.calendar}</td>
                <td>${c.paused ? stageBadge('paused') : 'active'}</td>
                <td>
                  ${
                    viewer.mayAct
                      ? html`<form
                          method="post"
                          action="/actions/${c.paused ? 'resume' : 'pause'}"
                          ${c.paused ? '' : raw(' data-confirm="Hold every pending post of this campaign?"')}
                        >
                          ${csrfField(viewer)}<input type="hidden" name="campaign" value="${c.id}" /><input
                            type="hidden"
                            name="back"
                            value="/calendars"
                          /><button class="${c.paused ? '' : 'secondary'}">
                            ${c.paused ? 'Resume' : 'Pause'}
                          </button>
                        </form>`
                      : ''
                  }
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
      <h2>Coming days</h2>
      ${
        v.coming.length === 0
          ? html`<p>No posts planned in the coming days.</p>`
          : html`<table>
              <thead>
                <tr>
                  <th>Date</th>
                  <th>Time</th>
                  <th>Campaign</th>
                  <th>Channels</th>
                  <th>Stage</th>
                </tr>
              </thead>
              <tbody>
                ${v.coming.map(
                  (p) =>
                    html`<tr>
                      <td>${p.date}</td>
                      <td>${zoneTime(p)}</td>
                      <td><a href="${postHref(p.postId)}">${p.campaignName ?? p.campaign}</a></td>
                      <td>${p.channels.join(', ')}</td>
                      <td>${stageBadge(p.stage)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }`,
  );
}
