// Request validation at the boundary with the project's one validator (TypeBox): bodies must be
// JSON objects matching the route's schema, query strings are coerced to the schema's types. Errors
// name the field and what was expected. Compiled checkers are cached per schema.
import type { Context } from 'hono';
import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { describeSchemaErrors } from '../../../protocol/src/policy.ts';
import { BridgeError, badJson } from '../errors.ts';
import type { AppEnv } from './context.ts';

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

export function checker<T extends TSchema>(schema: T): TypeCheck<T> {
  let c = compiled.get(schema);
  if (!c) {
    c = TypeCompiler.Compile(schema);
    compiled.set(schema, c);
  }
  return c as TypeCheck<T>;
}

function problemsOf(schema: TSchema, value: unknown, where: string): BridgeError {
  const problems = describeSchemaErrors(checker(schema).Errors(value)).map((p) => ({
    path: p.path.replace(/^\$/, where), message: p.message,
  }));
  const first = problems[0];
  return badJson(first ? `${first.path}: ${first.message}` : `${where} is invalid`, { problems });
}

/**
 * Deeper JSON than this is refused before validation, whose recursion it would overflow. Above the
 * depth homeservers let event content reach (Synapse: Python's recursion limit, ~1,000; ours: 256),
 * so that a transaction carrying a legitimately deep event is never refused for good.
 */
export const MAX_JSON_DEPTH = 1024;

function depthExceeds(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The body as JSON text in UTF-8 (RFC 8259): invalid UTF-8 is refused rather than altered, and so
 * is a byte-order mark, over-deep nesting and anything but an object. Undefined when empty.
 */
async function jsonObjectBody(c: Context<AppEnv>): Promise<unknown> {
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.length === 0) return undefined;
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    throw new BridgeError(400, 'M_NOT_JSON', 'The request body is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BridgeError(400, 'M_NOT_JSON', 'The request body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badJson('body: must be a JSON object');
  if (depthExceeds(value, MAX_JSON_DEPTH)) throw badJson(`body: is nested more than ${MAX_JSON_DEPTH} levels deep`);
  return value;
}

export async function validBody<T extends TSchema>(c: Context<AppEnv>, schema: T): Promise<Static<T>> {
  const value = await jsonObjectBody(c);
  if (value === undefined) throw new BridgeError(400, 'M_NOT_JSON', 'A JSON request body is required');
  if (!checker(schema).Check(value)) throw problemsOf(schema, value, 'body');
  return value as Static<T>;
}

/** For endpoints that read no body: none, or a JSON object (ignored) — never something malformed. */
export async function noStrayBody(c: Context<AppEnv>): Promise<void> {
  await jsonObjectBody(c);
}

export function validQuery<T extends TSchema>(c: Context<AppEnv>, schema: T): Static<T> {
  const raw: Record<string, string> = {};
  for (const [k, v] of new URL(c.req.url).searchParams) raw[k] = v;
  const converted = Value.Convert(schema, raw);
  if (!checker(schema).Check(converted)) throw problemsOf(schema, converted, 'query');
  return converted as Static<T>;
}
