import { describe, expect, it } from 'vitest';
import { jsonDepthExceeds, parseJsonObjectBody } from './json-body.ts';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('request bodies as JSON objects', () => {
  it('accepts a JSON object in UTF-8', () => {
    expect(parseJsonObjectBody(bytes('{"a":[1,{"b":"ü"}]}'), 10)).toEqual({ ok: true, value: { a: [1, { b: 'ü' }] } });
  });

  it('refuses invalid UTF-8 rather than repairing it, and a byte-order mark', () => {
    expect(parseJsonObjectBody(Uint8Array.from([0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x3a, 0x31, 0x7d]), 10)).toEqual({ ok: false, problem: { errcode: 'M_NOT_JSON', message: 'request body is not valid UTF-8' } });
    expect(parseJsonObjectBody(Uint8Array.from([0xef, 0xbb, 0xbf, ...bytes('{}')]), 10)).toMatchObject({ ok: false, problem: { errcode: 'M_NOT_JSON' } });
  });

  it('names what a body that is not an object is', () => {
    expect(parseJsonObjectBody(bytes('"bye"'), 10)).toEqual({ ok: false, problem: { errcode: 'M_BAD_JSON', message: 'request body must be a JSON object, not a string' } });
    expect(parseJsonObjectBody(bytes('[]'), 10)).toMatchObject({ problem: { message: 'request body must be a JSON object, not an array' } });
    expect(parseJsonObjectBody(bytes('null'), 10)).toMatchObject({ problem: { message: 'request body must be a JSON object, not null' } });
  });

  it('measures depth without recursion, so 100,000 levels are refused rather than overflowing the stack', () => {
    const deep = `{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    expect(parseJsonObjectBody(bytes(deep), 256)).toEqual({ ok: false, problem: { errcode: 'M_BAD_JSON', message: 'request body is nested more than 256 levels deep' } });
    expect(jsonDepthExceeds({ a: { b: {} } }, 3)).toBe(false);
    expect(jsonDepthExceeds({ a: { b: { c: {} } } }, 3)).toBe(true);
  });
});
