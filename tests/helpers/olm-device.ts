// The cryptographic half of the libolm test client (olm-client.ts): one device's Olm account and
// signed keys, its Olm sessions with other devices, and the Megolm sessions it can decrypt with —
// following the spec's End-to-End Encryption module. No network: the client moves what this produces.
import OlmModule from '@matrix-org/olm';

type Json = Record<string, unknown>;
type OlmNs = typeof OlmModule;
export const OLM_ALGORITHM = 'm.olm.v1.curve25519-aes-sha2';
export const MEGOLM_ALGORITHM = 'm.megolm.v1.aes-sha2';
export const OTK_ALGORITHM = 'signed_curve25519';

let olmReady: Promise<OlmNs> | undefined;
/** One `Olm.init()` per process, however many devices start. */
function loadOlm(): Promise<OlmNs> {
  olmReady ??= OlmModule.init().then(() => OlmModule);
  return olmReady;
}

/** Canonical JSON (appendix "Canonical JSON"): sorted keys, no insignificant whitespace. Kept here so
 *  the client shares no code with the homeserver it tests. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const o = value as Json;
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Another device's keys, as /keys/query returned them with a valid self-signature. */
export interface DeviceInfo { userId: string; deviceId: string; curve25519: string; ed25519: string }

/** A Megolm session this device encrypts with, and to which devices it has given the key. */
export interface OutboundMegolm { session: OlmModule.OutboundGroupSession; createdAt: number; sent: number; sharedWith: Set<string> }

export type MegolmResult =
  | { ok: true; plaintext: Json; index: number }
  | { ok: false; unknownSession: true }
  | { ok: false; unknownSession?: false; reason: string };

interface OlmSessionEntry { session: OlmModule.Session; lastReceived: number }
interface InboundMegolm { session: OlmModule.InboundGroupSession; senderUserId: string; senderEd25519: string }

export class OlmDevice {
  readonly userId: string;
  readonly deviceId: string;
  readonly identityKeys: { curve25519: string; ed25519: string };
  private readonly olm: OlmNs;
  private readonly account: OlmModule.Account;
  private readonly olmSessions = new Map<string, OlmSessionEntry[]>(); // their curve25519 → sessions
  private readonly inbound = new Map<string, InboundMegolm>(); // `${roomId}|${sessionId}`
  private readonly indexUse = new Map<string, string>(); // `${roomId}|${sessionId}|${index}` → event id
  private signedDeviceKeys?: Json;

  private constructor(olm: OlmNs, userId: string, deviceId: string) {
    this.olm = olm;
    this.userId = userId;
    this.deviceId = deviceId;
    this.account = new olm.Account();
    this.account.create();
    this.identityKeys = JSON.parse(this.account.identity_keys()) as { curve25519: string; ed25519: string };
  }

  /** A new device with fresh identity keys. */
  static async create(userId: string, deviceId: string): Promise<OlmDevice> {
    return new OlmDevice(await loadOlm(), userId, deviceId);
  }

  // ---- own keys -------------------------------------------------------------------------------

  /** This device's signed device keys ("Device keys", "Uploading keys"). */
  deviceKeys(): Json {
    this.signedDeviceKeys ??= this.sign({
      user_id: this.userId, device_id: this.deviceId, algorithms: [OLM_ALGORITHM, MEGOLM_ALGORITHM],
      keys: { [`curve25519:${this.deviceId}`]: this.identityKeys.curve25519, [`ed25519:${this.deviceId}`]: this.identityKeys.ed25519 },
    });
    return this.signedDeviceKeys;
  }

  /** `count` new signed one-time keys, as /keys/upload's `one_time_keys` (published by markKeysPublished). */
  newOneTimeKeys(count: number): Json {
    this.account.generate_one_time_keys(count);
    const otks = (JSON.parse(this.account.one_time_keys()) as { curve25519: Record<string, string> }).curve25519;
    return Object.fromEntries(Object.entries(otks).map(([id, key]) => [`${OTK_ALGORITHM}:${id}`, this.sign({ key })]));
  }

  /** A new signed fallback key, as /keys/upload's `fallback_keys`. The previous one stays usable for
   *  messages already on their way; the one before it is forgotten (the spec keeps at most two). */
  newFallbackKey(): Json {
    this.account.forget_old_fallback_key();
    this.account.generate_fallback_key();
    const fb = (JSON.parse(this.account.unpublished_fallback_key()) as { curve25519: Record<string, string> }).curve25519;
    return Object.fromEntries(Object.entries(fb).map(([id, key]) => [`${OTK_ALGORITHM}:${id}`, this.sign({ key, fallback: true })]));
  }

  markKeysPublished(): void {
    this.account.mark_keys_as_published();
  }

  private sign<T extends Json>(obj: T): T & { signatures: Record<string, Record<string, string>> } {
    const sig = this.account.sign(canonicalJson(obj));
    return { ...obj, signatures: { [this.userId]: { [`ed25519:${this.deviceId}`]: sig } } };
  }

  /** Verifies `signatures[userId][keyId]` over the object without `signatures` and `unsigned`. */
  verifySignature(obj: Json, userId: string, keyId: string, ed25519: string): boolean {
    const sig = (obj['signatures'] as Record<string, Record<string, string>> | undefined)?.[userId]?.[keyId];
    if (typeof sig !== 'string') return false;
    const { signatures: _s, unsigned: _u, ...signed } = obj;
    const util = new this.olm.Utility();
    try {
      util.ed25519_verify(ed25519, canonicalJson(signed), sig);
      return true;
    } catch {
      return false;
    } finally {
      util.free();
    }
  }

  // ---- Olm ------------------------------------------------------------------------------------

  hasOlmSession(curve25519: string): boolean {
    return (this.olmSessions.get(curve25519)?.length ?? 0) > 0;
  }

  /** Starts an outbound Olm session on a claimed one-time (or fallback) key, if its signature holds. */
  startOlmSession(d: DeviceInfo, otk: Json): boolean {
    if (typeof otk['key'] !== 'string' || !this.verifySignature(otk, d.userId, `ed25519:${d.deviceId}`, d.ed25519)) return false;
    const session = new this.olm.Session();
    session.create_outbound(this.account, d.curve25519, otk['key']);
    this.addOlmSession(d.curve25519, session);
    return true;
  }

  /** An Olm-encrypted to-device content for one device (plaintext as in the spec's OlmPlaintext). */
  olmEncrypt(d: DeviceInfo, type: string, content: Json): Json | undefined {
    const list = this.olmSessions.get(d.curve25519);
    if (!list?.length) return undefined;
    // The session we last received on (or created last), as the spec prescribes for sending.
    const entry = list.reduce((a, b) => (b.lastReceived > a.lastReceived ? b : a));
    const plaintext = {
      type, content, sender: this.userId, sender_device: this.deviceId, recipient: d.userId,
      recipient_keys: { ed25519: d.ed25519 }, keys: { ed25519: this.identityKeys.ed25519 },
      sender_device_keys: this.deviceKeys(),
    };
    const msg = entry.session.encrypt(JSON.stringify(plaintext));
    return { algorithm: OLM_ALGORITHM, sender_key: this.identityKeys.curve25519, ciphertext: { [d.curve25519]: { type: msg.type, body: msg.body } } };
  }

  /** Decrypts with a matching session, or a new inbound one from a pre-key message (kept only if it works). */
  olmDecrypt(senderKey: string, type: 0 | 1, body: string): string | undefined {
    for (const entry of this.olmSessions.get(senderKey) ?? []) {
      if (type === 0 && !entry.session.matches_inbound_from(senderKey, body)) continue;
      try {
        const out = entry.session.decrypt(type, body);
        entry.lastReceived = Date.now();
        return out;
      } catch {
        if (type === 0) return undefined; // the matching session could not decrypt it: corrupt message
      }
    }
    if (type === 1) return undefined; // normal messages need an existing session (spec)
    const session = new this.olm.Session();
    try {
      session.create_inbound_from(this.account, senderKey, body);
      const out = session.decrypt(type, body);
      this.account.remove_one_time_keys(session);
      this.addOlmSession(senderKey, session);
      return out;
    } catch {
      session.free();
      return undefined;
    }
  }

  private addOlmSession(curve25519: string, session: OlmModule.Session): void {
    const list = this.olmSessions.get(curve25519) ?? [];
    list.push({ session, lastReceived: Date.now() });
    // Keep at most 4 sessions per device, least recently used out first (spec allows expiring LRU).
    list.sort((a, b) => b.lastReceived - a.lastReceived);
    while (list.length > 4) list.pop()!.session.free();
    this.olmSessions.set(curve25519, list);
  }

  // ---- Megolm ---------------------------------------------------------------------------------

  /** A new outbound session for a room; an inbound copy is kept so our own events decrypt too. */
  newOutboundMegolm(roomId: string): OutboundMegolm {
    const session = new this.olm.OutboundGroupSession();
    session.create();
    this.storeInboundMegolm(roomId, session.session_id(), session.session_key(), this.userId, this.identityKeys.ed25519);
    return { session, createdAt: Date.now(), sent: 0, sharedWith: new Set() };
  }

  /** Stores a session from an Olm-delivered m.room_key, unless a copy from the same sender starting at
   *  an earlier (or the same) index is already held (spec: "updating a Megolm session"). */
  storeInboundMegolm(roomId: string, sessionId: string, sessionKey: string, senderUserId: string, senderEd25519: string): boolean {
    const session = new this.olm.InboundGroupSession();
    try {
      session.create(sessionKey);
    } catch {
      session.free();
      return false;
    }
    const key = `${roomId}|${sessionId}`;
    const existing = this.inbound.get(key);
    const valid = session.session_id() === sessionId;
    const better = !existing || (existing.senderUserId === senderUserId && existing.senderEd25519 === senderEd25519 && session.first_known_index() < existing.session.first_known_index());
    if (!valid || !better) { session.free(); return false; }
    existing?.session.free();
    this.inbound.set(key, { session, senderUserId, senderEd25519 });
    return true;
  }

  /**
   * Decrypts a Megolm room event, looked up by room and session id only (never sender_key or
   * device_id), refusing a message index already used by another event, a plaintext naming another
   * room, and a sender other than the one the session came from.
   */
  megolmDecrypt(roomId: string, eventId: string, sender: string, sessionId: string, ciphertext: string): MegolmResult {
    const inbound = this.inbound.get(`${roomId}|${sessionId}`);
    if (!inbound) return { ok: false, unknownSession: true };
    let decrypted: { plaintext: string; message_index: number };
    try {
      decrypted = inbound.session.decrypt(ciphertext);
    } catch (e) {
      return { ok: false, reason: `megolm: ${(e as Error).message}` };
    }
    const indexKey = `${roomId}|${sessionId}|${decrypted.message_index}`;
    const firstUse = this.indexUse.get(indexKey);
    if (firstUse !== undefined && firstUse !== eventId) return { ok: false, reason: 'replayed megolm message index' };
    this.indexUse.set(indexKey, eventId);
    let plaintext: Json;
    try { plaintext = JSON.parse(decrypted.plaintext) as Json; } catch { return { ok: false, reason: 'plaintext is not JSON' }; }
    if (plaintext['room_id'] !== roomId) return { ok: false, reason: 'plaintext names another room' };
    if (sender !== inbound.senderUserId) return { ok: false, reason: 'event sender does not own the megolm session' };
    return { ok: true, plaintext, index: decrypted.message_index };
  }

  /** Frees every Olm object; the device is unusable afterwards. */
  free(): void {
    for (const list of this.olmSessions.values()) for (const e of list) e.session.free();
    for (const s of this.inbound.values()) s.session.free();
    this.olmSessions.clear();
    this.inbound.clear();
    this.account.free();
  }
}
