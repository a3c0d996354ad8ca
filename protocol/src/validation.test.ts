import { describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { assertValid, describeSchema, formatIssues, schemaIssues, SchemaValidationError, validate } from './validation.ts';

const Person = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 10 }),
    age: Type.Integer({ minimum: 0, maximum: 150 }),
    role: Type.Union([Type.Literal('student'), Type.Literal('supporter')]),
    tags: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z]+$', description: 'a lower-case tag' }), { maxItems: 2, uniqueItems: true })),
    home: Type.Optional(Type.Object({ server: Type.String({ 'x-expected': 'a server name' }) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

describe('schema validation messages', () => {
  it('returns the value typed when it is valid', () => {
    const result = validate(Person, { name: 'Ada', age: 20, role: 'student' });
    expect(result).toEqual({ ok: true, value: { name: 'Ada', age: 20, role: 'student' } });
  });
  it('names a missing property and what belongs there', () => {
    const [issue, ...rest] = schemaIssues(Person, { age: 20, role: 'student' });
    expect(rest).toEqual([]);
    expect(issue).toEqual({
      path: '/name',
      expected: 'a string of 1–10 characters',
      message: '/name: expected a string of 1–10 characters, got nothing (the property is missing)',
    });
  });
  it('names an unexpected property and lists the allowed ones', () => {
    const issues = schemaIssues(Person, { name: 'Ada', age: 20, role: 'student', note: 'hi' });
    expect(issues.map((i) => i.path)).toEqual(['/note']);
    expect(issues[0]!.message).toBe('/note: expected no other properties than name, age, role, tags, home, got an unexpected property');
  });
  it('lists the allowed values of a union of literals', () => {
    const issues = schemaIssues(Person, { name: 'Ada', age: 20, role: 'admin' });
    expect(issues[0]!.message).toBe('/role: expected one of "student", "supporter", got a string that is none of these');
  });
  it('points into arrays and nested objects with JSON Pointer paths', () => {
    const issues = schemaIssues(Person, { name: 'Ada', age: 20, role: 'student', tags: ['ok', 'NO'], home: { server: 5 } });
    expect(issues.map((i) => [i.path, i.expected])).toEqual([
      ['/tags/1', 'a lower-case tag'],
      ['/home/server', 'a server name'],
    ]);
  });
  it('describes numbers out of range, fractions, duplicates and overlong lists', () => {
    const messages = schemaIssues(Person, { name: 'Ada', age: 1.5, role: 'student', tags: ['a', 'a', 'b'] }).map((i) => i.message);
    expect(messages).toContain('/age: expected an integer ≥ 0 and ≤ 150, got a number with a fraction');
    expect(messages.some((m) => m.startsWith('/tags: expected a list of at most 2 items of a lower-case tag, without duplicates, got a list'))).toBe(true);
    expect(schemaIssues(Person, { name: 'Ada', age: -1, role: 'student' })[0]!.message).toBe(
      '/age: expected an integer ≥ 0 and ≤ 150, got a number outside that range',
    );
  });
  it('reports a wrong top-level type at path "/" without echoing the value', () => {
    const issues = schemaIssues(Person, 'secret-token-123');
    expect(issues).toEqual([{ path: '/', expected: 'an object', message: '/: expected an object, got a string' }]);
  });
  it('prefixes paths with a base path', () => {
    expect(schemaIssues(Person, { name: '', age: 1, role: 'student' }, '/body')[0]!.path).toBe('/body/name');
  });
  it('throws a SchemaValidationError carrying every issue from assertValid', () => {
    let caught: unknown;
    try {
      assertValid(Person, { name: 7, age: 'x', role: 'student' }, 'person');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(SchemaValidationError);
    const error = caught as SchemaValidationError;
    expect(error.issues.map((i) => i.path)).toEqual(['/name', '/age']);
    expect(error.message).toBe('invalid person: /name: expected a string of 1–10 characters, got an integer; /age: expected an integer ≥ 0 and ≤ 150, got a string');
  });
  it('shortens long issue lists', () => {
    const issues = Array.from({ length: 8 }, (_, i) => ({ path: `/${i}`, expected: 'x', message: `m${i}` }));
    expect(formatIssues(issues, 3)).toBe('m0; m1; m2; and 5 more');
  });
  it('describes schemas as noun phrases', () => {
    expect(describeSchema(Type.Boolean())).toBe('true or false');
    expect(describeSchema(Type.Literal(1))).toBe('1');
    expect(describeSchema(Type.String({ pattern: '^a$' }))).toBe('a string matching /^a$/');
    expect(describeSchema(Type.Array(Type.Integer(), { minItems: 1 }))).toBe('a list of at least 1 item of an integer');
  });
});
