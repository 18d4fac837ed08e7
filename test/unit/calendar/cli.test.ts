import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Platform } from '../../../activities/publish/accounts';
import { TokenStore } from '../../../activities/publish/tokens/store';
import { FsStorage } from '../../../activities/storage';
import { buildProgram } from '../../../cli/main';
import { displayWidth, renderTable, runPreview } from '../../../cli/commands/preview';
import { calendarYaml, campaignYaml, makeFixture } from './workspace-fixture';

const ROOT = join(__dirname, '..', '..', '..');
const ok = campaignYaml('promo', '      - dates: [2027-04-01, 2027-04-02]', '    channels: [x, reels]');

/** Runs `reelcast <args>` with the calendars and templates folders taken from the environment. */
async function reelcast(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; out: string; err: string }> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  const out: string[] = [];
  const err: string[] = [];
  const outSpy = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk) => out.push(String(chunk)) > 0);
  const errSpy = jest
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk) => err.push(String(chunk)) > 0);
  process.exitCode = undefined;
  try {
    // Commander would call process.exit on a usage error; make it throw instead.
    const program = (await buildProgram()).exitOverride();
    for (const command of program.commands) command.exitOverride();
    await program.parseAsync(['node', 'reelcast', ...args]);
    return { code: Number(process.exitCode ?? 0), out: out.join(''), err: err.join('') };
  } finally {
    outSpy.mockRestore();
    errSpy.mockRestore();
    process.exitCode = undefined;
    process.env = saved;
  }
}

describe('reelcast validate with live delivery: the accounts the calendars name', () => {
  test('an account nobody connected is an error at the calendar line that names it; a connected one is not', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'reelcast-validate-live-'));
    const env = {
      REELCAST_DELIVERY: 'live',
      REELCAST_STORAGE: 'fs',
      REELCAST_DATA_DIR: dataDir,
      REELCAST_CALENDARS_DIR: join(ROOT, 'calendars'),
      REELCAST_TEMPLATES_DIR: join(ROOT, 'templates'),
    };
    const args = [
      'validate',
      join(ROOT, 'calendars', 'japan.yaml'),
      '--from',
      '2027-03-20',
      '--to',
      '2027-03-21',
    ];
    const before = await reelcast(args, env);
    expect(before.code).toBe(1);
    expect(before.out).toMatch(
      /japan\.yaml:\d+:\d+: campaign "sakura-shiba" posts to tiktok as tiktok account "jp-main", which nobody has connected; connect it \(`reelcast channels connect tiktok --account jp-main`\)/,
    );

    // Connect every account the Japan calendar names: nothing is left to report.
    const store = new TokenStore(new FsStorage(join(dataDir, 'storage')));
    for (const [platform, account] of [...before.out.matchAll(/as (\w+) account "([\w-]+)"/g)].map((m) => [
      m[1],
      m[2],
    ]))
      await store.save({
        platform: platform as Platform,
        account,
        accessToken: 'token',
        accessSecret: platform === 'x' ? 'secret' : undefined,
        scopes: [],
        connectedAt: new Date().toISOString(),
      });
    const after = await reelcast(args, env);
    expect(after.out).not.toContain('which nobody has connected');
    expect(after.code).toBe(0);
  });
});

describe('reelcast validate and preview from the command line', () => {
  test('validate reads calendarsDir and templatesDir from the config and exits 1 with file:line:col lines', async () => {
    const fx = makeFixture({ 'test.yaml': calendarYaml(ok.replace('"12:00"', '"12:75"')) });
    const env = { REELCAST_CALENDARS_DIR: fx.calendarsDir, REELCAST_TEMPLATES_DIR: fx.templatesDir };
    const result = await reelcast(['validate', '--from', '2027-01-01'], env);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(
      new RegExp(
        `^${fx.shown('calendars/test.yaml').replace(/[.]/g, '\\.')}:11:27: campaigns\\[0\\]\\.slots\\[0\\]\\.time is "12:75"`,
      ),
    );
    expect(result.err).toContain('1 error(s)');
  });

  test('preview prints a table: local time, UTC, campaign, channels, prompt start, caption length', async () => {
    const fx = makeFixture({ 'test.yaml': calendarYaml(ok) });
    const env = { REELCAST_CALENDARS_DIR: fx.calendarsDir, REELCAST_TEMPLATES_DIR: fx.templatesDir };
    const result = await reelcast(['preview', '--from', '2027-04-01', '--to', '2027-04-02'], env);
    expect(result.code).toBe(0);
    const lines = result.out.trimEnd().split('\n');
    expect(lines[0].split(/\s{2,}/)).toEqual([
      'local time',
      'UTC',
      'campaign',
      'channels',
      'prompt',
      'caption',
    ]);
    expect(lines[2].split(/\s{2,}/)).toEqual([
      '2027-04-01 12:00 Asia/Shanghai',
      '2027-04-01 04:00',
      'promo',
      'x,reels',
      'a Shiba Inu running through a sakura fo…',
      'x 22/280, reels 22/2200',
    ]);
    expect(lines).toHaveLength(4);
  });

  test('preview --json prints the posts as the workflows get them', async () => {
    const fx = makeFixture({ 'test.yaml': calendarYaml(ok) });
    const env = { REELCAST_CALENDARS_DIR: fx.calendarsDir, REELCAST_TEMPLATES_DIR: fx.templatesDir };
    const posts = JSON.parse((await reelcast(['preview', '--from', '2027-04-01', '--json'], env)).out);
    expect(posts).toEqual([
      expect.objectContaining({
        postId: 'promo/2027-04-01/noon',
        publishAt: '2027-04-01T04:00:00.000Z',
        captions: { x: 'Spring is here #spring', reels: 'Spring is here #spring' },
      }),
    ]);
  });

  test('preview of calendars with errors prints them and exits 1 instead of a misleading table', () => {
    const fx = makeFixture({ 'test.yaml': calendarYaml(ok.replace('template: promo', 'template: nope')) });
    const out: string[] = [];
    const err: string[] = [];
    const code = runPreview(
      { from: '2027-04-01', to: '2027-04-02', calendarsDir: fx.calendarsDir, templatesDir: fx.templatesDir },
      { out: (l) => out.push(l), err: (l) => err.push(l) },
    );
    expect({ code, out }).toEqual({ code: 1, out: [] });
    expect(err[0]).toMatch(/test\.yaml:12:15: campaign "promo": no template folder "nope"/);
  });

  test('a date that is not YYYY-MM-DD is refused with the expected form', async () => {
    await expect(reelcast(['preview', '--from', '2027-4-1'], {})).rejects.toMatchObject({
      code: 'commander.invalidArgument',
      message: expect.stringMatching(/write YYYY-MM-DD/),
    });
  });

  test('preview --json of more than a thousand posts is one JSON array holding every planned post', async () => {
    const daily = campaignYaml('promo', '      - weekdays: [mon, tue, wed, thu, fri, sat, sun]');
    const fx = makeFixture({ 'test.yaml': calendarYaml(daily) });
    const env = { REELCAST_CALENDARS_DIR: fx.calendarsDir, REELCAST_TEMPLATES_DIR: fx.templatesDir };
    const result = await reelcast(['preview', '--from', '2027-01-01', '--to', '2029-12-31', '--json'], env);
    const posts = JSON.parse(result.out) as Array<{ postId: string }>;
    expect(posts).toHaveLength(1096);
    expect(posts).toEqual(JSON.parse(JSON.stringify(fx.plan('2027-01-01', '2029-12-31').posts)));
    expect(posts[1000].postId).toBe('promo/2029-09-27/noon');
  });

  test('a table of a quarter of a million posts (years of a large calendar) prints instead of crashing', () => {
    const post = (i: number): unknown => ({
      date: '2027-02-03',
      localTime: '09:00',
      zone: 'Asia/Shanghai',
      publishAt: '2027-02-03T01:00:00.000Z',
      campaign: `campaign-${i % 300}`,
      channels: ['reels'],
      prompt: `a white wireless earbud case number ${i % 300} pops open and rotates`,
      captions: { reels: 'New today' },
    });
    const rows = 250_000;
    const table = renderTable(Array.from({ length: rows }, (_, i) => post(i)) as never);
    const lines = table.split('\n');
    expect(lines).toHaveLength(rows + 2);
    expect(lines[rows + 1]).toContain('campaign-99 ');
  });

  test('the table lines up emoji and accented prompts too', () => {
    const post = (campaign: string, prompt: string): unknown => ({
      date: '2027-02-03',
      localTime: '09:00',
      zone: 'Europe/Berlin',
      publishAt: '2027-02-03T08:00:00.000Z',
      campaign,
      channels: ['x'],
      prompt,
      captions: { x: 'hi' },
    });
    const table = renderTable([
      post('a', '🎆 fireworks'),
      post('b', 'cafe\u0301 au lait'),
      post('c', 'plain words'),
    ] as never);
    const [, , emoji, accented, plain] = table.split('\n');
    // Counted independently: 🎆 is two UTF-16 units and two columns; e + U+0301 is two units and
    // one column. So the caption column starts at these string offsets when it lines up.
    const at = (row: string): number => row.indexOf('x 2/280');
    expect(at(emoji)).toBe(at(plain));
    expect(at(accented)).toBe(at(plain) + 1);
  });

  test('the table lines up Chinese text (two columns a character)', () => {
    const table = renderTable([
      {
        date: '2027-02-03',
        localTime: '09:00',
        zone: 'Asia/Shanghai',
        publishAt: '2027-02-03T01:00:00.000Z',
        campaign: 'a',
        channels: ['x'],
        prompt: '红包雨飘落',
        captions: { x: '红包' },
      },
      {
        date: '2027-02-03',
        localTime: '20:00',
        zone: 'Asia/Shanghai',
        publishAt: '2027-02-03T12:00:00.000Z',
        campaign: 'b',
        channels: ['x'],
        prompt: 'red envelopes',
        captions: { x: 'hi' },
      },
    ] as never);
    const [, , first, second] = table.split('\n');
    // The caption column starts at the same terminal column in both rows.
    expect(displayWidth(first.slice(0, first.indexOf('x 4/280')))).toBe(
      displayWidth(second.slice(0, second.indexOf('x 2/280'))),
    );
    expect(first.indexOf('x 4/280')).toBeLessThan(second.indexOf('x 2/280'));
  });
});
