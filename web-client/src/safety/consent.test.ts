// Consent keys and receipts made on the student's device verify with protocol's verifier and the
// public key the device registers, for every scope; any change to a signed receipt fails.
import { describe, expect, it } from 'vitest';
import { sha256Base64, verifyConsentReceipt } from '../../../protocol/src/consent.ts';
import { consentKeyRegistration, consentScope, loadOrCreateConsentKey, memoryConsentKeyStore, signConsent, type ConsentChoice } from './consent.ts';

const NOW = 1_760_000_000_000;
const STUDENT = '@student:a.example';
const ROOM = '!peer:a.example';
const EVENT_A = '$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const EVENT_B = '$bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

async function signed(choice: ConsentChoice) {
  const { keyPair } = await loadOrCreateConsentKey(memoryConsentKeyStore());
  const receipt = await signConsent({ keyPair, studentUserId: STUDENT, roomId: ROOM, institution: 'a.example', severity: 'high', choice, now: NOW });
  return { receipt, publicKey: consentKeyRegistration(keyPair).public_key };
}

const verify = (receipt: unknown, publicKey: string) =>
  verifyConsentReceipt(receipt, publicKey, { now: NOW + 1000, maxSkewMs: 60_000, expectedStudent: STUDENT, expectedRoom: ROOM, expectedInstitution: 'a.example' });

describe('consent key', () => {
  it('is created once and then loaded from the store', async () => {
    const store = memoryConsentKeyStore();
    const first = await loadOrCreateConsentKey(store);
    const again = await loadOrCreateConsentKey(store);
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.keyPair.keyId).toBe(first.keyPair.keyId);
    expect(again.keyPair.secretKey).toEqual(first.keyPair.secretKey);
  });

  it('is a new key after the store is cleared (sign-out)', async () => {
    const store = memoryConsentKeyStore();
    const first = await loadOrCreateConsentKey(store);
    await store.clear();
    expect((await loadOrCreateConsentKey(store)).keyPair.keyId).not.toBe(first.keyPair.keyId);
  });

  it('exports the registration body the bridge expects: the unpadded base64 public key only', async () => {
    const { keyPair } = await loadOrCreateConsentKey(memoryConsentKeyStore());
    const body = consentKeyRegistration(keyPair);
    expect(Object.keys(body)).toEqual(['public_key']);
    expect(body.public_key).toMatch(/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]$/);
    expect(keyPair.keyId).toBe(`ed25519:${body.public_key}`);
  });
});

describe('signed consent receipt', () => {
  it.each<[string, ConsentChoice]>([
    ['nothing', { share: 'nothing' }],
    ['a summary the student wrote', { share: 'summary', summary: 'I have been feeling very low and need help.' }],
    ['selected messages', { share: 'messages', eventIds: [EVENT_A, EVENT_B] }],
  ])('verifies with the registered public key when sharing %s', async (_name, choice) => {
    const { receipt, publicKey } = await signed(choice);
    const result = await verify(receipt, publicKey);
    expect(result).toMatchObject({ ok: true });
    expect(receipt.receipt.scope.share).toBe(choice.share);
    expect(receipt.receipt.counsellor_institution).toBe('a.example');
    expect(receipt.receipt.severity).toBe('high');
  });

  it('carries the summary only as its SHA-256, never the text', async () => {
    const summary = 'Please tell the counsellor I am scared.';
    const { receipt } = await signed({ share: 'summary', summary });
    expect(receipt.receipt.scope.summary_sha256).toBe(await sha256Base64(summary));
    expect(JSON.stringify(receipt)).not.toContain('scared');
  });

  it('lists each chosen message once', async () => {
    expect(await consentScope({ share: 'messages', eventIds: [EVENT_A, EVENT_A, EVENT_B] })).toEqual({ share: 'messages', event_ids: [EVENT_A, EVENT_B] });
  });

  it('refuses an empty summary or no messages rather than signing a hollow receipt', async () => {
    await expect(consentScope({ share: 'summary', summary: '   ' })).rejects.toThrow(TypeError);
    await expect(consentScope({ share: 'messages', eventIds: [] })).rejects.toThrow(TypeError);
  });

  it.each<[string, (r: Record<string, unknown> & { scope: Record<string, unknown> }) => void]>([
    ['severity', (r) => { r['severity'] = 'low'; }],
    ['institution', (r) => { r['counsellor_institution'] = 'b.example'; }],
    ['scope', (r) => { r.scope['share'] = 'nothing'; delete r.scope['event_ids']; }],
    ['shared messages', (r) => { r.scope['event_ids'] = [EVENT_A]; }],
    ['expiry', (r) => { r['expires_ts'] = (r['expires_ts'] as number) + 1; }],
  ])('fails to verify once its %s is changed', async (_field, change) => {
    const { receipt, publicKey } = await signed({ share: 'messages', eventIds: [EVENT_A, EVENT_B] });
    const tampered = structuredClone(receipt);
    change(tampered.receipt as never);
    const result = await verify(tampered, publicKey);
    expect(result).toMatchObject({ ok: false, code: 'bad_signature' });
  });

  it('fails to verify with another device\'s public key', async () => {
    const { receipt } = await signed({ share: 'nothing' });
    const other = await signed({ share: 'nothing' });
    expect(await verify(receipt, other.publicKey)).toMatchObject({ ok: false, code: 'bad_signature' });
  });

  it('expires after its validity window', async () => {
    const { receipt, publicKey } = await signed({ share: 'nothing' });
    const late = await verifyConsentReceipt(receipt, publicKey, { now: NOW + 16 * 60_000 + 60_001, maxSkewMs: 60_000 });
    expect(late).toMatchObject({ ok: false, code: 'expired' });
  });
});
