import { readFileSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { CalendarSyntaxError, type Position } from './errors';

export type FieldPath = ReadonlyArray<string | number>;

/** One parsed YAML file, kept with its line table so any value can be traced to file:line:col. */
export interface SourceFile {
  /** The path as shown to people (relative to the working directory when inside it). */
  file: string;
  absolute: string;
  doc: Document;
  lineCounter: LineCounter;
  data: unknown;
}

export function displayPath(absolute: string, cwd = process.cwd()): string {
  const rel = relative(cwd, absolute);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : absolute;
}

/** `campaigns[0].slots[1].time` */
export function fieldName(path: FieldPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** Parses one YAML file; every syntax error comes back, not only the first. */
export function readYamlFile(absolute: string): { source?: SourceFile; errors: CalendarSyntaxError[] } {
  const file = displayPath(absolute);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    return {
      errors: [
        new CalendarSyntaxError(
          { file, line: 1, col: 1, field: '' },
          `cannot read the file (${code}); check the path`,
        ),
      ],
    };
  }
  return parseYamlText(text, absolute);
}

export function parseYamlText(
  text: string,
  absolute: string,
): { source?: SourceFile; errors: CalendarSyntaxError[] } {
  const file = displayPath(absolute);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const errors: CalendarSyntaxError[] = [];
  for (const e of doc.errors) {
    const { line, col } = unclosedQuote(text, e.message) ?? lineCounter.linePos(e.pos[0]);
    // One mistake (a tab, a stray dash) makes the parser stumble several times on its line;
    // the first complaint is the one that names it.
    if (errors.some((seen) => seen.line === line)) continue;
    const first = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    errors.push(
      new CalendarSyntaxError(
        { file, line, col, field: '' },
        `not valid YAML: ${first}. Check indentation (spaces, not tabs) and quote values that contain ': ' or start with a special character`,
      ),
    );
  }
  if (errors.length > 0) return { errors };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // Aliases (*name) are resolved here, not while parsing: an alias to an anchor that is not
    // set yet, or an alias bomb, surfaces now.
    const alias = /alias.*?: (\S+)$/.exec((err as Error).message)?.[1];
    const at = alias
      ? text.search(new RegExp(`\\*${alias.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`))
      : -1;
    const { line, col } = lineCounter.linePos(Math.max(at, 0));
    const problem = new CalendarSyntaxError(
      { file, line, col, field: '' },
      `not valid YAML: ${(err as Error).message.split('\n')[0]}. An alias *name needs an anchor &name earlier in the file`,
    );
    return { errors: [problem] };
  }
  return { source: { file, absolute, doc, lineCounter, data }, errors: [] };
}

/**
 * YAML reports an unclosed quote at the end of the file, where nothing can be fixed; the place
 * to fix is the first line whose quotes do not pair up.
 */
function unclosedQuote(text: string, message: string): { line: number; col: number } | undefined {
  const quote = /Missing closing (["'])quote/.exec(message)?.[1];
  if (!quote) return undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const positions = [...lines[i].matchAll(quote === '"' ? /(?<!\\)"/g : /'/g)].map((m) => m.index!);
    if (positions.length % 2 === 1) return { line: i + 1, col: positions[positions.length - 1] + 1 };
  }
  return undefined;
}

/**
 * Where a value sits. `key: true` points at the key of the last path element instead of its
 * value (an unknown field is best shown at its name). A path that does not exist points at its
 * nearest existing parent (a missing field is shown at the mapping that should hold it).
 */
export function positionOf(source: SourceFile, path: FieldPath, options: { key?: boolean } = {}): Position {
  const at = (offset: number | undefined): Position => {
    const { line, col } = source.lineCounter.linePos(offset ?? 0);
    return { file: source.file, line, col, field: fieldName(path) };
  };
  if (options.key && path.length > 0) {
    const parent = source.doc.getIn(path.slice(0, -1), true) as Node | undefined;
    if (isMap(parent)) {
      const pair = parent.items.find(
        (p) => isScalar(p.key) && String(p.key.value) === String(path[path.length - 1]),
      );
      if (pair) return at((pair.key as Node).range?.[0]);
    }
  }
  for (let n = path.length; n >= 0; n--) {
    const node = (n === 0 ? source.doc.contents : source.doc.getIn(path.slice(0, n), true)) as
      Node | null | undefined;
    if (node && node.range) return { ...at(node.range[0]), field: fieldName(path) };
  }
  return { file: source.file, line: 1, col: 1, field: fieldName(path) };
}
