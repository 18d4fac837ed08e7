import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import Handlebars from 'handlebars';
import {
  CalendarError,
  CalendarValueError,
  TemplateSyntaxError,
  UnknownTemplateError,
  UnknownVariableError,
  type Position,
} from './errors';
import type { HolidaySet } from './holidays';
import { displayPath } from './source';
import {
  compileTemplate,
  EMPTY,
  NotCompiled,
  type CompiledTemplate,
  type CompileEnv,
} from './template-compiler';
import { registerHelpers } from './template-helpers';
import type { Channel } from './types';

/**
 * Templates folder layout:
 *   <template>/prompt.hbs            the text-to-video prompt
 *   <template>/negative.hbs          optional; else ./negative.hbs (shared)
 *   <template>/caption.hbs           the caption
 *   <template>/caption.<channel>.hbs optional per-channel caption, e.g. caption.x.hbs
 *   <template>/title.hbs             optional YouTube title; else the caption's first line
 *   styles/<style>.hbs               style partials; the campaign's `style:` is `{{> style}}`
 *   partials/<name>.hbs              shared partials, `{{> name}}`
 * Rendering is strict (an unknown variable is an error) and does not HTML-escape: the output is
 * a prompt or a caption, not a web page.
 */

export type TemplateKind = 'prompt' | 'negative' | 'caption' | 'title';

/** What the helpers need to know about the post being rendered. */
export interface PostData {
  postId: string;
  date: string;
  localTime: string;
  zone: string;
  locale: string;
  holidays?: HolidaySet;
  /** The holiday the campaign's rule is relative to, if any. */
  holiday?: { name: string; date: string };
}

export interface TemplateFile {
  file: string;
  source: string;
  ast?: hbs.AST.Program;
  render?: HandlebarsTemplateDelegate;
  /** The same template as plain closures; null where it uses what only Handlebars renders. */
  compiled?: CompiledTemplate | null;
}

export class TemplateSet {
  readonly #env = Handlebars.create();
  readonly #files = new Map<string, TemplateFile>();
  readonly #templates = new Set<string>();
  readonly #styles = new Map<string, TemplateFile>();
  readonly #partials = new Map<string, TemplateFile>();
  readonly #dependencies = new Map<string, { post: boolean; channel: boolean }>();
  readonly #styleObjects = new Map<string, { style: HandlebarsTemplateDelegate | (() => string) }>();
  readonly #compileEnv: CompileEnv;

  private constructor(readonly dir: string) {
    const helpers = registerHelpers(this.#env);
    this.#compileEnv = {
      helpers,
      isHelper: (name) => Object.prototype.hasOwnProperty.call(this.#env.helpers, name),
      partial: (name) => {
        const tf = this.#styles.get(name) ?? this.#partials.get(name);
        return tf && (this.#compiled(tf) ?? undefined);
      },
    };
  }

  /** Reads every template file; syntax errors come back as problems (all of them). */
  static load(dir: string): { templates: TemplateSet; problems: CalendarError[] } {
    const set = new TemplateSet(dir);
    const problems: CalendarError[] = [];
    let entries: string[] = [];
    try {
      entries = readdirSync(dir).sort();
    } catch {
      problems.push(
        new UnknownTemplateError(
          { file: displayPath(dir), line: 1, col: 1, field: 'templatesDir' },
          `templates folder ${dir} cannot be read; set templatesDir (REELCAST_TEMPLATES_DIR) to the folder with your templates`,
        ),
      );
      return { templates: set, problems };
    }
    for (const entry of entries) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) {
        for (const f of readdirSync(path).sort()) {
          if (!f.endsWith('.hbs')) continue;
          const tf = set.#read(join(path, f), problems);
          const name = basename(f, '.hbs');
          if (entry === 'styles') set.#styles.set(name, tf);
          else if (entry === 'partials') set.#partials.set(name, tf);
          else set.#files.set(`${entry}/${name}`, tf);
        }
        if (entry !== 'styles' && entry !== 'partials') set.#templates.add(entry);
      } else if (entry.endsWith('.hbs')) {
        set.#files.set(basename(entry, '.hbs'), set.#read(path, problems));
      }
    }
    for (const [name, tf] of set.#partials) if (tf.ast) set.#env.registerPartial(name, set.#compile(tf));
    for (const [name, tf] of set.#styles) if (tf.ast) set.#env.registerPartial(name, set.#compile(tf));
    return { templates: set, problems };
  }

  get templateNames(): string[] {
    return [...this.#templates];
  }

  get styleNames(): string[] {
    return [...this.#styles.keys()];
  }

  /** The plan's own helpers (formatDate, variant, ...), for suggestions. */
  get helperNames(): string[] {
    return Object.keys(this.#compileEnv.helpers);
  }

  /** Shared partials in templates/partials/, by name. */
  get partialNames(): string[] {
    return [...this.#partials.keys()];
  }

  /** Why a template name cannot be used, or undefined when it can. */
  missing(template: string): string | undefined {
    if (!this.#templates.has(template)) {
      return `no template folder "${template}" in ${displayPath(this.dir)}; known: ${this.templateNames.join(', ') || '(none)'}`;
    }
    for (const kind of ['prompt', 'caption'] as const) {
      if (!this.#files.has(`${template}/${kind}`))
        return `template "${template}" has no ${kind}.hbs; add ${displayPath(join(this.dir, template, `${kind}.hbs`))}`;
    }
    if (!this.#files.has(`${template}/negative`) && !this.#files.has('negative')) {
      return `template "${template}" has no negative.hbs and there is no shared ${displayPath(join(this.dir, 'negative.hbs'))}; add one`;
    }
    return undefined;
  }

  /** Whether a file the template (or style) uses failed to parse: already reported at load. */
  unparsable(template: string, style?: string): boolean {
    for (const [key, tf] of this.#files)
      if (!tf.ast && (key.startsWith(`${template}/`) || !key.includes('/'))) return true;
    if (style && this.#styles.get(style)?.ast === undefined && this.#styles.has(style)) return true;
    return [...this.#partials.values()].some((tf) => !tf.ast);
  }

  /** Whether the template has an optional part (title.hbs), in its folder or shared. */
  hasPart(template: string, kind: TemplateKind): boolean {
    return this.#files.has(`${template}/${kind}`) || this.#files.has(kind);
  }

  /** The file a template part comes from (per-channel caption first). */
  fileOf(template: string, kind: TemplateKind, channel?: Channel): TemplateFile {
    if (kind === 'caption' && channel) {
      const own = this.#files.get(`${template}/caption.${channel}`);
      if (own) return own;
    }
    return this.#files.get(`${template}/${kind}`) ?? this.#files.get(kind)!;
  }

  /** Renders one template part; a strict-mode failure becomes an error at the template's line. */
  render(
    template: string,
    kind: TemplateKind,
    channel: Channel | undefined,
    context: Record<string, unknown>,
    post: PostData,
    style?: string,
  ): string {
    return this.renderFile(this.fileOf(template, kind, channel), context, post, style);
  }

  /** Renders a file found with `fileOf` (the plan keeps it, to skip the lookup per post). */
  renderFile(tf: TemplateFile, context: Record<string, unknown>, post: PostData, style?: string): string {
    if (!tf.ast) {
      throw new TemplateSyntaxError(
        { file: tf.file, line: 1, col: 1, field: '' },
        `${tf.file} does not parse; see the error above`,
      );
    }
    const compiled = this.#compiled(tf);
    if (compiled) {
      try {
        return compiled(context, {
          frame: { root: context, post },
          style: this.#compiledStyle(style),
        }).trim();
      } catch {
        // Something only Handlebars knows (or an error): Handlebars renders it and words the error.
      }
    }
    try {
      return this.#compile(tf)(context, { data: { post }, partials: this.#stylePartials(style) }).trim();
    } catch (err) {
      const styleFile = style ? this.#styles.get(style) : undefined;
      throw this.#explain(
        err,
        [tf, ...(styleFile ? [styleFile] : []), ...this.#partials.values(), ...this.#styles.values()],
        context,
      );
    }
  }

  #compiled(tf: TemplateFile): CompiledTemplate | null {
    if (tf.compiled === undefined) {
      tf.compiled = null; // a partial that includes itself must not recurse while compiling
      tf.compiled = (tf.ast && compileTemplate(tf.ast, this.#compileEnv)) ?? null;
    }
    return tf.compiled;
  }

  /** `{{> style}}` in compiled templates; a style that did not compile sends the render to Handlebars. */
  #compiledStyle(style: string | undefined): CompiledTemplate {
    const styleFile = style ? this.#styles.get(style) : undefined;
    if (!styleFile) return EMPTY;
    return this.#compiled(styleFile) ?? notCompiledStyle;
  }

  /** `{{> style}}` for a campaign's style: one object per style, not one per render. */
  #stylePartials(style: string | undefined): { style: HandlebarsTemplateDelegate | (() => string) } {
    const key = style ?? '';
    let partials = this.#styleObjects.get(key);
    if (!partials) {
      const styleFile = style ? this.#styles.get(style) : undefined;
      partials = { style: styleFile?.ast ? this.#compile(styleFile) : emptyPartial };
      this.#styleObjects.set(key, partials);
    }
    return partials;
  }

  /**
   * What a render's output can depend on besides the campaign's own variables: the post (date,
   * slot, post id, holiday...) and/or the channel. A part that depends on neither renders once
   * per campaign; one that ignores the channel renders once per post for all channels.
   */
  dependsOn(
    template: string,
    kind: TemplateKind,
    channel: Channel | undefined,
    style?: string,
  ): { post: boolean; channel: boolean } {
    const key = `${template}|${kind}|${channel ?? ''}|${style ?? ''}`;
    let hit = this.#dependencies.get(key);
    if (!hit) {
      const styleFile = style ? this.#styles.get(style) : undefined;
      // Every shared partial counts: a part may include any of them.
      const files = [
        this.fileOf(template, kind, channel),
        ...(styleFile ? [styleFile] : []),
        ...this.#partials.values(),
      ];
      hit = { post: false, channel: false };
      for (const tf of files) {
        const d = astDependencies(tf.ast);
        hit.post ||= d.post;
        hit.channel ||= d.channel;
      }
      this.#dependencies.set(key, hit);
    }
    return hit;
  }

  /**
   * Names a template part uses that are neither a variable in `known` nor a helper nor a
   * partial, found by reading the template rather than rendering it: strict rendering misses a
   * name in `{{#if name}}` (helper arguments are looked up leniently) and in a branch not taken
   * on the days checked. Inside `{{#each}}` / `{{#with}}` the context changes: not checked there.
   */
  unknownNames(
    template: string,
    kind: TemplateKind,
    channel: Channel | undefined,
    style: string | undefined,
    known: ReadonlySet<string>,
  ): Array<Position & { what: 'variable' | 'partial' }> {
    const styleFile = style ? this.#styles.get(style) : undefined;
    const files = [this.fileOf(template, kind, channel), ...(styleFile ? [styleFile] : [])];
    const helpers = this.#env.helpers as Record<string, unknown>;
    const partials = this.#env.partials as Record<string, unknown>;
    const out: Array<Position & { what: 'variable' | 'partial' }> = [];
    const own = (table: Record<string, unknown>, key: string): boolean =>
      Object.prototype.hasOwnProperty.call(table, key);
    for (const tf of files) {
      if (!tf.ast) continue;
      const report = (node: AnyNode, name: string, what: 'variable' | 'partial' = 'variable'): void => {
        const loc = node.loc?.start;
        out.push({ file: tf.file, line: loc?.line ?? 1, col: (loc?.column ?? 0) + 1, field: name, what });
      };
      const checkPath = (path: AnyNode, asHelper: boolean): void => {
        const p = path as AnyNode & {
          type: string;
          data?: boolean;
          parts?: string[];
          original?: string;
          depth?: number;
        };
        if (p.type !== 'PathExpression' || p.data || p.depth || !p.parts || p.parts.length === 0) return;
        const head = p.parts[0];
        if (
          asHelper
            ? own(helpers, head) || known.has(head)
            : known.has(head) || (p.parts.length === 1 && own(helpers, head))
        )
          return;
        report(p, String(p.original));
      };
      const walk = (node: unknown, scoped: boolean): void => {
        if (!node || typeof node !== 'object') return;
        if (Array.isArray(node)) return node.forEach((n) => walk(n, scoped));
        const n = node as AnyNode & {
          type: string;
          path?: AnyNode;
          params?: AnyNode[];
          hash?: { pairs: Array<{ value: AnyNode }> };
          program?: unknown;
          inverse?: unknown;
          body?: unknown;
          name?: AnyNode & { original?: string };
        };
        switch (n.type) {
          case 'Program':
            return walk(n.body, scoped);
          case 'MustacheStatement':
          case 'SubExpression':
          case 'BlockStatement': {
            const args = [...(n.params ?? []), ...(n.hash?.pairs.map((pair) => pair.value) ?? [])];
            if (!scoped) checkPath(n.path!, args.length > 0 || n.type === 'BlockStatement');
            for (const a of args) if (!scoped) checkPath(a, false);
            for (const a of args) walk(a, scoped);
            // each / with and block params change what a bare name means inside the block.
            const head = (n.path as { original?: string }).original;
            const changes =
              head === 'each' ||
              head === 'with' ||
              ((n.program as { blockParams?: string[] } | undefined)?.blockParams?.length ?? 0) > 0;
            walk(n.program, scoped || changes);
            walk(n.inverse, scoped || (changes && head !== 'each' && head !== 'with'));
            return;
          }
          case 'PartialStatement':
          case 'PartialBlockStatement': {
            const name = n.name?.original;
            if (name && n.name?.type === 'PathExpression' && name !== 'style' && !own(partials, name))
              report(n, name, 'partial');
            return;
          }
          default:
            return;
        }
      };
      walk(tf.ast, false);
    }
    return out;
  }

  /** The files a render reads, for finding where a word in the output was written. */
  sources(
    template: string,
    kind: TemplateKind,
    channel: Channel | undefined,
    style?: string,
  ): Array<{ file: string; source: string }> {
    const styleFile = style ? this.#styles.get(style) : undefined;
    return [
      this.fileOf(template, kind, channel),
      ...(styleFile ? [styleFile] : []),
      ...this.#partials.values(),
    ];
  }

  hasStyle(style: string): boolean {
    return this.#styles.has(style);
  }

  #read(path: string, problems: CalendarError[]): TemplateFile {
    const file = displayPath(path);
    const source = readFileSync(path, 'utf8');
    try {
      return { file, source, ast: Handlebars.parse(source) };
    } catch (err) {
      problems.push(
        new TemplateSyntaxError(
          parseErrorPosition(file, source, err as Error),
          `template does not parse: ${firstLine(err as Error)}. Check that every {{#if}} / {{#each}} has its {{/if}} / {{/each}} and every {{ has its }}`,
        ),
      );
      return { file, source };
    }
  }

  #compile(tf: TemplateFile): HandlebarsTemplateDelegate {
    tf.render ??= this.#env.compile(tf.source, { strict: true, noEscape: true });
    return tf.render;
  }

  #explain(err: unknown, candidates: TemplateFile[], context: Record<string, unknown>): CalendarError {
    const e = err as Error & { lineNumber?: number; column?: number };
    const missingVar = /^"([^"]+)" not defined/.exec(e.message);
    if (missingVar && e.lineNumber !== undefined && e.column !== undefined) {
      const hit = findNode(
        candidates,
        (n) =>
          n.type === 'PathExpression' &&
          n.loc?.start.line === e.lineNumber &&
          n.loc?.start.column <= e.column! &&
          n.loc?.end.column >= e.column!,
      );
      const file = hit?.file ?? candidates[0].file;
      const variable = (hit?.node as { original?: string } | undefined)?.original ?? missingVar[1];
      const known = Object.keys(context).filter((k) => typeof context[k] !== 'object' || context[k] === null);
      return new UnknownVariableError(
        { file, line: e.lineNumber, col: (hit?.node.loc?.start.column ?? e.column) + 1, field: variable },
        `unknown variable "${variable}"; add it to the campaign's variables: in the calendar, or fix the name (available here: ${known.join(', ')})`,
      );
    }
    const missingPartial = /The partial (\S+) could not be found/.exec(e.message);
    if (missingPartial) {
      const hit = findNode(
        candidates,
        (n) =>
          n.type === 'PartialStatement' &&
          (n as hbs.AST.PartialStatement & { name: { original?: string } }).name.original ===
            missingPartial[1],
      );
      const file = hit?.file ?? candidates[0].file;
      const loc = hit?.node.loc?.start;
      return new UnknownTemplateError(
        { file, line: loc?.line ?? 1, col: (loc?.column ?? 0) + 1, field: missingPartial[1] },
        `unknown partial "${missingPartial[1]}"; styles are ${this.styleNames.join(', ')} (use {{> style}} for the campaign's style), or add templates/partials/${missingPartial[1]}.hbs`,
      );
    }
    if (err instanceof CalendarError) return err;
    return new CalendarValueError(
      { file: candidates[0].file, line: e.lineNumber ?? 1, col: (e.column ?? 0) + 1, field: '' },
      `template failed: ${firstLine(e)}`,
    );
  }
}

const emptyPartial = (): string => '';

const notCompiledStyle: CompiledTemplate = () => {
  throw new NotCompiled('the style partial');
};

function firstLine(err: Error): string {
  return err.message.split('\n')[0];
}

/** Handlebars says "Parse error on line N:" and draws a caret under an excerpt of the line. */
function parseErrorPosition(file: string, source: string, err: Error): Position {
  const lines = err.message.split('\n');
  const lineMatch = /line (\d+)/.exec(lines[0]);
  const line = lineMatch ? Number(lineMatch[1]) : 1;
  let col = 1;
  if (lines.length >= 3) {
    const excerpt = lines[1];
    const caret = lines[2].indexOf('^');
    const before = excerpt.slice(0, caret).replace(/^\.\.\./, '');
    const text = source.split('\n')[line - 1] ?? '';
    const at = before ? text.indexOf(before.slice(-Math.min(before.length, 10))) : -1;
    if (at >= 0) col = at + Math.min(before.length, 10) + 1;
  }
  return { file, line, col, field: '' };
}

type AnyNode = hbs.AST.Node & { loc?: hbs.AST.SourceLocation };

/** Names whose value differs from post to post; helpers that read the post. */
const PER_POST = new Set([
  'postId',
  'date',
  'time',
  'weekday',
  'slot',
  'holiday',
  'holidayDate',
  'formatDate',
  'daysUntil',
  'holidayName',
  'variant',
  'lookup',
  'this',
]);

function astDependencies(ast: hbs.AST.Program | undefined): { post: boolean; channel: boolean } {
  const out = { post: ast === undefined, channel: ast === undefined };
  const walk = (value: unknown): void => {
    if (!value || typeof value !== 'object') return;
    if (Array.isArray(value)) return value.forEach(walk);
    const node = value as {
      type?: string;
      original?: string;
      data?: boolean;
      head?: unknown;
      parts?: string[];
    };
    if (node.type === 'PathExpression') {
      const head = node.parts?.[0] ?? '';
      // `this`, `.`, `../x` and @data can reach anything: assume they depend on everything.
      if (
        node.data ||
        node.parts?.length === 0 ||
        String(node.original).startsWith('.') ||
        PER_POST.has(head)
      )
        out.post = true;
      if (
        head === 'channel' ||
        node.data ||
        node.parts?.length === 0 ||
        String(node.original).startsWith('.')
      )
        out.channel = true;
    }
    for (const [k, v] of Object.entries(node)) if (k !== 'loc' && k !== 'strip') walk(v);
  };
  walk(ast);
  return out;
}

function findNode(
  files: TemplateFile[],
  test: (n: AnyNode) => boolean,
): { file: string; node: AnyNode } | undefined {
  for (const tf of files) {
    if (!tf.ast) continue;
    let found: AnyNode | undefined;
    const walk = (value: unknown): void => {
      if (found || !value || typeof value !== 'object') return;
      if (Array.isArray(value)) return value.forEach(walk);
      const node = value as AnyNode;
      if (typeof node.type === 'string' && test(node)) {
        found = node;
        return;
      }
      for (const [k, v] of Object.entries(node)) if (k !== 'loc' && k !== 'strip') walk(v);
    };
    walk(tf.ast);
    if (found) return { file: tf.file, node: found };
  }
  return undefined;
}
