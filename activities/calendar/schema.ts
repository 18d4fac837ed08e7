import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import calendarSchema from '../../calendars/calendar.schema.json';
import { CalendarSchemaError } from './errors';
import { fieldName, positionOf, type FieldPath, type SourceFile } from './source';
import { didYouMean } from './suggest';

let compiled: { calendar: ValidateFunction; part: ValidateFunction } | undefined;

function validators(): { calendar: ValidateFunction; part: ValidateFunction } {
  if (!compiled) {
    // verbose: errors carry their schema, whose description tells a person what to write.
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: false });
    const calendar = ajv.compile(calendarSchema);
    const part = ajv.getSchema(`${calendarSchema.$id}#/definitions/part`)!;
    compiled = { calendar, part };
  }
  return compiled;
}

/** Checks a calendar file (`kind: 'calendar'`) or an included file (`'part'`) against the schema. */
export function checkSchema(source: SourceFile, kind: 'calendar' | 'part'): CalendarSchemaError[] {
  const validate = validators()[kind];
  if (validate(source.data)) return [];
  return explain(source, validate.errors ?? []);
}

function pathOf(instancePath: string): FieldPath {
  if (!instancePath) return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

function explain(source: SourceFile, errors: ErrorObject[]): CalendarSchemaError[] {
  // `anyOf` reports each failed branch and then itself; the branches alone only confuse.
  const anyOfPaths = new Set(
    errors.filter((e) => e.keyword === 'anyOf').map((e) => e.schemaPath.replace(/\/anyOf$/, '/anyOf/')),
  );
  const seen = new Set<string>();
  const out: CalendarSchemaError[] = [];
  for (const e of errors) {
    if ([...anyOfPaths].some((p) => e.schemaPath.startsWith(p))) continue;
    const path = pathOf(e.instancePath);
    const described = (e.parentSchema as { description?: string } | undefined)?.description;
    const expected = described ? `: expected ${described}` : '';
    let message: string;
    let at = positionOf(source, path);
    switch (e.keyword) {
      case 'additionalProperties': {
        const extra = String((e.params as { additionalProperty: string }).additionalProperty);
        const allowed = Object.keys((e.parentSchema as { properties?: object }).properties ?? {}).filter(
          (k) => k !== '$schema',
        );
        at = positionOf(source, [...path, extra], { key: true });
        message = `unknown field "${extra}"${didYouMean(extra, allowed)}; allowed here: ${allowed.join(', ')}`;
        break;
      }
      case 'required': {
        const missing = (e.params as { missingProperty: string }).missingProperty;
        const props =
          (e.parentSchema as { properties?: Record<string, { description?: string }> }).properties ?? {};
        const hint = props[missing]?.description ? ` (${props[missing].description})` : '';
        message = `missing field "${missing}"${hint}; add it${path.length ? ` under ${describePath(path)}` : ''}`;
        at = { ...at, field: [at.field, missing].filter(Boolean).join('.') };
        break;
      }
      case 'enum':
        message = `${describePath(path)} is ${JSON.stringify(e.data)}${expected || `: expected one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`}`;
        break;
      case 'type':
        message = `${describePath(path)} should be ${(e.params as { type: string | string[] }).type}, not ${typeName(e.data)}${expected}`;
        break;
      case 'anyOf':
        message = `${describePath(path)} has the wrong shape${expected}`;
        break;
      case 'pattern':
        message = `${describePath(path)} is ${JSON.stringify(e.data)}${expected || ', which has the wrong form'}`;
        break;
      case 'minimum':
      case 'maximum':
      case 'minLength':
      case 'minItems':
      case 'uniqueItems':
      case 'minProperties':
        message = `${describePath(path)} is ${JSON.stringify(e.data)}, which is not allowed (${e.message})${expected}`;
        break;
      default:
        message = `${describePath(path)} ${e.message}${expected}`;
    }
    const key = `${at.line}:${at.col}:${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(new CalendarSchemaError(at, message));
  }
  return out;
}

function describePath(path: FieldPath): string {
  return path.length === 0 ? 'the file' : fieldName(path);
}

function typeName(value: unknown): string {
  if (value === null) return 'empty';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : `${typeof value} ${JSON.stringify(value)}`;
}
