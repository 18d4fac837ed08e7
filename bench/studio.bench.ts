/**
 * Studio benchmark: server time to render a month of 1,000 posts as the calendar page, against
 * serialising the same posts as JSON in the same run (the least a server could do with them).
 * Prints numbers and the ratio; asserts nothing.
 *
 *   make bench NAME=studio            (BENCH_REPEAT=50 runs each, median)
 *
 * Target: the page in < 300 ms. Planning and Temporal visibility are measured by plan.bench and
 * temporal.bench; this isolates what Studio adds (merging, filtering, escaping, HTML).
 */
import type { CalendarPost } from '../studio/data';
import { calendarPage, type CalendarView } from '../studio/views';
import { datesBetween } from '../studio/data';

const REPEAT = Number(process.env.BENCH_REPEAT ?? 50);
const STAGES = [
  'planned',
  'awaiting-approval',
  'generating',
  'waiting',
  'published',
  'awaiting-replay',
  'skipped',
];

function month(posts: number): CalendarView {
  const days = datesBetween('2027-03-01', '2027-04-04');
  const list: CalendarPost[] = [];
  for (let i = 0; i < posts; i++) {
    const date = days[i % 31];
    const minute = (i * 7) % 1440;
    const localTime = `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
    list.push({
      postId: `campaign-${i % 12}/${date}/slot-${i}`,
      calendar: 'bench',
      campaign: `campaign-${i % 12}`,
      campaignName: `Spring <sale> "${i % 12}" & more`,
      date,
      localTime,
      zone: 'Asia/Tokyo',
      publishAt: `${date}T${localTime}:00.000Z`,
      channels: ['x', 'reels', 'tiktok'],
      stage: STAGES[i % STAGES.length],
      live: i % 2 === 0,
      planned: true,
    });
  }
  return {
    view: 'month',
    anchor: '2027-03',
    title: 'March 2027',
    prev: '2027-02',
    next: '2027-04',
    days: days.map((date) => ({ date, inRange: date <= '2027-03-31' })),
    posts: list,
    problemsByDay: new Map([
      ['2027-03-14', [{ file: 'a.yaml', line: 3, col: 1, severity: 'error', message: 'x' }]],
    ]),
    filters: {},
    options: {
      campaigns: [...new Set(list.map((p) => p.campaign))],
      channels: ['x', 'reels', 'tiktok'],
      stages: STAGES,
    },
    today: '2027-03-10',
  };
}

function median(samples: number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(fn: () => number): { ms: number; bytes: number } {
  let bytes = 0;
  const samples: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const start = process.hrtime.bigint();
    bytes = fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return { ms: median(samples), bytes };
}

const view = month(1000);
const viewer = { user: 'bench', role: 'editor', csrf: 'x'.repeat(43), mayAct: true };
// Warm up both (JIT), then measure.
for (let i = 0; i < 5; i++) {
  calendarPage(viewer, view);
  JSON.stringify(view.posts);
}
const page = time(() => Buffer.byteLength(calendarPage(viewer, view).text));
const json = time(() => Buffer.byteLength(JSON.stringify(view.posts)));
process.stdout.write(
  [
    `month of ${view.posts.length} posts, median of ${REPEAT} runs:`,
    `  calendar page  ${page.ms.toFixed(2)} ms  (${(page.bytes / 1024).toFixed(0)} KiB of HTML)   target < 300 ms`,
    `  JSON baseline  ${json.ms.toFixed(2)} ms  (${(json.bytes / 1024).toFixed(0)} KiB)`,
    `  ratio page / JSON: ${(page.ms / json.ms).toFixed(1)}x`,
    '',
  ].join('\n'),
);

/**
 * The post page's first byte, from a running Studio on a local dev server (`reelcast dev up`,
 * a worker, a post, `reelcast studio`): set BENCH_STUDIO_URL, BENCH_STUDIO_TOKEN (studio.token)
 * and BENCH_POST_ID. The baseline is the same server's /healthz, so the ratio is what reading
 * the post (Temporal query, ledger, storage) and rendering it add. Target: < 100 ms.
 */
async function firstByte(url: string, token: string): Promise<number> {
  const start = process.hrtime.bigint();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const reader = res.body!.getReader();
  await reader.read();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  await reader.cancel();
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return ms;
}

async function postPage(): Promise<void> {
  const base = process.env.BENCH_STUDIO_URL?.replace(/\/+$/, '');
  const token = process.env.BENCH_STUDIO_TOKEN;
  const postId = process.env.BENCH_POST_ID;
  if (!base || !token || !postId) {
    process.stdout.write('post page: skipped (set BENCH_STUDIO_URL, BENCH_STUDIO_TOKEN and BENCH_POST_ID)\n');
    return;
  }
  const page = `${base}/post?id=${encodeURIComponent(postId)}`;
  const cold = await firstByte(page, token);
  const samples: number[] = [];
  const health: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    samples.push(await firstByte(page, token));
    health.push(await firstByte(`${base}/healthz`, token));
  }
  process.stdout.write(
    [
      `post page ${postId}, median of ${REPEAT}:`,
      `  first byte  ${median(samples).toFixed(1)} ms (first request ${cold.toFixed(0)} ms)   target < 100 ms`,
      `  /healthz    ${median(health).toFixed(1)} ms`,
      `  ratio post page / healthz: ${(median(samples) / median(health)).toFixed(1)}x`,
      '',
    ].join('\n'),
  );
}

void postPage();
