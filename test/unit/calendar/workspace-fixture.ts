import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadWorkspace, planWorkspace, type Plan } from '../../../activities/calendar';
import { displayPath } from '../../../activities/calendar/source';

/**
 * A throwaway calendars + templates folder. Files are given as path → text, so each test shows
 * the exact YAML a marketing person would write, and the line numbers errors must point at.
 */
export interface Fixture {
  root: string;
  calendarsDir: string;
  templatesDir: string;
  /** The path as problems show it (relative to the working directory when inside it). */
  shown(path: string): string;
  /** `blocked.txt` in the fixture root, when the test wrote one. */
  blockedTermsFile?: string;
  plan(from: string, to: string): Plan;
}

export const BASE_TEMPLATES: Record<string, string> = {
  'negative.hbs': 'blurry, low quality, watermark',
  'styles/cinematic.hbs': 'cinematic lighting, shallow depth of field',
  'styles/ink-wash.hbs': 'ink wash painting style',
  'promo/prompt.hbs':
    '{{subject}} running through a sakura forest, spring afternoon sun, anime style, {{> style}}',
  'promo/caption.hbs': '{{headline}} {{hashtags tags}}',
};

const roots: string[] = [];
afterAll(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

export function makeFixture(
  calendars: Record<string, string>,
  templates: Record<string, string> = {},
  extra: Record<string, string> = {},
): Fixture {
  const root = mkdtempSync(join(tmpdir(), 'reelcast-calendar-'));
  roots.push(root);
  const calendarsDir = join(root, 'calendars');
  const templatesDir = join(root, 'templates');
  mkdirSync(calendarsDir, { recursive: true });
  mkdirSync(templatesDir, { recursive: true });
  const write = (base: string, files: Record<string, string>): void => {
    for (const [name, text] of Object.entries(files)) {
      const path = join(base, name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    }
  };
  write(calendarsDir, calendars);
  write(templatesDir, { ...BASE_TEMPLATES, ...templates });
  write(root, extra);
  return {
    root,
    calendarsDir,
    templatesDir,
    shown: (path) => displayPath(join(root, path)),
    blockedTermsFile: existsSync(join(root, 'blocked.txt')) ? join(root, 'blocked.txt') : undefined,
    plan(from, to) {
      return planWorkspace(
        loadWorkspace({ calendarsDir, templatesDir, blockedTermsFile: this.blockedTermsFile }),
        from,
        to,
      );
    },
  };
}

/** A small valid calendar; `campaigns` is the YAML under `campaigns:` (indented two spaces). */
export function calendarYaml(
  campaigns: string,
  head: Partial<Record<'zone' | 'locale' | 'holidays' | 'extra', string>> = {},
): string {
  return [
    'id: test',
    `zone: ${head.zone ?? 'Asia/Shanghai'}`,
    `locale: ${head.locale ?? 'en-US'}`,
    ...(head.holidays ? [head.holidays] : []),
    ...(head.extra ? [head.extra] : []),
    'defaults:',
    '  channels: [x]',
    'campaigns:',
    campaigns,
  ].join('\n');
}

/** One campaign, with the `when:` rules given as YAML lines (indented six spaces). */
export function campaignYaml(id: string, when: string, more = ''): string {
  return [
    `  - id: ${id}`,
    '    when:',
    when,
    '    slots:',
    '      - { id: noon, time: "12:00" }',
    '    template: promo',
    '    style: cinematic',
    '    variables:',
    '      subject: a Shiba Inu',
    '      headline: Spring is here',
    '      tags: [spring]',
    ...(more ? [more] : []),
  ].join('\n');
}

export function datesOf(plan: Plan, campaign?: string): string[] {
  return plan.posts.filter((p) => !campaign || p.campaign === campaign).map((p) => p.date);
}
