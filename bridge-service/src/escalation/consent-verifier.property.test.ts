// Property-based tests (fast-check) of the bridge's consent gate (ConsentVerifier through
// POST /v1/escalations): for random validity windows around the bridge's clock a receipt is accepted
// exactly when the protocol window (with CONSENT_MAX_SKEW_MS) and the lifetime cap allow it; an accepted
// receipt is never accepted again, nor is another receipt reusing its nonce or its id; a key the student
// did not register never passes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { consentKeyPairFromSeed, newNonce, newReceiptId, type SignedConsentReceipt } from '../../../protocol/src/consent.ts';
import { SERVER } from '../test-fixture.ts';
import { StudentDevice, escalationTestBridge } from './test-fixture.ts';
import { CONSENT_MAX_LIFETIME_MS, CONSENT_MAX_SKEW_MS } from './consent-verifier.ts';

// Each run builds a bridge, so the bounded count is small, and `npm run fuzz` (PEERLINE_PROPERTY_RUNS)
// gives this file a tenth of the runs the pure properties get.
const RUNS = Math.ceil(Number(process.env['PEERLINE_PROPERTY_RUNS']) / 10) || 15;

async function setup() {
  const b = escalationTestBridge();
  const student = await StudentDevice.create(`@s-${Math.random().toString(36).slice(2, 8)}:${SERVER}`);
  const token = await b.signIn(student.userId);
  expect((await b.call('POST', '/v1/consent/keys', token, { public_key: student.publicKey })).status).toBe(200);
  await b.services.roster.putCounsellor(`@admin:${SERVER}`, `@coun:${SERVER}`, {});
  const peer = b.hs.peerRoom(student.userId);
  const escalate = (signed: SignedConsentReceipt) =>
    b.call('POST', '/v1/escalations', token, { receipt: signed, room_id: signed.receipt.room_id, scope: signed.receipt.scope });
  return { b, student, peer, escalate };
}

describe('consent gate properties (fast-check)', () => {
  it('accepts a receipt exactly inside its window (with skew) and lifetime cap, then never again, nor its nonce or id', async () => {
    const window = fc.record({
      createdOffset: fc.oneof(fc.integer({ min: -40 * 60_000, max: 40 * 60_000 }), fc.constantFrom(CONSENT_MAX_SKEW_MS, CONSENT_MAX_SKEW_MS + 1, -CONSENT_MAX_SKEW_MS)),
      ttl: fc.oneof(fc.integer({ min: 1, max: 30 * 3600_000 }), fc.constantFrom(CONSENT_MAX_LIFETIME_MS, CONSENT_MAX_LIFETIME_MS + 1, 60_000)),
    });
    await fc.assert(fc.asyncProperty(window, async ({ createdOffset, ttl }) => {
      const x = await setup();
      const now = x.b.clock.now();
      const r = await x.student.receipt({ roomId: x.peer, now: now + createdOffset, ttlMs: ttl });
      const inWindow = r.created_ts - CONSENT_MAX_SKEW_MS <= now && r.expires_ts + CONSENT_MAX_SKEW_MS > now;
      const expectedReason = !inWindow ? (r.created_ts - CONSENT_MAX_SKEW_MS > now ? 'not_yet_valid' : 'expired')
        : ttl > CONSENT_MAX_LIFETIME_MS ? 'too_long_lived' : null;
      const first = await x.escalate(await x.student.sign(r));
      if (expectedReason !== null) {
        expect(first).toMatchObject({ status: 403, body: { reason: expectedReason } });
        expect(x.b.hs.escalationRooms()).toEqual([]);
        return;
      }
      expect(first.status).toBe(200);
      const replays = [
        await x.student.sign(r),
        await x.student.sign({ ...r, receipt_id: await newReceiptId() }),
        await x.student.sign({ ...r, nonce: await newNonce() }),
      ];
      for (const signed of replays) expect(await x.escalate(signed)).toMatchObject({ status: 409, body: { reason: 'replayed' } });
      expect(x.b.hs.escalationRooms().length).toBe(1);
    }), { numRuns: RUNS });
  });

  it('refuses a receipt signed with any key the student has not registered', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), async (seed) => {
      const x = await setup();
      const stranger = await consentKeyPairFromSeed(seed);
      const signed = await x.student.sign(await x.student.receipt({ roomId: x.peer, now: x.b.clock.now() }), stranger);
      expect(await x.escalate(signed)).toMatchObject({ status: 403, body: { reason: 'unknown_key' } });
      // Claiming the registered key's id for the stranger's signature is a forgery, not an unknown key.
      expect(await x.escalate({ ...signed, key_id: x.student.keys.keyId })).toMatchObject({ status: 403, body: { reason: 'bad_signature' } });
      expect(x.b.hs.escalationRooms()).toEqual([]);
    }), { numRuns: RUNS });
  });
});
