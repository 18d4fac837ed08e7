import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Node } from 'yaml';
import { Secret } from './secret';
import { didYouMean } from '../activities/calendar/suggest';
import { OTHER_VARIABLES, SETTINGS, type Setting, type SettingType, TASK_QUEUE_ROLES } from './settings';

export { Secret } from './secret';
export { OTHER_VARIABLES, SETTINGS, TASK_QUEUE_ROLES, type Setting } from './settings';

export type QueueRole = (typeof TASK_QUEUE_ROLES)[number];

/**
 * The loaded configuration, derived from the SETTINGS table: each dotted key becomes a nested
 * field of the type its setting parses to, optional when the setting has no default. Code that
 * reads a setting the table lacks does not compile.
 */
export type ReelcastConfig = ConfigTree<(typeof SETTINGS)[number]>;

type SettingEntry = { key: string; type: SettingType; default?: string };

/** What a setting's text parses to (see parseValue). */
type ValueOf<T extends SettingType> = T extends { kind: 'string' | 'path' | 'url' }
  ? string
  : T extends { kind: 'int' }
    ? number
    : T extends { kind: 'bool' }
      ? boolean
      : T extends { kind: 'enum'; values: readonly (infer V)[] }
        ? V
        : T extends { kind: 'list'; values: readonly (infer V)[] }
          ? V[]
          : T extends { kind: 'secret' }
            ? Secret
            : never;

type Leaf<S extends SettingEntry> = S extends { key: `${string}.${string}` } ? never : S;
type HeadOf<K extends string> = K extends `${infer H}.${string}` ? H : never;
/** The settings under `head.`, with that prefix taken off their keys. */
type Under<S extends SettingEntry, H extends string> = S extends { key: `${H}.${infer Rest}` }
  ? Omit<S, 'key'> & { key: Rest }
  : never;
type ConfigTree<S extends SettingEntry> = {
  [E in Leaf<S> as E extends { default: string } ? E['key'] : never]: ValueOf<E['type']>;
} & {
  [E in Leaf<S> as E extends { default: string } ? never : E['key']]?: ValueOf<E['type']>;
} & { [H in HeadOf<S['key']>]: ConfigTree<Under<S, H>> };

/** A configuration value that cannot be used. `where` is the env variable or `file:line`. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly key: string,
    readonly where: string,
    readonly problem: string,
  ) {
    super(`${where}: ${key}: ${problem}`);
  }
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Config file; default `REELCAST_CONFIG` or ./reelcast.config.yaml when it exists. */
  file?: string;
  cwd?: string;
}

/** Where each value came from, for `reelcast config`. */
export type ValueSource = 'default' | 'file' | 'env' | 'unset';

export interface LoadedConfig {
  config: ReelcastConfig;
  sources: Record<string, { source: ValueSource; where?: string }>;
  file?: string;
}

export function loadConfig(options: LoadOptions = {}): ReelcastConfig {
  return loadConfigWithSources(options).config;
}

export function loadConfigWithSources(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = options.file ?? env.REELCAST_CONFIG ?? defaultConfigFile(cwd);
  const fromFile = file ? readConfigFile(resolve(cwd, file)) : new Map<string, FileValue>();

  const flat: Record<string, unknown> = {};
  const sources: LoadedConfig['sources'] = {};
  for (const setting of SETTINGS) {
    const picked = pickRaw(setting, env, fromFile, cwd);
    sources[setting.key] = { source: picked.source, where: picked.where };
    if (picked.raw === undefined) continue;
    flat[setting.key] = parseValue(setting, picked.raw, picked.where ?? 'default', cwd);
  }
  return {
    config: unflatten(flat) as unknown as ReelcastConfig,
    sources,
    file: file ? resolve(cwd, file) : undefined,
  };
}

function defaultConfigFile(cwd: string): string | undefined {
  const candidate = resolve(cwd, 'reelcast.config.yaml');
  return existsSync(candidate) ? candidate : undefined;
}

interface FileValue {
  value: unknown;
  where: string;
}

function readConfigFile(file: string): Map<string, FileValue> {
  if (!existsSync(file)) {
    throw new ConfigError(
      'REELCAST_CONFIG',
      file,
      'config file not found; fix the path or unset REELCAST_CONFIG',
    );
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(readFileSync(file, 'utf8'), { lineCounter, prettyErrors: false });
  const whereOf = (offset: number | undefined): string => {
    const { line, col } = lineCounter.linePos(offset ?? 0);
    return `${file}:${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    throw new ConfigError('(yaml)', whereOf(err.pos[0]), `not valid YAML: ${err.message.split('\n')[0]}`);
  }
  const known = new Set<string>(SETTINGS.map((s) => s.key));
  const out = new Map<string, FileValue>();
  const walk = (node: Node | null, prefix: string): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const keyNode = pair.key as Node;
        const name = isScalar(keyNode) ? String(keyNode.value) : '?';
        const key = prefix ? `${prefix}.${name}` : name;
        const isBranch = [...known].some((k) => k.startsWith(`${key}.`));
        if (!known.has(key) && !isBranch) {
          throw new ConfigError(key, whereOf(keyNode.range?.[0]), `unknown setting${suggest(key, known)}`);
        }
        walk(pair.value as Node, key);
      }
    } else if (node !== null && node !== undefined) {
      const value = isScalar(node) ? node.value : node.toJSON();
      if (!known.has(prefix))
        throw new ConfigError(
          prefix,
          whereOf(node.range?.[0]),
          'expected a section (key: value lines under it)',
        );
      out.set(prefix, { value, where: whereOf(node.range?.[0]) });
    }
  };
  walk(doc.contents as Node | null, '');
  return out;
}

function suggest(key: string, known: Set<string>): string {
  const last = key.split('.').pop()!.toLowerCase();
  const close = [...known].find(
    (k) => k.toLowerCase().endsWith(last) || k.split('.').pop()!.toLowerCase().startsWith(last.slice(0, 5)),
  );
  return close ? ` (did you mean ${close}?)` : ' (see `reelcast config --reference`)';
}

function pickRaw(
  setting: Setting,
  env: NodeJS.ProcessEnv,
  fromFile: Map<string, FileValue>,
  cwd: string,
): { raw: unknown; source: ValueSource; where?: string } {
  if (setting.type.kind === 'secret') {
    const fileVar = `${setting.env}_FILE`;
    if (fromFile.has(setting.key)) {
      throw new ConfigError(
        setting.key,
        fromFile.get(setting.key)!.where,
        `secrets are not read from the config file; set ${setting.env} or ${fileVar} (a path to a file holding it) in the environment`,
      );
    }
    if (env[setting.env]) return { raw: env[setting.env], source: 'env', where: setting.env };
    if (env[fileVar]) {
      const path = resolve(cwd, env[fileVar]!);
      if (!existsSync(path)) throw new ConfigError(setting.key, fileVar, `file ${path} does not exist`);
      return { raw: readFileSync(path, 'utf8').trim(), source: 'env', where: fileVar };
    }
    return { raw: undefined, source: 'unset' };
  }
  const fromEnv = env[setting.env];
  if (fromEnv !== undefined && fromEnv !== '') return { raw: fromEnv, source: 'env', where: setting.env };
  const inFile = fromFile.get(setting.key);
  if (inFile !== undefined) return { raw: inFile.value, source: 'file', where: inFile.where };
  if (setting.default !== undefined) return { raw: setting.default, source: 'default' };
  return { raw: undefined, source: 'unset' };
}

function parseValue(setting: Setting, raw: unknown, where: string, cwd: string): unknown {
  const text = typeof raw === 'string' ? raw.trim() : raw;
  const fail = (expected: string): never => {
    throw new ConfigError(setting.key, where, `expected ${expected}, got ${JSON.stringify(raw)}`);
  };
  const t = setting.type;
  switch (t.kind) {
    case 'string':
      return typeof text === 'string' || typeof text === 'number' ? String(text) : fail('text');
    case 'path':
      return typeof text === 'string' && text ? resolve(cwd, text) : fail('a path');
    case 'url': {
      if (typeof text !== 'string') return fail('a URL such as http://127.0.0.1:9000');
      try {
        const u = new URL(text);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') fail('an http:// or https:// URL');
        return text.replace(/\/+$/, '');
      } catch {
        return fail('a URL such as http://127.0.0.1:9000');
      }
    }
    case 'int': {
      const n = typeof text === 'number' ? text : /^-?\d+$/.test(String(text)) ? Number(text) : NaN;
      const range = t.max === undefined ? `≥ ${t.min}` : `from ${t.min} to ${t.max}`;
      if (!Number.isInteger(n) || n < t.min || (t.max !== undefined && n > t.max))
        return fail(`a whole number ${range}`);
      return n;
    }
    case 'bool': {
      const s = String(text).toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(s)) return true;
      if (['false', '0', 'no', 'off'].includes(s)) return false;
      return fail('true or false');
    }
    case 'enum':
      return t.values.includes(String(text)) ? String(text) : fail(`one of ${t.values.join(', ')}`);
    case 'list': {
      const items = (Array.isArray(text) ? text : String(text).split(','))
        .map((s) => String(s).trim())
        .filter(Boolean);
      const bad = items.filter((i) => !t.values.includes(i));
      if (bad.length > 0 || items.length === 0)
        return fail(`a comma-separated list of ${t.values.join(', ')}`);
      return [...new Set(items)];
    }
    case 'secret':
      return new Secret(String(text));
  }
}

function unflatten(flat: Record<string, unknown>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const setting of SETTINGS) {
    const parts = setting.key.split('.');
    let node = root;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    if (flat[setting.key] !== undefined) node[parts[parts.length - 1]] = flat[setting.key];
  }
  return root;
}

/**
 * `REELCAST_*` variables in the environment that Reelcast does not read: a misspelt setting
 * (REELCAST_STORAGE_KIND for REELCAST_STORAGE) would otherwise be ignored without a word.
 */
export function unknownVariables(env: NodeJS.ProcessEnv = process.env): string[] {
  const known = new Set<string>([
    ...SETTINGS.flatMap((s) => (s.type.kind === 'secret' ? [s.env, `${s.env}_FILE`] : [s.env])),
    ...OTHER_VARIABLES.map((v) => v.env),
  ]);
  const candidates = SETTINGS.map((s) => s.env).filter((e) => e.startsWith('REELCAST_'));
  return Object.keys(env)
    .filter((name) => name.startsWith('REELCAST_') && !known.has(name))
    .sort()
    .map((name) => {
      const close = closestSetting(name, candidates);
      return `warning: ${name} is not a Reelcast setting and is ignored${close ? ` (did you mean ${close}, ${SETTINGS.find((s) => s.env === close)!.key}?)` : ''}; see \`reelcast config --reference\``;
    });
}

/** A typo, or the same name with a word added or missing (REELCAST_STORAGE_KIND → REELCAST_STORAGE). */
function closestSetting(name: string, candidates: string[]): string | undefined {
  const typo = /"(.*)"/.exec(didYouMean(name, candidates))?.[1];
  if (typo) return typo;
  const words = (n: string) => new Set(n.split('_').slice(1));
  const mine = words(name);
  let best: string | undefined;
  let bestShared = 0;
  for (const c of candidates) {
    const theirs = words(c);
    const shared = [...theirs].filter((w) => mine.has(w)).length;
    // Every word of the setting appears in the name, or every word of the name in the setting.
    if ((shared === theirs.size || shared === mine.size) && shared > bestShared) {
      best = c;
      bestShared = shared;
    }
  }
  return best;
}
