// Property-based tests (fast-check) of event hashing, signing and redaction for room versions 10 and 11,
// run through the same receipt path federation uses (RemoteEventHandler.checkPdu with a verifier that
// checks the redacted event, as room-federation.ts does): what the signature covers, what only the
// content hash covers, and the redaction algorithm's kept keys written out again from the spec.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../logger.ts';
import { RemoteEventHandler, type PduSignatureVerifier } from '../services/rooms/remote-events.ts';
import { computeContentHash, computeEventId, hashAndSignEvent } from './event-hash.ts';
import { serverNameOf } from './ids.ts';
import type { JsonObject, JsonValue, Pdu, RoomVersion } from './pdu.ts';
import { redactEvent } from './redaction.ts';
import { signingKeyFromSeed, verifyJsonSignature } from './signing.ts';

// Bounded in `npm test`; `npm run fuzz` raises it with PEERLINE_PROPERTY_RUNS.
const RUNS = Number(process.env['PEERLINE_PROPERTY_RUNS']) || 100;

const SERVERS = ['a.example', 'b.example'] as const;
const KEYS = new Map(SERVERS.map((s, n) => [s, signingKeyFromSeed(`ed25519:k${n}`, Buffer.alloc(32, n + 1))]));

/** The receipt path's signature check: every required signer's key over the redacted event. */
const verifier: PduSignatureVerifier = {
  async verify(pdu, version) {
    const redacted = redactEvent(pdu, version) as unknown as Record<string, unknown>;
    delete redacted['unsigned'];
    const server = serverNameOf(pdu.sender);
    const key = KEYS.get(server as (typeof SERVERS)[number]);
    if (!key || !verifyJsonSignature(redacted, server, key.keyId, key.publicKeyBase64)) throw new Error(`no valid signature of ${server}`);
  },
};
// checkPdu uses only the verifier and the logger.
const receipt = new RemoteEventHandler({
  db: null as never, store: null as never, cache: null as never, streams: null as never, persister: null as never, source: null as never,
  verifier, logger: memoryLogger(),
});

// ---- the spec's redaction algorithm, written out independently of redaction.ts ---------------------

const KEPT_TOP_LEVEL: Record<RoomVersion, string[]> = {
  '10': ['event_id', 'type', 'room_id', 'sender', 'state_key', 'content', 'hashes', 'signatures', 'depth', 'prev_events', 'prev_state', 'auth_events', 'origin', 'origin_server_ts', 'membership'],
  '11': ['event_id', 'type', 'room_id', 'sender', 'state_key', 'content', 'hashes', 'signatures', 'depth', 'prev_events', 'auth_events', 'origin_server_ts'],
};
const KEPT_CONTENT: Record<RoomVersion, Record<string, string[] | 'all'>> = {
  '10': {
    'm.room.member': ['membership', 'join_authorised_via_users_server'],
    'm.room.create': ['creator'],
    'm.room.join_rules': ['join_rule', 'allow'],
    'm.room.power_levels': ['ban', 'events', 'events_default', 'kick', 'redact', 'state_default', 'users', 'users_default'],
    'm.room.history_visibility': ['history_visibility'],
  },
  '11': {
    'm.room.member': ['membership', 'join_authorised_via_users_server', 'third_party_invite'],
    'm.room.create': 'all',
    'm.room.join_rules': ['join_rule', 'allow'],
    'm.room.power_levels': ['ban', 'events', 'events_default', 'kick', 'redact', 'state_default', 'users', 'users_default', 'invite'],
    'm.room.history_visibility': ['history_visibility'],
    'm.room.redaction': ['redacts'],
  },
};

function specRedaction(ev: Record<string, unknown>, v: RoomVersion): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of KEPT_TOP_LEVEL[v]) if (k in ev) out[k] = ev[k];
  const content = ev['content'] as JsonObject;
  const rule = KEPT_CONTENT[v][ev['type'] as string] ?? [];
  const kept: JsonObject = {};
  if (rule === 'all') Object.assign(kept, content);
  else for (const k of rule) if (k in content) kept[k] = content[k]!;
  // v11: of third_party_invite only `signed` survives, and only when it is there.
  if (v === '11' && ev['type'] === 'm.room.member' && 'third_party_invite' in kept) {
    const tpi = kept['third_party_invite'];
    if (tpi !== null && typeof tpi === 'object' && !Array.isArray(tpi) && 'signed' in tpi) kept['third_party_invite'] = { signed: tpi['signed']! };
    else delete kept['third_party_invite'];
  }
  out['content'] = kept;
  return out;
}

// ---- arbitraries ----------------------------------------------------------------------------------

const { json } = fc.letrec<{ json: JsonValue }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null), fc.boolean(), fc.integer({ min: -1e6, max: 1e6 }), fc.string({ maxLength: 6 }),
    fc.array(tie('json'), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 4 }), tie('json'), { maxKeys: 3 }),
  ),
}));

const TYPES = ['m.room.member', 'm.room.create', 'm.room.join_rules', 'm.room.power_levels', 'm.room.history_visibility', 'm.room.redaction', 'm.room.message', 'm.room.topic', 'org.peerline.session'];
// Keys the redaction rules name, mixed with keys they do not.
const CONTENT_KEYS = ['membership', 'join_authorised_via_users_server', 'third_party_invite', 'creator', 'room_version', 'm.federate', 'join_rule', 'allow', 'ban', 'events', 'events_default', 'kick', 'redact', 'state_default', 'users', 'users_default', 'invite', 'notifications', 'history_visibility', 'redacts', 'body', 'msgtype', 'topic', 'displayname'];
const contentKey = fc.oneof(fc.constantFrom(...CONTENT_KEYS), fc.string({ maxLength: 5 }));
const content = fc.dictionary(contentKey, fc.oneof(json, fc.record({ signed: json, other: json }, { requiredKeys: [] })), { maxKeys: 6 });
const eventId = fc.stringMatching(/^\$[A-Za-z0-9_-]{4,10}$/);
const localpart = fc.stringMatching(/^[a-z0-9._=-]{1,8}$/);

const version = fc.constantFrom<RoomVersion>('10', '11');
const unsignedPdu = fc.record({
  auth_events: fc.array(eventId, { maxLength: 4 }),
  content,
  depth: fc.integer({ min: 0, max: 2 ** 40 }),
  origin_server_ts: fc.integer({ min: 0, max: 2 ** 45 }),
  prev_events: fc.array(eventId, { maxLength: 4 }),
  room_id: localpart.map((l) => `!${l}:a.example`),
  sender: fc.tuple(localpart, fc.constantFrom(...SERVERS)).map(([l, s]) => `@${l}:${s}`),
  type: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...TYPES) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) }),
  state_key: fc.oneof(fc.constant(''), localpart.map((l) => `@${l}:a.example`), fc.string({ maxLength: 4 })),
  unsigned: fc.dictionary(fc.constantFrom('age_ts', 'age', 'transaction_id', 'x'), json, { maxKeys: 3 }),
  // Top-level keys v10 keeps and v11 drops, and keys no version keeps.
  origin: fc.constantFrom(...SERVERS),
  membership: fc.constantFrom('join', 'leave'),
  prev_state: fc.array(eventId, { maxLength: 2 }),
  extra_top_level: json,
}, { requiredKeys: ['auth_events', 'content', 'depth', 'origin_server_ts', 'prev_events', 'room_id', 'sender', 'type'] })
  .map((p) => p as unknown as Omit<Pdu, 'hashes' | 'signatures'>);

function signed(p: Omit<Pdu, 'hashes' | 'signatures'>, v: RoomVersion): Pdu {
  const server = serverNameOf(p.sender) as (typeof SERVERS)[number];
  const pdu = hashAndSignEvent(p, v, server, KEYS.get(server)!);
  // Over federation the PDU is JSON text: what it carries is what canonical JSON of it parses to.
  return JSON.parse(JSON.stringify(pdu)) as Pdu;
}

function withoutUnsigned(p: Pdu): Pdu {
  const { unsigned: _u, ...rest } = p;
  void _u;
  return rest as Pdu;
}

function deepShuffle(v: unknown, salt: number): unknown {
  if (Array.isArray(v)) return v.map((x) => deepShuffle(x, salt));
  if (v === null || typeof v !== 'object') return v;
  const entries = Object.entries(v);
  const rotated = entries.slice(salt % Math.max(1, entries.length)).concat(entries.slice(0, salt % Math.max(1, entries.length))).reverse();
  return Object.fromEntries(rotated.map(([k, x]) => [k, deepShuffle(x, salt + 1)]));
}

/** A different value of the same kind, so format checks still pass and only the signature can object. */
function changed(v: unknown): unknown {
  if (typeof v === 'string') return /^[@!][^:]*:/.test(v) ? v.replace(':', 'x:') : v + 'x';
  if (typeof v === 'number') return v + 1;
  if (typeof v === 'boolean') return !v;
  if (v === null) return 0;
  if (Array.isArray(v)) return [...v, '$changed'];
  const o = v as Record<string, unknown>;
  const k = Object.keys(o)[0];
  return k === undefined ? { added: 1 } : { ...o, [k]: changed(o[k]) };
}

describe('event hashing and signing properties (fast-check)', () => {
  it('accepts every correctly signed event on receipt, unredacted, under the id computed when it was signed', async () => {
    await fc.assert(fc.asyncProperty(unsignedPdu, version, async (p, v) => {
      const pdu = signed(p, v);
      const verdict = await receipt.checkPdu(pdu, v);
      expect(verdict).toEqual({ ok: true, eventId: computeEventId(pdu, v), pdu: withoutUnsigned(pdu) });
    }), { numRuns: RUNS });
  });

  it('refuses the event when any field the signature covers changes', async () => {
    await fc.assert(fc.asyncProperty(unsignedPdu, version, fc.nat(), async (p, v, pick) => {
      const pdu = signed(p, v) as unknown as Record<string, unknown>;
      // Everything the redacted form holds is signed, content included, except the signatures themselves.
      const redacted = redactEvent(pdu as unknown as Pdu, v) as unknown as Record<string, unknown>;
      const fields: [string, string | null][] = [];
      for (const k of Object.keys(redacted)) if (k !== 'signatures' && k !== 'content') fields.push([k, null]);
      for (const k of Object.keys(redacted['content'] as object)) fields.push(['content', k]);
      const [field, sub] = fields[pick % fields.length]!;
      const forged = structuredClone(pdu);
      if (sub === null) forged[field] = changed(forged[field]);
      else {
        const c = forged['content'] as Record<string, unknown>;
        // v11 keeps only third_party_invite.signed, so that is the part to change.
        const keptPart = v === '11' && field === 'content' && sub === 'third_party_invite' && pdu['type'] === 'm.room.member';
        c[sub] = keptPart ? { ...(c[sub] as object), signed: changed((c[sub] as Record<string, unknown>)['signed']) } : changed(c[sub]);
      }
      const verdict = await receipt.checkPdu(forged, v);
      expect(verdict.ok, `changed ${field}${sub === null ? '' : '.' + sub}`).toBe(false);
    }), { numRuns: RUNS });
  });

  it('accepts the same event, under the same id, whatever its unsigned section holds', async () => {
    await fc.assert(fc.asyncProperty(unsignedPdu, version, fc.dictionary(fc.string({ maxLength: 4 }), json, { maxKeys: 3 }), async (p, v, unsigned) => {
      const pdu = signed(p, v);
      const verdict = await receipt.checkPdu({ ...pdu, unsigned }, v);
      expect(verdict).toEqual({ ok: true, eventId: computeEventId(pdu, v), pdu: withoutUnsigned(pdu) });
    }), { numRuns: RUNS });
  });

  it('redacts on receipt an event whose unsigned-by-signature parts changed: the signature holds, the content hash does not', async () => {
    await fc.assert(fc.asyncProperty(unsignedPdu, version, json, async (p, v, value) => {
      const pdu = signed(p, v);
      const tampered = structuredClone(pdu) as unknown as Record<string, unknown>;
      const content = tampered['content'] as Record<string, unknown>;
      // `body` is dropped by every redaction rule but v11's create (which keeps all content); a top-level
      // key outside the spec's list is dropped by all of them. Both are covered by the content hash only.
      if (v === '11' && pdu.type === 'm.room.create') tampered['extra_top_level'] = changed(tampered['extra_top_level'] ?? value);
      else content['body'] = 'body' in content ? changed(content['body']) : value;
      expect(computeContentHash(tampered as unknown as Pdu)).not.toBe(pdu.hashes.sha256);
      const verdict = await receipt.checkPdu(tampered, v);
      expect(verdict).toEqual({ ok: true, eventId: computeEventId(pdu, v), pdu: redactEvent(withoutUnsigned(pdu), v) });
    }), { numRuns: RUNS });
  });

  it('gives the same event id, content hash and a still valid signature however the keys are ordered', async () => {
    await fc.assert(fc.asyncProperty(unsignedPdu, version, fc.nat(50), async (p, v, salt) => {
      const pdu = signed(p, v);
      const shuffled = deepShuffle(pdu, salt) as Pdu;
      expect(computeEventId(shuffled, v)).toBe(computeEventId(pdu, v));
      expect(computeContentHash(shuffled)).toBe(pdu.hashes.sha256);
      expect((await receipt.checkPdu(shuffled, v)).ok).toBe(true);
      expect(signed(deepShuffle(p, salt) as typeof p, v)).toEqual(pdu);
    }), { numRuns: RUNS });
  });
});

describe('redaction properties (fast-check)', () => {
  it('keeps exactly the keys the spec lists for each room version, and is idempotent', () => {
    fc.assert(fc.property(unsignedPdu, version, (p, v) => {
      const once = redactEvent(p as Pdu, v);
      expect(once).toEqual(specRedaction(p as unknown as Record<string, unknown>, v));
      expect(redactEvent(once, v)).toEqual(once);
    }), { numRuns: RUNS * 3 });
  });

  it('does not change the event it redacts, and gives the redacted event the original event id', () => {
    fc.assert(fc.property(unsignedPdu, version, (p, v) => {
      const pdu = signed(p, v);
      const copy = structuredClone(pdu);
      const redacted = redactEvent(pdu, v);
      expect(pdu).toEqual(copy);
      expect(computeEventId(redacted, v)).toBe(computeEventId(pdu, v));
    }), { numRuns: RUNS });
  });
});
