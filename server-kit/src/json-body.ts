// Request bodies as both services accept them: JSON text in UTF-8 (RFC 8259), refused rather than
// altered when the bytes are not valid UTF-8, a JSON object (every Matrix and bridge body is one),
// and no deeper than a service's limit (recursive code — validation, canonical JSON, hashing — must
// not overflow the stack). Each service turns a problem into its own error type.

export interface JsonBodyProblem {
  errcode: 'M_NOT_JSON' | 'M_BAD_JSON';
  /** Names what was wrong, in words both services use ("request body is …"). */
  message: string;
}

export type JsonBodyResult = { ok: true; value: Record<string, unknown> } | { ok: false; problem: JsonBodyProblem };

/** Whether `value` nests objects or arrays more than `max` levels deep (iterative: no recursion to overflow). */
export function jsonDepthExceeds(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

// ignoreBOM: false would silently drop a leading BOM; kept, it makes JSON.parse refuse the body.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function parseJsonObjectBody(bytes: Uint8Array, maxDepth: number): JsonBodyResult {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return { ok: false, problem: { errcode: 'M_NOT_JSON', message: 'request body is not valid UTF-8' } };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problem: { errcode: 'M_NOT_JSON', message: 'request body is not valid JSON' } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    return { ok: false, problem: { errcode: 'M_BAD_JSON', message: `request body must be a JSON object, not ${what}` } };
  }
  if (jsonDepthExceeds(value, maxDepth)) {
    return { ok: false, problem: { errcode: 'M_BAD_JSON', message: `request body is nested more than ${maxDepth} levels deep` } };
  }
  return { ok: true, value: value as Record<string, unknown> };
}
