import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import {
  compileTemplate,
  EMPTY,
  type CompiledTemplate,
  type CompileEnv,
} from '../../../activities/calendar/template-compiler';
import { registerHelpers } from '../../../activities/calendar/template-helpers';
import type { PostData } from '../../../activities/calendar/templates';
import { seededRandom } from './seeded-random';

/**
 * The plan renders templates with closures compiled from the Handlebars syntax tree, and falls
 * back to Handlebars wherever the closures throw. So the closures must never return text that
 * Handlebars would not: the same text, or a throw. Checked here on random templates, and on the
 * project's own templates, which must all compile (or the plan loses its speed).
 */

const STYLE = 'cinematic lighting';
const SHARED = 'shared {{productName}}';

function environment(): {
  hbs: typeof Handlebars;
  env: CompileEnv;
  render(source: string, context: Record<string, unknown>, post: PostData): string;
} {
  const hbs = Handlebars.create();
  const helpers = registerHelpers(hbs);
  hbs.registerPartial('shared', SHARED);
  hbs.registerPartial('selfish', '{{> selfish}}');
  const shared = compileTemplate(Handlebars.parse(SHARED), {
    helpers,
    isHelper: (n) => n in hbs.helpers,
    partial: () => undefined,
  });
  const env: CompileEnv = {
    helpers,
    isHelper: (name) => Object.prototype.hasOwnProperty.call(hbs.helpers, name),
    partial: (name) => (name === 'shared' ? shared : undefined),
  };
  const style = hbs.compile(STYLE, { strict: true, noEscape: true });
  return {
    hbs,
    env,
    render: (source, context, post) =>
      hbs.compile(source, { strict: true, noEscape: true })(context, {
        data: { post },
        partials: { style },
      }),
  };
}

const POST: PostData = {
  postId: 'spring/2027-02-03/morning',
  date: '2027-02-03',
  localTime: '09:00',
  zone: 'Asia/Shanghai',
  locale: 'en-US',
};

function run(compiled: CompiledTemplate, context: Record<string, unknown>): string {
  const style = compileTemplate(Handlebars.parse(STYLE), {
    helpers: {},
    isHelper: () => false,
    partial: () => undefined,
  })!;
  return compiled(context, { frame: { root: context, post: POST }, style });
}

const NAMES = [
  'productName',
  'tags',
  'empty',
  'zero',
  'nil',
  'flag',
  'num',
  'obj',
  'obj.inner',
  'obj.missing',
  'missing',
  'missing.deep',
  'fn',
  'date',
  'postId',
  'toString',
  'constructor',
  'log',
  'lookup',
  'this',
  '.',
  'this.productName',
  '@root.productName',
  '@index',
  '../productName',
  'obj.[odd key]',
  'productName.length',
];

const ARGS = [
  '"a"',
  '"b c"',
  '1',
  '0',
  'true',
  'false',
  'null',
  'undefined',
  '(variant "x" "y")',
  '(hashtags tags)',
  '(unknownHelper)',
  ...NAMES,
];

const HELPERS = ['variant', 'formatDate', 'hashtags', 'daysUntil', 'holidayName', 'lookup', 'unknownHelper'];

function template(random: () => number, depth = 0): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const args = (): string =>
    Array.from({ length: Math.floor(random() * 3) }, () => pick(ARGS)).join(' ') +
    (random() < 0.1 ? ` sep=${pick(ARGS)}` : '');
  const pieces: string[] = [];
  const count = 1 + Math.floor(random() * 6);
  for (let i = 0; i < count; i++) {
    const r = random();
    if (r < 0.25) pieces.push(pick(['hello ', ' ', '\n', '  ', ', ', '.', '#', 'ünï ', '红包']));
    else if (r < 0.45) pieces.push(`{{${pick(['', '~'])}${pick(NAMES)}${pick(['', '~'])}}}`);
    else if (r < 0.6) pieces.push(`{{${pick(HELPERS)} ${args()}}}`);
    else if (r < 0.75 && depth < 2) {
      const kind = pick(['if', 'if', 'unless', 'each', 'with']);
      const inner = template(random, depth + 1);
      const otherwise = random() < 0.5 ? `{{else}}${template(random, depth + 1)}` : '';
      const chained = random() < 0.2 ? `{{else if ${pick(NAMES)}}}${template(random, depth + 1)}` : '';
      const hash = random() < 0.1 ? ' includeZero=true' : '';
      const nl = random() < 0.3 ? '\n' : '';
      pieces.push(
        `${nl}{{#${kind} ${pick(NAMES)}${hash}}}${nl}${inner}${chained}${otherwise}${nl}{{/${kind}}}${nl}`,
      );
    } else if (r < 0.85) {
      pieces.push(
        pick([
          '{{> style}}',
          '{{> shared}}',
          '{{> missing}}',
          '{{> selfish}}',
          '\n  {{> shared}}\n',
          '{{> shared obj}}',
        ]),
      );
    } else if (r < 0.92) pieces.push(pick(['{{! a note }}', '{{!-- {{note}} --}}', `{{{${pick(NAMES)}}}}`]));
    else pieces.push(pick(['{{', '}}', '{{#if}}', '{{/if}}', '{{else}}']));
  }
  return pieces.join('');
}

function contexts(random: () => number): Array<Record<string, unknown>> {
  const base = (): Record<string, unknown> => ({
    productName: 'Pulse Buds',
    tags: ['PulseBuds', 'deals'],
    empty: [],
    zero: 0,
    nil: null,
    flag: true,
    num: 1.5,
    obj: { inner: 'inside', 'odd key': 'odd' },
    fn: () => 'called',
    date: '2027-02-10',
  });
  const changed = base();
  changed.flag = random() < 0.5 ? false : 'yes';
  changed.tags = random() < 0.5 ? [] : ['one'];
  changed.obj = random() < 0.5 ? null : Object.create({ inner: 'inherited' });
  changed.productName = random() < 0.5 ? '' : 42;
  return [base(), changed];
}

describe('templates compiled to closures', () => {
  test('on random templates the closures give Handlebars’ text, or leave the render to it', () => {
    const { env, render } = environment();
    // Handlebars logs each denied prototype access; the random contexts do that on purpose.
    const logged = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const random = seededRandom(20271121);
    let compiledCount = 0;
    let rendered = 0;
    let handedBack = 0;
    for (let i = 0; i < 3000; i++) {
      const source = template(random);
      let ast: hbs.AST.Program;
      try {
        ast = Handlebars.parse(source);
      } catch {
        continue;
      }
      const compiled = compileTemplate(ast, env);
      if (!compiled) continue;
      compiledCount++;
      for (const context of contexts(random)) {
        let expected: { text: string } | { error: string };
        try {
          expected = { text: render(source, context, POST) };
        } catch (err) {
          expected = { error: (err as Error).message };
        }
        let actual: string;
        try {
          actual = run(compiled, context);
        } catch {
          handedBack++;
          continue;
        }
        rendered++;
        // A mismatch names the template and context, to replay it by hand.
        expect({ source, context: Object.keys(context), result: { text: actual } }).toEqual({
          source,
          context: Object.keys(context),
          result: expected,
        });
      }
    }
    logged.mockRestore();
    // The property holds trivially if nothing compiles: make sure most of it did.
    expect(compiledCount).toBeGreaterThan(500);
    expect(rendered).toBeGreaterThan(700);
    expect(handedBack).toBeGreaterThan(200);
  });

  test('the project’s own templates and styles all compile, and render as Handlebars does', () => {
    const { env, render } = environment();
    const dir = join(__dirname, '..', '..', '..', 'templates');
    const files: string[] = [];
    const walk = (path: string): void => {
      for (const entry of readdirSync(path)) {
        const full = join(path, entry);
        if (statSync(full).isDirectory()) walk(full);
        else if (entry.endsWith('.hbs')) files.push(full);
      }
    };
    walk(dir);
    expect(files.length).toBeGreaterThan(10);
    const sources = files.map((file) => ({ file, source: readFileSync(file, 'utf8') }));
    // Every bare name the templates use, as a plain string (tags as a list, dates as dates).
    const values: Record<string, unknown> = {};
    for (const { source } of sources)
      for (const [, inner] of source.matchAll(/\{\{[#/>~]*([^}]*)\}\}/g))
        for (const word of inner.match(/\b[A-Za-z_]\w*\b/g) ?? []) values[word] = `<${word}>`;
    Object.assign(values, { holidayDate: '2027-02-06', tags: ['a', 'b'], holiday: 'Spring Festival' });
    for (const { file, source } of sources) {
      const compiled = compileTemplate(Handlebars.parse(source), env);
      expect({ file, compiled: compiled !== undefined }).toEqual({ file, compiled: true });
      expect(run(compiled!, values)).toBe(render(source, values, POST));
    }
  });

  test('a campaign with no style renders {{> style}} as nothing', () => {
    const { env } = environment();
    const compiled = compileTemplate(Handlebars.parse('a cat, {{> style}}'), env)!;
    expect(compiled({}, { frame: { root: {}, post: POST }, style: EMPTY })).toBe('a cat, ');
  });
});
