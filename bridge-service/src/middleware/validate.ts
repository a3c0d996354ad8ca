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
import { parseJsonObjectBody } from '../../../server-kit/src/json-body.ts';

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

/**
 * The body as a JSON object in UTF-8 (server-kit/json-body.ts): invalid UTF-8, a byte-order mark,
 * over-deep nesting and anything but an object are refused. Undefined when empty.
 */
async function jsonObjectBody(c: Context<AppEnv>): Promise<unknown> {
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.length === 0) return undefined;
  const r = parseJsonObjectBody(bytes, MAX_JSON_DEPTH);
  if (!r.ok) throw r.problem.errcode === 'M_NOT_JSON' ? new BridgeError(400, 'M_NOT_JSON', r.problem.message) : badJson(r.problem.message);
  return r.value;
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
