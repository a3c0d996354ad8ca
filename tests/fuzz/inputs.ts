// What the endpoint fuzzer sends: a fixed list of edge cases every endpoint gets (malformed and
// wrongly typed bodies, over-limit and deeply nested ones, unicode edge cases, bad path parameters
// and query values) and seeded random ones from fast-check. A case is `invalid` when every endpoint
// must refuse it (4xx, nothing changed) and `shape` when a lenient endpoint may accept it (then only
// "no 5xx, no hang, a JSON error when refused, nothing changed when refused" holds).
import fc from 'fast-check';

export type CaseClass = 'invalid' | 'shape';

export interface BodyCase {
  name: string;
  class: CaseClass;
  bytes: Buffer;
  /** The parsed value when the bytes are JSON (federation requests sign it). */
  json?: unknown;
  contentType?: string;
  /** Sent with Transfer-Encoding: chunked and no Content-Length. */
  chunked?: boolean;
}

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
const jsonCase = (name: string, cls: CaseClass, value: unknown, extra: Partial<BodyCase> = {}): BodyCase => ({ name, class: cls, bytes: utf8(JSON.stringify(value)), json: value, ...extra });

/** `[[[…]]]` nested `depth` levels. */
export function deepArray(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/** `{"a":{"a":…{}}}` nested `depth` levels. */
export function deepObject(depth: number): string {
  return '{"a":'.repeat(depth) + '{}' + '}'.repeat(depth);
}

/** Strings that have broken naive code: lone surrogates, NUL, BOM, RTL override, non-characters. */
export const UNICODE_EDGES: readonly { name: string; value: string }[] = [
  { name: 'lone high surrogate', value: '\ud800' },
  { name: 'lone low surrogate', value: 'x\udfffy' },
  { name: 'NUL', value: 'a\u0000b' },
  { name: 'BOM', value: '\ufeffhello' },
  { name: 'RTL override', value: '\u202eevil\u202c' },
  { name: 'non-characters', value: '\ufffe\uffff\u{1fffe}\u{10ffff}' },
  { name: 'combining pile-up', value: 'e' + '\u0301'.repeat(500) },
  { name: 'astral', value: '\u{1f600}\u{10000}' },
];

/** Field names of the Client-Server, Server-Server and bridge APIs, given values of the wrong type. */
export const COMMON_FIELDS = [
  'type', 'body', 'msgtype', 'content', 'name', 'topic', 'invite', 'preset', 'visibility', 'room_version', 'initial_state',
  'user_id', 'reason', 'displayname', 'avatar_url', 'password', 'new_password', 'identifier', 'auth', 'device_id', 'device_keys',
  'one_time_keys', 'fallback_keys', 'messages', 'timeout', 'limit', 'filter', 'room', 'event_fields', 'presence', 'status_msg',
  'typing', 'm.fully_read', 'm.read', 'actions', 'conditions', 'pattern', 'enabled', 'algorithm', 'auth_data', 'version', 'rooms',
  'sessions', 'pdus', 'edus', 'origin', 'origin_server_ts', 'event_id', 'room_id', 'devices', 'uses_allowed', 'expiry_time', 'token',
  'nonce', 'mac', 'username', 'admin', 'search_term', 'pushkey', 'kind', 'app_id', 'data', 'topic_id', 'topics', 'training', 'active',
  'available', 'public_key', 'receipt', 'severity', 'outcome', 'to', 'accept', 'action', 'reason_code', 'session_id', 'answers',
  'ticket', 'helpfulness', 'felt_safe', 'themes', 'share', 'events', 'access_token', 'matrix_server_name', 'token_type', 'expires_in',
] as const;

/** Values of every JSON type, a few of them extreme. */
export const WRONG_VALUES: readonly { name: string; value: unknown; raw?: string }[] = [
  { name: 'null', value: null },
  { name: 'number', value: 42 },
  { name: 'negative float', value: -1.5 },
  { name: 'huge integer', value: 0, raw: '123456789012345678901234567890' },
  { name: 'float overflowing to Infinity', value: 0, raw: '1e400' },
  { name: 'boolean', value: true },
  { name: 'string', value: 'not-what-you-want' },
  { name: 'array', value: [1, 'two', null] },
  { name: 'object', value: { nested: { deeper: [] } } },
  { name: 'empty string', value: '' },
];

function rawObjectWith(field: string, rawValue: string): Buffer {
  return utf8(`{${JSON.stringify(field)}:${rawValue}}`);
}

/**
 * The deterministic body cases. `limitBytes` is the listener's body limit: the over-limit cases
 * are one byte and a few bytes over it.
 */
export function bodyCases(limitBytes: number): BodyCase[] {
  const cases: BodyCase[] = [
    { name: 'malformed JSON: truncated', class: 'invalid', bytes: utf8('{"a": ') },
    { name: 'malformed JSON: single quotes', class: 'invalid', bytes: utf8("{'a': 1}") },
    { name: 'malformed JSON: trailing comma', class: 'invalid', bytes: utf8('{"a": 1,}') },
    { name: 'malformed JSON: NaN', class: 'invalid', bytes: utf8('{"a": NaN}') },
    { name: 'malformed JSON: two documents', class: 'invalid', bytes: utf8('{}{}') },
    { name: 'malformed JSON: a bare NUL byte', class: 'invalid', bytes: Buffer.from([0]) },
    { name: 'JSON after a byte-order mark', class: 'invalid', bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8('{}')]) },
    { name: 'over-long UTF-8 (C0 AF for "/")', class: 'invalid', bytes: Buffer.concat([utf8('{"a":"'), Buffer.from([0xc0, 0xaf]), utf8('"}')]) },
    { name: 'UTF-8-encoded surrogate (ED A0 80)', class: 'invalid', bytes: Buffer.concat([utf8('{"a":"'), Buffer.from([0xed, 0xa0, 0x80]), utf8('"}')]) },
    { name: 'invalid UTF-8 byte FF', class: 'invalid', bytes: Buffer.concat([utf8('{"a":"'), Buffer.from([0xff]), utf8('"}')]) },
    { name: 'UTF-16 body', class: 'invalid', bytes: Buffer.from('{"a":"b"}', 'utf16le') },
    jsonCase('top level array', 'invalid', []),
    jsonCase('top level string', 'invalid', 'hello'),
    jsonCase('top level number', 'invalid', 7),
    jsonCase('top level null', 'invalid', null),
    jsonCase('top level boolean', 'invalid', true),
    { name: 'top level array nested 100,000 deep', class: 'invalid', bytes: utf8(deepArray(100_000)) },
    { name: 'body one byte over the limit', class: 'invalid', bytes: utf8(`{"a":"${'x'.repeat(limitBytes - 7)}"}`) },
    { name: 'body over the limit, chunked without a length', class: 'invalid', bytes: utf8(`{"a":"${'x'.repeat(limitBytes + 100)}"}`), chunked: true },
    { name: 'malformed JSON as text/plain', class: 'invalid', bytes: utf8('{"a":'), contentType: 'text/plain' },
    { name: 'form-encoded body', class: 'invalid', bytes: utf8('a=1&b=2'), contentType: 'application/x-www-form-urlencoded' },
    { name: 'object nested 100,000 deep', class: 'shape', bytes: utf8(`{"content":${deepObject(100_000)}}`) },
    { name: 'array nested 100,000 deep in a field', class: 'shape', bytes: utf8(`{"content":${deepArray(100_000)},"body":${deepArray(100_000)}}`) },
    jsonCase('empty object (missing required fields)', 'shape', {}),
    jsonCase('huge string field', 'shape', { body: 'x'.repeat(Math.min(500_000, Math.floor(limitBytes / 2))), name: 'y'.repeat(10_000) }),
    jsonCase('huge array field', 'shape', { invite: Array.from({ length: Math.min(100_000, Math.floor(limitBytes / 8)) }, (_, i) => i), devices: [] }),
    jsonCase('many keys', 'shape', Object.fromEntries(Array.from({ length: Math.min(20_000, Math.floor(limitBytes / 40)) }, (_, i) => [`k${i}`, i]))),
    jsonCase('valid JSON with the wrong content type', 'shape', {}, { contentType: 'text/plain' }),
  ];
  for (const u of UNICODE_EDGES) {
    cases.push(jsonCase(`unicode edge in values and keys: ${u.name}`, 'shape', Object.fromEntries(COMMON_FIELDS.slice(0, 12).map((f) => [f, u.value]).concat([[u.value, u.value]]))));
  }
  for (const w of WRONG_VALUES) {
    // Every common field at once with the same wrong type, so each endpoint meets its own fields.
    const raw = w.raw ?? JSON.stringify(w.value);
    const bytes = utf8(`{${COMMON_FIELDS.map((f) => `${JSON.stringify(f)}:${raw}`).join(',')}}`);
    cases.push({ name: `wrong field types: every field ${w.name}`, class: 'shape', bytes, ...(w.raw ? {} : { json: JSON.parse(bytes.toString('utf8')) as unknown }) });
  }
  for (const w of WRONG_VALUES.filter((x) => x.raw)) {
    cases.push({ name: `a single field ${w.name}`, class: 'shape', bytes: rawObjectWith('limit', w.raw!) });
  }
  return cases;
}

/** Path parameter values that are malformed for every kind of id. */
export const BAD_PATH_PARAMS: readonly { name: string; raw: string }[] = [
  { name: 'malformed id', raw: 'not-an-id' },
  { name: 'bare sigil', raw: encodeURIComponent('!') },
  { name: 'id without server', raw: encodeURIComponent('@nobody') },
  { name: 'id with a bad server name', raw: encodeURIComponent('!x:bad server:99999999') },
  { name: 'encoded slash', raw: '%2F..%2F..%2Fetc%2Fpasswd' },
  { name: 'dot dot', raw: '..' },
  { name: 'dot', raw: '.' },
  { name: 'encoded NUL', raw: '%00' },
  { name: 'bad percent-encoding', raw: '%ZZ' },
  { name: 'over-long UTF-8 percent-encoded', raw: '%C0%AF' },
  { name: 'lone surrogate percent-encoded', raw: '%ED%A0%80' },
  { name: 'RTL override and BOM, no server name', raw: encodeURIComponent('!\u202eevil\ufeff') },
  { name: 'huge (8 KB)', raw: 'a'.repeat(8_000) },
  { name: 'huge (100 KB, over the header limit)', raw: 'b'.repeat(100_000) },
];

/** Query strings with bad values for the parameters endpoints read, and repeated parameters. */
export const BAD_QUERIES: readonly { name: string; query: string }[] = [
  { name: 'negative limit', query: 'limit=-1' },
  { name: 'non-numeric limit and timeout', query: 'limit=abc&timeout=abc' },
  { name: 'overflowing numbers', query: 'limit=1e400&timeout=1e400&since=1e400' },
  { name: 'huge numbers', query: 'limit=99999999999999999999&timeout=99999999999999999999' },
  { name: 'negative timeout', query: 'timeout=-5' },
  { name: 'bad direction and tokens', query: 'dir=sideways&from=%00&to=%FF&since=garbage' },
  { name: 'repeated parameters', query: 'limit=1&limit=2&dir=b&dir=f&filter=1&filter=%7B%7D&user_id=a&user_id=b' },
  { name: 'array-style keys', query: 'limit[]=1&dir[x]=b' },
  { name: 'bad JSON filter', query: 'filter=%7B%22room%22%3A' },
  { name: 'unicode edges in values', query: `from=${encodeURIComponent('\u202e\ufeff')}&search_term=%ED%A0%80&group_id=%C0%AF` },
  { name: 'huge value (8 KB)', query: `from=${'z'.repeat(8_000)}` },
  { name: 'bad enum values', query: 'ver=%00&membership=nonsense&not_membership=%FF&set_presence=sideways&full_state=maybe&status=x&kind=x' },
];

export interface RandomCase {
  body: BodyCase;
  pathParam: string;
  query: string;
}

const unicodeString = fc.string({ unit: 'binary', maxLength: 40 });
const anyJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    fc.constant(null), fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), unicodeString,
    fc.constantFrom(...UNICODE_EDGES.map((u) => u.value)),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...COMMON_FIELDS), unicodeString), tie('value'), { maxKeys: 6 })),
})).value;

const randomBody: fc.Arbitrary<BodyCase> = fc.oneof(
  fc.dictionary(fc.oneof(fc.constantFrom(...COMMON_FIELDS), unicodeString), anyJson, { maxKeys: 8 }).map((v) => jsonCase('random object', 'shape', v)),
  anyJson.filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)).map((v) => jsonCase('random non-object', 'invalid', v)),
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => ({ name: 'random bytes', class: 'shape' as const, bytes: Buffer.from(b) })),
);

const randomQuery = fc.array(fc.tuple(fc.constantFrom('limit', 'dir', 'from', 'to', 'since', 'filter', 'timeout', 'user_id', 'ver', 'membership', 'group_id', 'status', 'full_state', 'set_presence', 'kind', 'x'), unicodeString), { maxLength: 4 })
  // A numeric timeout would make long polls wait for it: the fuzzer asks for bad values only.
  .map((pairs) => pairs.filter(([k, v]) => !(k === 'timeout' && /^\s*\+?\d/.test(v))).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v.replace(/[\ud800-\udfff]/g, '\ufffd'))}`).join('&'));

const randomPathParam = fc.oneof(
  unicodeString.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '\ufffd')) || 'x'),
  fc.constantFrom('!', '@', '$', '#', '+').chain((sigil) => unicodeString.map((s) => encodeURIComponent(`${sigil}${s.replace(/[\ud800-\udfff]/g, '\ufffd')}`))),
);

/** `n` random cases from `seed` (the same seed gives the same cases). */
export function randomCases(seed: number, n: number): RandomCase[] {
  return fc.sample(fc.record({ body: randomBody, pathParam: randomPathParam, query: randomQuery }), { seed, numRuns: n });
}
