// Checks an untrusted value against a TypeBox schema and explains every problem as "path: expected
// X, got Y", so a bad receipt, event or request says exactly what to fix. Uses TypeBox's Value
// module rather than its compiler: the compiler builds functions with `new Function`, which a strict
// Content-Security-Policy forbids in the web client.

import { Kind } from '@sinclair/typebox';
import type { Static, TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType } from '@sinclair/typebox/value';
import type { ValueError } from '@sinclair/typebox/value';

/** One problem with a value: where (JSON Pointer, "/" for the value itself) and what was expected. */
export interface SchemaIssue {
  path: string;
  expected: string;
  message: string;
}

export type Validation<T> = { ok: true; value: T } | { ok: false; issues: SchemaIssue[] };

/** Thrown by `assertValid`; `message` lists the first issues, `issues` has all of them. */
export class SchemaValidationError extends Error {
  readonly issues: SchemaIssue[];
  constructor(what: string, issues: SchemaIssue[]) {
    super(`invalid ${what}: ${formatIssues(issues)}`);
    this.issues = issues;
  }
}

/** Validates `value`; on failure returns one issue per offending path (missing properties first). */
export function validate<T extends TSchema>(schema: T, value: unknown): Validation<Static<T>> {
  if (Value.Check(schema, value)) return { ok: true, value: value as Static<T> };
  return { ok: false, issues: schemaIssues(schema, value) };
}

/** Returns the validated value typed, or throws a SchemaValidationError naming each bad path. */
export function assertValid<T extends TSchema>(schema: T, value: unknown, what: string): Static<T> {
  const result = validate(schema, value);
  if (!result.ok) throw new SchemaValidationError(what, result.issues);
  return result.value;
}

/** The issues of `value` against `schema` (empty when valid); `basePath` prefixes every path. */
export function schemaIssues(schema: TSchema, value: unknown, basePath = ''): SchemaIssue[] {
  const seen = new Set<string>();
  const issues: SchemaIssue[] = [];
  for (const error of Value.Errors(schema, value)) {
    const path = basePath + error.path || '/';
    // TypeBox reports a missing property twice (missing, then wrong type); the first says it best.
    if (seen.has(path)) continue;
    seen.add(path);
    issues.push(issueFor(error, path));
  }
  return issues;
}

/** Builds an issue for cross-field rules that a schema cannot express. */
export function makeIssue(path: string, expected: string, received: string): SchemaIssue {
  return { path, expected, message: `${path}: expected ${expected}, got ${received}` };
}

/** Joins issues into one line for an error message, keeping it short when there are many. */
export function formatIssues(issues: readonly SchemaIssue[], max = 5): string {
  const shown = issues.slice(0, max).map((i) => i.message);
  if (issues.length > max) shown.push(`and ${issues.length - max} more`);
  return shown.join('; ');
}

function issueFor(error: ValueError, path: string): SchemaIssue {
  if (error.type === ValueErrorType.ObjectAdditionalProperties) {
    const allowed = Object.keys((error.schema as { properties?: object }).properties ?? {});
    const expected = allowed.length > 0 ? `no other properties than ${allowed.join(', ')}` : 'no properties';
    return makeIssue(path, expected, 'an unexpected property');
  }
  return makeIssue(path, describeSchema(error.schema), describeReceived(error));
}

/** A short noun phrase for what a schema accepts ("an integer ≥ 0", "one of "low", "high""). */
export function describeSchema(schema: TSchema): string {
  const s = schema as Record<string, unknown> & TSchema;
  // An explicit hint wins (the convention policy.ts uses for its schemas).
  if (typeof s['x-expected'] === 'string') return s['x-expected'];
  switch (s[Kind]) {
    case 'Literal':
      return JSON.stringify(s.const);
    case 'Union': {
      const members = (s.anyOf as TSchema[]).map(describeSchema);
      return `one of ${members.join(', ')}`;
    }
    case 'String': {
      if (typeof s.description === 'string') return s.description;
      const bounds = lengthBounds(s.minLength, s.maxLength, 'character');
      const pattern = typeof s.pattern === 'string' ? ` matching /${s.pattern}/` : '';
      return `a string${bounds}${pattern}`;
    }
    case 'Integer':
    case 'Number': {
      if (typeof s.description === 'string') return s.description;
      const noun = s[Kind] === 'Integer' ? 'an integer' : 'a number';
      const min = typeof s.minimum === 'number' ? ` ≥ ${s.minimum}` : '';
      const max = typeof s.maximum === 'number' ? ` ≤ ${s.maximum}` : '';
      return `${noun}${min}${min && max ? ' and' : ''}${max}`;
    }
    case 'Boolean':
      return 'true or false';
    case 'Null':
      return 'null';
    case 'Array': {
      const items = describeSchema(s.items as TSchema);
      const bounds = lengthBounds(s.minItems, s.maxItems, 'item');
      const unique = s.uniqueItems === true ? ', without duplicates' : '';
      return `a list${bounds} of ${items}${unique}`;
    }
    case 'Object':
      return typeof s.title === 'string' ? `an object (${s.title})` : 'an object';
    default:
      return typeof s.description === 'string' ? s.description : 'a value of another kind';
  }
}

function lengthBounds(min: unknown, max: unknown, unit: string): string {
  const lo = typeof min === 'number' ? min : undefined;
  const hi = typeof max === 'number' ? max : undefined;
  if (lo !== undefined && hi !== undefined) return lo === hi ? ` of ${lo} ${unit}s` : ` of ${lo}–${hi} ${unit}s`;
  if (lo !== undefined) return ` of at least ${lo} ${unit}${lo === 1 ? '' : 's'}`;
  if (hi !== undefined) return ` of at most ${hi} ${unit}${hi === 1 ? '' : 's'}`;
  return '';
}

// What was received, described by shape only: values may be identifiers that do not belong in logs.
function describeReceived(error: ValueError): string {
  const v = error.value;
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return 'nothing (the property is missing)';
    case ValueErrorType.StringPattern:
      return 'a string in another format';
    case ValueErrorType.StringMaxLength:
    case ValueErrorType.StringMinLength:
      return `a string of ${(v as string).length} characters`;
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.NumberMaximum:
      return 'a number outside that range';
    case ValueErrorType.Union:
      return isLiteralUnion(error.schema) && typeof v === 'string' ? 'a string that is none of these' : describeValueShape(v);
    case ValueErrorType.ArrayUniqueItems:
      return 'a list with duplicates';
    case ValueErrorType.ArrayMaxItems:
    case ValueErrorType.ArrayMinItems:
      return `a list of ${(v as unknown[]).length} items`;
    default:
      return describeValueShape(v);
  }
}

function isLiteralUnion(schema: TSchema): boolean {
  const members = (schema as { anyOf?: TSchema[] }).anyOf ?? [];
  return members.length > 0 && members.every((m) => m[Kind] === 'Literal');
}

/** The JSON kind of a value, for messages: "a string", "a number with a fraction", "null", … */
export function describeValueShape(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  switch (typeof v) {
    case 'string':
      return 'a string';
    case 'number':
      if (!Number.isFinite(v)) return 'a non-finite number';
      if (!Number.isInteger(v)) return 'a number with a fraction';
      return Number.isSafeInteger(v) ? 'an integer' : 'an integer out of range';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'an object';
    default:
      return `a ${typeof v}`;
  }
}
