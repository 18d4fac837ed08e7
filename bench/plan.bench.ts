/**
 * Plan benchmark: one year of 100 campaigns x 3 slots x 3 channels (about 110,000 posts, each
 * with a prompt, a negative prompt and three captions rendered, linted and length-checked).
 *
 * Run: make bench NAME=plan   (scripts/bench.sh compiles bench/ and runs it with the pinned Node)
 *
 * Baseline, measured in the same run: rendering the same number of templates with bare
 * Handlebars (no calendar rules, time zones, overlaps, lint or caption checks), as the plan did
 * before templates were compiled to closures. The ratio says what the whole plan costs against
 * producing its text the plain way. Prints; never asserts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Handlebars from 'handlebars';
import { loadWorkspace, planWorkspace, type PostSpec } from '../activities/calendar';
import { renderTable } from '../cli/commands/preview';

const CAMPAIGNS = 100;
const SLOTS = 3;
const CHANNELS = ['x', 'reels', 'tiktok'];
const ZONES = ['Asia/Shanghai', 'America/New_York', 'Europe/Berlin', 'Asia/Tokyo'];
const FROM = '2027-01-01';
const TO = '2027-12-31';

const TEMPLATES: Record<string, string> = {
  'negative.hbs': 'blurry, low resolution, watermark, text overlay, flickering, jittery motion',
  'styles/cinematic.hbs': 'cinematic lighting, shallow depth of field, smooth dolly camera move',
  'bench/prompt.hbs': '{{product}}, {{action}}, {{scene}}, {{> style}}',
  'bench/caption.hbs':
    '{{variant "New today:" "Just in:" "Meet"}} {{productName}}, {{formatDate "cccc, LLL d"}}. {{hashtags tags}}',
  'bench/caption.x.hbs': '{{variant "New today:" "Just in:" "Meet"}} {{productName}} {{hashtags tags}}',
};

export function writeWorkspace(): { root: string; calendarsDir: string; templatesDir: string } {
  const root = mkdtempSync(join(tmpdir(), 'reelcast-plan-bench-'));
  const write = (path: string, text: string): void => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  for (const [name, text] of Object.entries(TEMPLATES)) write(`templates/${name}`, text);
  const perCalendar = CAMPAIGNS / ZONES.length;
  ZONES.forEach((zone, z) => {
    const campaigns: string[] = [];
    for (let i = 0; i < perCalendar; i++) {
      const n = z * perCalendar + i;
      // Distinct wall times between 06:00 and 22:59 (no DST gap), a few shared on purpose.
      const slots = Array.from(
        { length: SLOTS },
        (_, s) =>
          `      - { id: s${s}, time: "${String(6 + ((n + s * 6) % 17)).padStart(2, '0')}:${String((n * 7) % 60).padStart(2, '0')}" }`,
      );
      campaigns.push(
        [
          `  - id: campaign-${n}`,
          '    when: [{ weekdays: [mon, tue, wed, thu, fri, sat, sun] }]',
          '    slots:',
          ...slots,
          `    priority: ${n % 5}`,
          '    template: bench',
          '    style: cinematic',
          '    variables:',
          `      product: a white wireless earbud case number ${n}`,
          '      action: pops open and rotates slowly',
          '      scene: blue-purple gradient background, tech feel',
          `      productName: Pulse Buds ${n}`,
          '      tags: [PulseBuds, deals]',
        ].join('\n'),
      );
    }
    write(
      `calendars/bench-${z}.yaml`,
      [
        `id: bench-${z}`,
        `zone: ${zone}`,
        'locale: en-US',
        `defaults: { channels: [${CHANNELS.join(', ')}] }`,
        'campaigns:',
        ...campaigns,
        '',
      ].join('\n'),
    );
  });
  return { root, calendarsDir: join(root, 'calendars'), templatesDir: join(root, 'templates') };
}

/** Wall time, and CPU time of this process: on a shared machine the CPU time moves less. */
function time<T>(fn: () => T): { ms: number; cpuMs: number; value: T } {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const value = fn();
  const used = process.cpuUsage(cpu);
  return {
    ms: Number(process.hrtime.bigint() - start) / 1e6,
    cpuMs: (used.user + used.system) / 1000,
    value,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function bareRender(posts: number): number {
  const env = Handlebars.create();
  env.registerPartial('style', TEMPLATES['styles/cinematic.hbs']);
  env.registerHelper('variant', (...args: unknown[]) => String(args[0]));
  env.registerHelper('formatDate', () => 'Friday, Jan 1');
  env.registerHelper('hashtags', () => '#PulseBuds #deals');
  const parts = [
    'bench/prompt.hbs',
    'negative.hbs',
    'bench/caption.hbs',
    'bench/caption.hbs',
    'bench/caption.x.hbs',
  ].map((k) => env.compile(TEMPLATES[k], { strict: true, noEscape: true }));
  const context = {
    product: 'a white wireless earbud case',
    action: 'pops open',
    scene: 'gradient',
    productName: 'Pulse Buds',
    tags: ['a'],
    channel: 'x',
  };
  let chars = 0;
  for (let i = 0; i < posts; i++) for (const render of parts) chars += render({ ...context, i }).length;
  return chars;
}

function main(): void {
  const dirs = writeWorkspace();
  const load = time(() =>
    loadWorkspace({ calendarsDir: dirs.calendarsDir, templatesDir: dirs.templatesDir }),
  );
  const ws = load.value;
  const runs: Array<{ ms: number; cpuMs: number }> = [];
  let first = { ms: 0, cpuMs: 0 };
  let posts = 0;
  let lastPosts: PostSpec[] = [];
  let problems = 0;
  for (let run = 0; run < 6; run++) {
    const r = time(() => planWorkspace(ws, FROM, TO));
    // The first run is what one `reelcast preview` pays: the JIT and the zone caches are cold.
    if (run === 0) first = r;
    else runs.push(r);
    posts = r.value.posts.length;
    lastPosts = r.value.posts;
    problems = r.value.problems.filter((p) => p.severity === 'error').length;
  }
  const baselineRuns: Array<{ ms: number; cpuMs: number }> = [];
  for (let run = 0; run < 4; run++) {
    const r = time(() => bareRender(posts));
    if (run > 0) baselineRuns.push(r);
  }
  // What `reelcast preview` adds to the plan: the table of every post, timed warm (third run).
  const tables = [0, 1, 2].map(() => time(() => renderTable(lastPosts)));
  const table = tables[tables.length - 1];
  const plan = { ms: median(runs.map((r) => r.ms)), cpuMs: median(runs.map((r) => r.cpuMs)) };
  const baseline = {
    ms: median(baselineRuns.map((r) => r.ms)),
    cpuMs: median(baselineRuns.map((r) => r.cpuMs)),
  };
  const [load1] = loadavg();
  const lines = [
    `plan ${FROM}..${TO}: ${CAMPAIGNS} campaigns x ${SLOTS} slots x ${CHANNELS.length} channels in ${ZONES.length} zones`,
    `  machine: ${cpus().length} cores, load average ${load1.toFixed(1)} (wall times stretch with load; CPU times less)`,
    `  posts planned:             ${posts} (${problems} errors)`,
    `  load (YAML+schema+tmpl):   ${load.ms.toFixed(0)} ms wall, ${load.cpuMs.toFixed(0)} ms CPU (once per command; not the plan)`,
    `  plan, first run (cold):    ${first.ms.toFixed(0)} ms wall, ${first.cpuMs.toFixed(0)} ms CPU`,
    `  plan, median of ${runs.length} (warm):  ${plan.ms.toFixed(0)} ms wall, ${plan.cpuMs.toFixed(0)} ms CPU (${((plan.cpuMs * 1000) / posts).toFixed(1)} us CPU/post); wall runs ${runs.map((r) => r.ms.toFixed(0)).join(', ')}`,
    `  baseline, bare render:     ${baseline.ms.toFixed(0)} ms wall, ${baseline.cpuMs.toFixed(0)} ms CPU (${posts} x 5 templates with Handlebars, no calendar logic)`,
    `  ratio plan / baseline:     ${(plan.cpuMs / baseline.cpuMs).toFixed(2)}x CPU, ${(plan.ms / baseline.ms).toFixed(2)}x wall`,
    `  preview table of the year: ${table.ms.toFixed(0)} ms wall (${(table.value.length / 1e6).toFixed(1)} MB of text; ${(table.ms / plan.ms).toFixed(2)}x the warm plan)`,
    `  target plan < 1 s:         warm ${plan.ms < 1000 ? 'met' : 'not met'} (${plan.ms.toFixed(0)} ms), cold ${first.ms < 1000 ? 'met' : 'not met'} (${first.ms.toFixed(0)} ms); with loading ${(load.ms + first.ms).toFixed(0)} ms`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  rmSync(dirs.root, { recursive: true, force: true });
}

if (require.main === module) main();
