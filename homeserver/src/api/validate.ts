// Small typed readers for request bodies and query parameters. Each failure names the field and what
// was expected, with the errcode the spec gives for it (M_BAD_JSON for wrong types in a body,
// M_MISSING_PARAM for absent required fields, M_INVALID_PARAM for bad query values).
import { badJson, invalidParam, missingParam } from './errors.ts';
import type { JsonObject, JsonValue } from '../core/pdu.ts';

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function requireObject(v: unknown, what: string): JsonObject {
  if (!isObject(v)) throw badJson(`${what} must be a JSON object`);
  return v;
}

export function optString(body: JsonObject, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badJson(`'${key}' must be a string`);
  return v;
}

export function reqString(body: JsonObject, key: string): string {
  const v = optString(body, key);
  if (v === undefined) throw missingParam(`'${key}' is required`);
  return v;
}

export function optBool(body: JsonObject, key: string): boolean | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw badJson(`'${key}' must be a boolean`);
  return v;
}

export function optInt(body: JsonObject, key: string): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw badJson(`'${key}' must be an integer`);
  return v;
}

export function optObject(body: JsonObject, key: string): JsonObject | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw badJson(`'${key}' must be an object`);
  return v;
}

export function optArray(body: JsonObject, key: string): JsonValue[] | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw badJson(`'${key}' must be an array`);
  return v;
}

export function optStringArray(body: JsonObject, key: string): string[] | undefined {
  const v = optArray(body, key);
  if (v === undefined) return undefined;
  if (!v.every((x) => typeof x === 'string')) throw badJson(`'${key}' must be an array of strings`);
  return v as string[];
}

/** Reads an integer query parameter within bounds. */
export function queryInt(q: URLSearchParams, key: string, dflt: number, min: number, max: number): number {
  const raw = q.get(key);
  if (raw === null || raw === '') return dflt;
  if (!/^-?\d+$/.test(raw)) throw invalidParam(`query parameter '${key}' must be an integer`);
  const n = Number(raw);
  return Math.min(max, Math.max(min, n));
}
