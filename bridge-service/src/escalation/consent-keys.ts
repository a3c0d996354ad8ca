// Students' consent keys: the ed25519 public key a student's client registers (libsodium, unpadded
// base64) to sign consent receipts. Registering a new key rotates: the previous one is retired — it
// still verifies the receipts it signed (by key id), but signs no new escalation.
import { consentKeyId, decodeConsentPublicKey } from '../../../protocol/src/consent.ts';
import { BridgeError, invalidParam } from '../errors.ts';
import type { Clock } from '../core/clock.ts';
import type { AuditService } from '../services/audit.ts';
import type { ConsentKeyRecord, EscalationStore } from '../store/escalation-store.ts';
import type { EscalationMetrics } from './metrics.ts';

export class ConsentKeyService {
  private readonly store: EscalationStore;
  private readonly audit: AuditService;
  private readonly clock: Clock;
  private readonly metrics: EscalationMetrics;

  constructor(opts: { store: EscalationStore; audit: AuditService; clock: Clock; metrics: EscalationMetrics }) {
    this.store = opts.store;
    this.audit = opts.audit;
    this.clock = opts.clock;
    this.metrics = opts.metrics;
  }

  /** Registers `publicKey` as the student's current key; registering the current key again changes nothing. */
  async register(userId: string, publicKey: string): Promise<{ key: ConsentKeyRecord; retired: string | null; created: boolean }> {
    let bytes: Uint8Array;
    try {
      bytes = decodeConsentPublicKey(publicKey);
    } catch (e) {
      throw invalidParam(`public_key: ${(e as Error).message}`);
    }
    const keyId = consentKeyId(bytes);
    const existing = await this.store.consentKey(keyId);
    if (existing) return { key: this.sameKeyAgain(existing, userId), retired: null, created: false };
    const rec: ConsentKeyRecord = { key_id: keyId, user_id: userId, public_key: publicKey, registered_ts: this.clock.now(), retired_ts: null };
    try {
      const { retired } = await this.store.registerConsentKey(rec, (retiredId) => ({
        actor: userId, action: 'consent.key.registered', subject: userId,
        details: { key_id: keyId, retired_key_id: retiredId },
      }));
      this.audit.noteAppended();
      this.metrics.keysRegistered.inc({ rotation: retired === null ? 'first' : 'rotated' });
      return { key: rec, retired, created: true };
    } catch (e) {
      // Two registrations of one key raced: the loser sees what the winner stored.
      const winner = await this.store.consentKey(keyId);
      if (winner) return { key: this.sameKeyAgain(winner, userId), retired: null, created: false };
      throw e;
    }
  }

  private sameKeyAgain(existing: ConsentKeyRecord, userId: string): ConsentKeyRecord {
    if (existing.user_id !== userId) {
      throw new BridgeError(409, 'ORG.PEERLINE.CONSENT_KEY_IN_USE', 'This public key is registered to another account; generate a key pair of your own');
    }
    if (existing.retired_ts !== null) {
      throw new BridgeError(409, 'ORG.PEERLINE.CONSENT_KEY_RETIRED', 'This key was replaced by a newer one and cannot be made current again; generate a new key pair');
    }
    return existing;
  }

  /** Every key the student registered, oldest first; the last one without retired_ts is current. */
  list(userId: string): Promise<ConsentKeyRecord[]> {
    return this.store.consentKeys(userId);
  }
}
