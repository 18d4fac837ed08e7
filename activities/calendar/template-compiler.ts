/**
 * Templates compiled to plain closures, for speed: a year's plan renders some 200,000 captions,
 * and Handlebars spends most of each call setting up (it wraps every helper anew per render).
 *
 * Only what calendars use is compiled: text, comments, `{{name}}` and `{{a.b}}`, the plan's own
 * helpers with literal, path, sub-expression and hash arguments, `{{#if}}` / `{{#unless}}` with
 * `{{else}}`, and `{{> partial}}`. Anything else makes `compileTemplate` return undefined, and a
 * render that meets something unusual (a name that is not an own property, a function value, a
 * helper that throws) throws; in both cases the caller renders with Handlebars itself, so output
 * and errors are always Handlebars' own. test/unit/calendar/template-compiler.test.ts checks the
 * two agree on thousands of random templates.
 */

/** What a render passes down: the post the helpers read, and the partial `{{> style}}` means. */
export interface RenderData {
  /** Becomes `options.data` for helpers, like Handlebars' data frame (`root` is the context). */
  frame: { root: unknown; [key: string]: unknown };
  style: CompiledTemplate;
}

export type CompiledTemplate = (context: Record<string, unknown>, data: RenderData) => string;

export interface CompileEnv {
  /** Helpers the closures may call: the plan's own (not Handlebars' built-ins). */
  helpers: Readonly<Record<string, (...args: unknown[]) => unknown>>;
  /** Whether Handlebars knows a helper by this name (built-ins too): `{{name}}` calls it. */
  isHelper(name: string): boolean;
  /** A shared partial by name, compiled; undefined when there is none or it cannot compile. */
  partial(name: string): CompiledTemplate | undefined;
}

/** Thrown at render time where only Handlebars knows the answer; the caller falls back. */
export class NotCompiled extends Error {
  constructor(why: string) {
    super(`not compiled: ${why}`);
    this.name = 'NotCompiled';
  }
}

type Value = (context: Record<string, unknown>, data: RenderData) => unknown;
/**
 * A statement's value. Not always a string: Handlebars joins a block's pieces with JavaScript's
 * `+` and makes a string only of the whole template, so `{{a}}{{b}}` with the numbers 1 and 2
 * renders "3". The closures keep that quirk; templates must not change meaning here.
 */
type Piece = Value;

interface Node {
  type: string;
  [key: string]: unknown;
}

interface PathNode extends Node {
  data: boolean;
  depth: number;
  parts: string[];
  original: string;
}

const own = Object.prototype.hasOwnProperty;

/** Compiles a parsed template (`Handlebars.parse`, whitespace control applied), or undefined. */
export function compileTemplate(ast: hbs.AST.Program, env: CompileEnv): CompiledTemplate | undefined {
  try {
    const body = program(ast as unknown as Node, env);
    return (context, data) => '' + (body(context, data) as string);
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
}

/** Renders nothing: `{{> style}}` for a campaign with no style. */
export const EMPTY: CompiledTemplate = () => '';

/** Compile-time: a construct this compiler leaves to Handlebars. */
class Unsupported extends Error {}

function program(node: Node, env: CompileEnv): Piece {
  if ((node.blockParams as unknown[] | undefined)?.length) throw new Unsupported();
  const pieces = (node.body as Node[]).map((n) => statement(n, env)).filter((p) => p !== EMPTY);
  if (pieces.length === 0) return EMPTY;
  if (pieces.length === 1) return pieces[0];
  if (pieces.length === 2) {
    const [a, b] = pieces as Array<(c: Record<string, unknown>, d: RenderData) => string>;
    return (c, d) => a(c, d) + b(c, d);
  }
  return (c, d) => {
    let out = pieces[0](c, d) as string;
    for (let i = 1; i < pieces.length; i++) out = out + (pieces[i](c, d) as string);
    return out;
  };
}

function statement(node: Node, env: CompileEnv): Piece {
  switch (node.type) {
    case 'ContentStatement': {
      const text = node.value as string;
      return text === '' ? EMPTY : () => text;
    }
    case 'CommentStatement':
      return EMPTY;
    case 'MustacheStatement':
      return mustache(node, env);
    case 'BlockStatement':
      return block(node, env);
    case 'PartialStatement':
      return partial(node, env);
    default:
      throw new Unsupported();
  }
}

/** `{{name}}`, `{{a.b}}` or `{{helper args}}`; null and undefined print nothing, like Handlebars. */
function mustache(node: Node, env: CompileEnv): Piece {
  const path = node.path as PathNode;
  const params = node.params as Node[];
  const hash = node.hash as Node | undefined;
  const value = params.length > 0 || hash ? helperCall(path, params, hash, env) : simpleName(path, env);
  return (c, d) => {
    const v = value(c, d);
    return v == null ? '' : v;
  };
}

/** A mustache with no arguments: a helper if one has the name, else a strict context lookup. */
function simpleName(path: PathNode, env: CompileEnv): Value {
  if (path.type !== 'PathExpression') throw new Unsupported();
  checkPlainPath(path);
  if (path.parts.length === 1 && env.isHelper(path.parts[0])) {
    return helperCall(path, [], undefined, env);
  }
  const parts = path.parts;
  return (context) => {
    let value: unknown = context;
    for (let i = 0; i < parts.length; i++) {
      if (value === null || typeof value !== 'object' || !own.call(value, parts[i]))
        throw new NotCompiled(`"${parts[i]}" is not an own property`);
      value = (value as Record<string, unknown>)[parts[i]];
    }
    if (typeof value === 'function') throw new NotCompiled('a function value');
    return value;
  };
}

/** A name in the context, read leniently (helper arguments): missing is undefined. */
function argumentPath(path: PathNode): Value {
  checkPlainPath(path);
  const parts = path.parts;
  return (context) => {
    let value: unknown = context;
    for (let i = 0; i < parts.length; i++) {
      if (value === null || value === undefined) throw new NotCompiled('a property of nothing');
      const next = (value as Record<string, unknown>)[parts[i]];
      if (next != null && !own.call(value, parts[i])) throw new NotCompiled('an inherited property');
      value = next;
    }
    return value;
  };
}

/** `this`, `../x` and `@data` reach beyond the context; Handlebars renders those. */
function checkPlainPath(path: PathNode): void {
  if (
    path.type !== 'PathExpression' ||
    path.data ||
    path.depth > 0 ||
    path.parts.length === 0 ||
    /^(this\b|\.)/.test(path.original) ||
    path.parts.some((p) => p === '__proto__' || p === 'constructor' || p === 'prototype')
  )
    throw new Unsupported();
}

function argument(node: Node, env: CompileEnv): Value {
  switch (node.type) {
    case 'StringLiteral':
    case 'NumberLiteral':
    case 'BooleanLiteral': {
      const v = node.value;
      return () => v;
    }
    case 'UndefinedLiteral':
      return () => undefined;
    case 'NullLiteral':
      return () => null;
    case 'PathExpression':
      return argumentPath(node as PathNode);
    case 'SubExpression':
      return helperCall(node.path as PathNode, node.params as Node[], node.hash as Node | undefined, env);
    default:
      throw new Unsupported();
  }
}

/** One of the plan's helpers, called as Handlebars calls it: arguments, then an options object. */
function helperCall(path: PathNode, params: Node[], hash: Node | undefined, env: CompileEnv): Value {
  if (path.type !== 'PathExpression' || path.parts.length !== 1) throw new Unsupported();
  checkPlainPath(path);
  const name = path.parts[0];
  if (!own.call(env.helpers, name)) throw new Unsupported();
  const helper = env.helpers[name];
  const args = params.map((p) => argument(p, env));
  const pairs = ((hash?.pairs as Node[] | undefined) ?? []).map(
    (pair) => [pair.key as string, argument(pair.value as Node, env)] as const,
  );
  const loc = path.loc;
  // Helpers do not keep or change the hash: one empty object serves every call without one.
  const hashOf = (context: Record<string, unknown>, data: RenderData): Record<string, unknown> => {
    if (pairs.length === 0) return NO_HASH;
    const values: Record<string, unknown> = {};
    for (const [key, value] of pairs) values[key] = value(context, data);
    return values;
  };
  const options = (context: Record<string, unknown>, data: RenderData) => ({
    name,
    hash: hashOf(context, data),
    data: data.frame,
    loc,
  });
  // The common arities without an arguments array.
  const [a, b] = args;
  switch (args.length) {
    case 0:
      return (context, data) => helper.call(context, options(context, data));
    case 1:
      return (context, data) => helper.call(context, a(context, data), options(context, data));
    case 2:
      return (context, data) =>
        helper.call(context, a(context, data), b(context, data), options(context, data));
    default:
      return (context, data) => {
        const values: unknown[] = new Array(args.length + 1);
        for (let i = 0; i < args.length; i++) values[i] = args[i](context, data);
        values[args.length] = options(context, data);
        return helper.apply(context, values);
      };
  }
}

const NO_HASH: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

/** `{{#if x}}…{{else}}…{{/if}}` and `{{#unless}}`, with Handlebars' notion of empty. */
function block(node: Node, env: CompileEnv): Piece {
  const path = node.path as PathNode;
  const params = node.params as Node[];
  const kind = path.type === 'PathExpression' ? path.original : '';
  if ((kind !== 'if' && kind !== 'unless') || params.length !== 1 || node.hash) throw new Unsupported();
  const condition = argument(params[0], env);
  const yes = node.program ? program(node.program as Node, env) : EMPTY;
  const no = node.inverse ? program(node.inverse as Node, env) : EMPTY;
  const [whenTrue, whenFalse] = kind === 'if' ? [yes, no] : [no, yes];
  return (c, d) => {
    const v = condition(c, d);
    if (typeof v === 'function') throw new NotCompiled('a function as a condition');
    return !v || (Array.isArray(v) && v.length === 0) ? whenFalse(c, d) : whenTrue(c, d);
  };
}

/** `{{> name}}` with the same context; `style` is the campaign's style, given per render. */
function partial(node: Node, env: CompileEnv): Piece {
  const name = node.name as PathNode;
  if (name.type !== 'PathExpression' || (node.params as unknown[]).length > 0 || node.hash || node.indent)
    throw new Unsupported();
  if (name.original === 'style') {
    return (c, d) => d.style(c, d);
  }
  const target = env.partial(name.original);
  if (!target) throw new Unsupported();
  return target;
}
