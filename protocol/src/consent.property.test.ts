// Property-based tests (fast-check) of consent receipt signing and verification (consent-signing.ts,
// verifyConsentReceipt in consent.ts): a valid receipt always verifies inside its window; any change to
// a signed field, any change to the signature, another key, a time outside the window (with skew) or a
// scope, student, room or institution the student did not sign is refused with the matching code.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  consentKeyPairFromSeed, signConsentReceipt, verifyConsentReceipt,
  type ConsentKeyPair, type ConsentReceipt, type ConsentScope, type SignedConsentReceipt,
} from './consent.ts';

// Bounded in `npm test`; `npm run fuzz` raises it with PEERLINE_PROPERTY_RUNS.
const RUNS = Number(process.env['PEERLINE_PROPERTY_RUNS']) || 60;

const b64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const randomId = fc.stringMatching(/^[A-Za-z0-9_-]{16,40}$/);
const sha = fc.tuple(fc.array(fc.constantFrom(...b64), { minLength: 42, maxLength: 42 }), fc.constantFrom(...'AEIMQUYcgkosw048'))
  .map(([xs, last]) => xs.join('') + last);
const eventId = fc.stringMatching(/^\$[A-Za-z0-9_-]{4,20}$/);
const server = fc.constantFrom('a.example', 'b.example', 'uni.example.ac.uk', '127.0.0.1:8448');
const scope: fc.Arbitrary<ConsentScope> = fc.oneof(
  fc.constant({ share: 'nothing' as const }),
  sha.map((summary_sha256) => ({ share: 'summary' as const, summary_sha256 })),
  fc.uniqueArray(eventId, { minLength: 1, maxLength: 5 }).map((event_ids) => ({ share: 'messages' as const, event_ids })),
);
const receipt: fc.Arbitrary<ConsentReceipt> = fc.record({
  receipt_id: randomId,
  student: fc.stringMatching(/^[a-z0-9._=-]{1,12}$/),
  studentServer: server,
  room: fc.stringMatching(/^[A-Za-z0-9]{1,12}$/),
  scope,
  counsellor_institution: server,
  severity: fc.constantFrom('low' as const, 'medium' as const, 'high' as const, 'critical' as const),
  created_ts: fc.integer({ min: 0, max: 2 ** 45 }),
  ttl: fc.integer({ min: 1, max: 48 * 3600_000 }),
  nonce: randomId,
}).map((r) => ({
  version: 1 as const, receipt_id: r.receipt_id, student_user_id: `@${r.student}:${r.studentServer}`, room_id: `!${r.room}:${r.studentServer}`,
  scope: r.scope, counsellor_institution: r.counsellor_institution, severity: r.severity, created_ts: r.created_ts,
  expires_ts: r.created_ts + r.ttl, nonce: r.nonce,
}));
const seed = fc.uint8Array({ minLength: 32, maxLength: 32 });
const skew = fc.integer({ min: 0, max: 10 * 60_000 });

async function signedWith(r: ConsentReceipt, s: Uint8Array): Promise<{ signed: SignedConsentReceipt; keys: ConsentKeyPair }> {
  const keys = await consentKeyPairFromSeed(s);
  return { signed: await signConsentReceipt(r, keys.secretKey), keys };
}

/** A time inside [created - skew, expires + skew). */
const insideWindow = (r: ConsentReceipt, maxSkew: number, t: number): number =>
  r.created_ts - maxSkew + (t % (r.expires_ts - r.created_ts + 2 * maxSkew));

/** Another valid value for one receipt field (same schema, so only the signature can object). */
function flipField(r: ConsentReceipt, pick: number): ConsentReceipt {
  const out = structuredClone(r) as ConsentReceipt & Record<string, unknown>;
  const fields = ['receipt_id', 'student_user_id', 'room_id', 'scope', 'counsellor_institution', 'severity', 'created_ts', 'expires_ts', 'nonce'] as const;
  const f = fields[pick % fields.length]!;
  switch (f) {
    case 'receipt_id': case 'nonce': out[f] = out[f].slice(0, -1) + (out[f].endsWith('A') ? 'B' : 'A'); break;
    case 'student_user_id': out[f] = out[f].replace('@', '@x'); break;
    case 'room_id': out[f] = out[f].replace('!', '!x'); break;
    case 'counsellor_institution': out[f] = out[f] === 'a.example' ? 'b.example' : 'a.example'; break;
    case 'severity': out[f] = out[f] === 'critical' ? 'low' : 'critical'; break;
    case 'created_ts': out[f] = out[f] > 0 ? out[f] - 1 : 0; if (out[f] === r.created_ts) out.expires_ts += 1; break;
    case 'expires_ts': out[f] += 1; break;
    case 'scope': out.scope = r.scope.share === 'nothing' ? { share: 'messages', event_ids: ['$flipped'] } : { share: 'nothing' }; break;
  }
  return out;
}

describe('consent receipt properties (fast-check)', () => {
  it('verifies every validly signed receipt at any time inside its window, with exactly the expected fields', async () => {
    await fc.assert(fc.asyncProperty(receipt, seed, skew, fc.nat(), async (r, s, maxSkewMs, t) => {
      const { signed, keys } = await signedWith(r, s);
      const now = insideWindow(r, maxSkewMs, t);
      const result = await verifyConsentReceipt(signed, keys.publicKey, {
        now, maxSkewMs, expectedStudent: r.student_user_id, expectedRoom: r.room_id, expectedInstitution: r.counsellor_institution,
        expectedScope: { ...r.scope, ...(r.scope.event_ids ? { event_ids: [...r.scope.event_ids].reverse() } : {}) },
      });
      expect(result).toEqual({ ok: true, receipt: r });
    }), { numRuns: RUNS });
  });

  it('refuses a receipt with any signed field changed after signing', async () => {
    await fc.assert(fc.asyncProperty(receipt, seed, fc.nat(), async (r, s, pick) => {
      const { signed, keys } = await signedWith(r, s);
      const forged = { ...signed, receipt: flipField(r, pick) };
      const result = await verifyConsentReceipt(forged, keys.publicKey, { now: r.created_ts, maxSkewMs: 0 });
      expect(result).toMatchObject({ ok: false, code: 'bad_signature' });
    }), { numRuns: RUNS });
  });

  it('refuses a receipt whose signature has any one character changed, as forged or malformed', async () => {
    await fc.assert(fc.asyncProperty(receipt, seed, fc.nat(), fc.constantFrom(...b64), async (r, s, at, c) => {
      const { signed, keys } = await signedWith(r, s);
      const i = at % signed.signature.length;
      fc.pre(signed.signature[i] !== c);
      const signature = signed.signature.slice(0, i) + c + signed.signature.slice(i + 1);
      const result = await verifyConsentReceipt({ ...signed, signature }, keys.publicKey, { now: r.created_ts, maxSkewMs: 0 });
      expect(result.ok).toBe(false);
      expect(['bad_signature', 'bad_format']).toContain((result as { code: string }).code);
    }), { numRuns: RUNS });
  });

  it('refuses a receipt checked with any other key, whether or not key_id is rewritten to match', async () => {
    await fc.assert(fc.asyncProperty(receipt, seed, seed, async (r, s1, s2) => {
      fc.pre(Buffer.compare(Buffer.from(s1), Buffer.from(s2)) !== 0);
      const { signed } = await signedWith(r, s1);
      const other = await consentKeyPairFromSeed(s2);
      for (const candidate of [signed, { ...signed, key_id: other.keyId }]) {
        const result = await verifyConsentReceipt(candidate, other.publicKey, { now: r.created_ts, maxSkewMs: 0 });
        expect(result).toMatchObject({ ok: false, code: 'bad_signature' });
      }
    }), { numRuns: RUNS });
  });

  it('refuses a receipt before its creation time or at and after its expiry, beyond the allowed skew', async () => {
    await fc.assert(fc.asyncProperty(receipt, seed, skew, fc.integer({ min: 1, max: 2 ** 30 }), fc.boolean(), async (r, s, maxSkewMs, by, early) => {
      const { signed, keys } = await signedWith(r, s);
      const now = early ? r.created_ts - maxSkewMs - by : r.expires_ts + maxSkewMs + by - 1;
      fc.pre(now >= 0);
      const result = await verifyConsentReceipt(signed, keys.publicKey, { now, maxSkewMs });
      expect(result).toMatchObject({ ok: false, code: early ? 'not_yet_valid' : 'expired' });
    }), { numRuns: RUNS });
  });

  it('refuses a scope, student, room or institution other than the one signed', async () => {
    await fc.assert(fc.asyncProperty(receipt, seed, scope, fc.nat(3), async (r, s, otherScope, which) => {
      const { signed, keys } = await signedWith(r, s);
      const base = { now: r.created_ts, maxSkewMs: 0 };
      const asks = [
        { expectedScope: otherScope, code: 'scope_mismatch' },
        { expectedStudent: r.student_user_id + 'x', code: 'wrong_student' },
        { expectedRoom: r.room_id + 'x', code: 'wrong_room' },
        { expectedInstitution: r.counsellor_institution + 'x', code: 'wrong_institution' },
      ] as const;
      const { code, ...ask } = asks[which]!;
      const sameScope = which === 0 && JSON.stringify(otherScope.share) === JSON.stringify(r.scope.share) &&
        otherScope.summary_sha256 === r.scope.summary_sha256 && JSON.stringify([...(otherScope.event_ids ?? [])].sort()) === JSON.stringify([...(r.scope.event_ids ?? [])].sort());
      fc.pre(!sameScope);
      const result = await verifyConsentReceipt(signed, keys.publicKey, { ...base, ...ask });
      expect(result).toMatchObject({ ok: false, code });
    }), { numRuns: RUNS });
  });
});
