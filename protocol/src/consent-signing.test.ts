// consent-signing.ts is consent.ts without TypeBox, for the web client: its plain types are exactly the
// schemas' types, what it signs verifies with consent.ts's verifier, and it loads no schema library.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Static } from '@sinclair/typebox';
import {
  buildConsentReceipt,
  CONSENT_SHARE_LEVELS,
  consentSignatureHolds,
  generateConsentKeyPair,
  signConsentReceiptUnchecked,
} from './consent-signing.ts';
import type { ConsentReceipt, ConsentScope, ConsentShare, SignedConsentReceipt } from './consent-signing.ts';
import { ConsentShareSchema, validateConsentReceipt, verifyConsentReceipt } from './consent.ts';
import type { ConsentReceiptSchema, ConsentScopeSchema, SignedConsentReceiptSchema } from './consent.ts';
import type { EscalationSeveritySchema } from './common-schemas.ts';

const T0 = 1_700_000_000_000;
const REQUEST = {
  student_user_id: '@s-7kq2m9:a.example',
  room_id: '!peer:a.example',
  scope: { share: 'summary', summary_sha256: '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU' },
  counsellor_institution: 'a.example',
  severity: 'high',
} as const satisfies Parameters<typeof buildConsentReceipt>[0];

describe('consent signing without the schema library', () => {
  it('declares exactly the types the receipt schemas describe', () => {
    expectTypeOf<ConsentShare>().toEqualTypeOf<Static<typeof ConsentShareSchema>>();
    expectTypeOf<ConsentScope>().toEqualTypeOf<Static<typeof ConsentScopeSchema>>();
    expectTypeOf<ConsentReceipt>().toEqualTypeOf<Static<typeof ConsentReceiptSchema>>();
    expectTypeOf<SignedConsentReceipt>().toEqualTypeOf<Static<typeof SignedConsentReceiptSchema>>();
    expectTypeOf<ConsentReceipt['severity']>().toEqualTypeOf<Static<typeof EscalationSeveritySchema>>();
    expect(ConsentShareSchema.anyOf.map((s) => s.const)).toEqual([...CONSENT_SHARE_LEVELS]);
  });

  it('builds a receipt the schema accepts, and signs it so that consent.ts verifies it', async () => {
    const keys = await generateConsentKeyPair();
    const receipt = await buildConsentReceipt(REQUEST, { now: T0, ttlMs: 15 * 60_000 });
    expect(validateConsentReceipt(receipt)).toMatchObject({ ok: true });
    const signed = await signConsentReceiptUnchecked(receipt, keys.secretKey);
    expect(await consentSignatureHolds(signed.receipt, signed.signature, keys.publicKey)).toBe(true);
    expect(await verifyConsentReceipt(signed, keys.publicKey, { now: T0 + 1000, maxSkewMs: 0 })).toMatchObject({ ok: true });
  });

  it('says a signature does not hold for another key, another receipt, or malformed bytes', async () => {
    const keys = await generateConsentKeyPair();
    const other = await generateConsentKeyPair();
    const signed = await signConsentReceiptUnchecked(await buildConsentReceipt(REQUEST, { now: T0, ttlMs: 60_000 }), keys.secretKey);
    expect(await consentSignatureHolds(signed.receipt, signed.signature, other.publicKey)).toBe(false);
    expect(await consentSignatureHolds({ ...signed.receipt, severity: 'low' }, signed.signature, keys.publicKey)).toBe(false);
    expect(await consentSignatureHolds(signed.receipt, signed.signature.slice(1), keys.publicKey)).toBe(false);
    expect(await consentSignatureHolds(signed.receipt, signed.signature, keys.publicKey.subarray(1))).toBe(false);
  });

  it('imports no TypeBox, so the web client can bundle it without the schemas', () => {
    for (const file of ['consent-signing.ts', 'event-type-names.ts', 'canonical-json.ts', 'base64.ts']) {
      const source = readFileSync(resolve(import.meta.dirname, file), 'utf8');
      const imports = [...source.matchAll(/^import\s+(?!type\b)[^;]*?from\s+'([^']+)'/gm)].map((m) => m[1]);
      expect(imports.filter((i) => !['libsodium-wrappers', './canonical-json.ts', './base64.ts'].includes(i!)), file).toEqual([]);
    }
  });
});
