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

export async function validBody<T extends TSchema>(c: Context<AppEnv>, schema: T): Promise<Static<T>> {
  const text = await c.req.text();
  let value: unknown;
  try {
    value = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new BridgeError(400, 'M_NOT_JSON', 'The request body is not valid JSON');
  }
  if (value === undefined) throw new BridgeError(400, 'M_NOT_JSON', 'A JSON request body is required');
  if (!checker(schema).Check(value)) throw problemsOf(schema, value, 'body');
  return value as Static<T>;
}

export function validQuery<T extends TSchema>(c: Context<AppEnv>, schema: T): Static<T> {
  const raw: Record<string, string> = {};
  for (const [k, v] of new URL(c.req.url).searchParams) raw[k] = v;
  const converted = Value.Convert(schema, raw);
  if (!checker(schema).Check(converted)) throw problemsOf(schema, converted, 'query');
  return converted as Static<T>;
}
