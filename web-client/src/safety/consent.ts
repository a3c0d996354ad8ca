// The student's side of consented escalation (DESIGN.md flow 4): the device's ed25519 consent key
// (made once, kept in IndexedDB, its public half registered with the bridge) and signing the receipt
// for exactly what the student chose to share. The receipt format and its checks live in protocol.
// Load this module lazily (it pulls in libsodium); nothing here talks to the network.
// It imports protocol's consent-signing.ts, not consent.ts, to keep TypeBox out of the bundle: the
// receipt is built here from typed values and the bridge checks it against the schema on arrival.
import {
  buildConsentReceipt,
  consentKeyPairFromSeed,
  encodeConsentPublicKey,
  generateConsentKeyPair,
  sha256Base64,
  signConsentReceiptUnchecked,
  type ConsentKeyPair,
  type ConsentScope,
  type SignedConsentReceipt,
} from '../../../protocol/src/consent-signing.ts';
import type { SeverityLevel } from '../../../protocol/src/common-schemas.ts';

export type { ConsentKeyPair, ConsentScope, SignedConsentReceipt };

/** Where the key's 32-byte seed lives; IndexedDB in the browser, memory in tests. */
export interface ConsentKeyStore {
  load(): Promise<Uint8Array | null>;
  save(seed: Uint8Array): Promise<void>;
  clear(): Promise<void>;
}

export function memoryConsentKeyStore(): ConsentKeyStore {
  let seed: Uint8Array | null = null;
  return {
    load: async () => (seed ? seed.slice() : null),
    save: async (s) => { seed = s.slice(); },
    clear: async () => { seed = null; },
  };
}

const DB_NAME = 'peerline-consent';
const STORE = 'keys';
const KEY = 'current';

/**
 * The seed in its own IndexedDB database, so signing out (platform/storage.ts wipes every database
 * of the origin) forgets it with the rest of the device's keys.
 */
export function indexedDbConsentKeyStore(factory: IDBFactory = indexedDB): ConsentKeyStore {
  const open = () => new Promise<IDBDatabase>((resolve, reject) => {
    const req = factory.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('cannot open the consent key store'));
  });
  const run = async <T>(mode: IDBTransactionMode, op: (s: IDBObjectStore) => IDBRequest): Promise<T> => {
    const db = await open();
    try {
      return await new Promise<T>((resolve, reject) => {
        const req = op(db.transaction(STORE, mode).objectStore(STORE));
        req.onsuccess = () => resolve(req.result as T);
        req.onerror = () => reject(req.error ?? new Error('consent key store request failed'));
      });
    } finally {
      db.close();
    }
  };
  return {
    load: async () => {
      const v = await run<unknown>('readonly', (s) => s.get(KEY));
      return v instanceof Uint8Array && v.length === 32 ? v : null;
    },
    save: async (seed) => { await run('readwrite', (s) => s.put(seed.slice(), KEY)); },
    clear: async () => { await run('readwrite', (s) => s.delete(KEY)); },
  };
}

/** The device's consent key: the stored one, or a new one saved before it is returned. */
export async function loadOrCreateConsentKey(store: ConsentKeyStore): Promise<{ keyPair: ConsentKeyPair; created: boolean }> {
  const seed = await store.load();
  if (seed) return { keyPair: await consentKeyPairFromSeed(seed), created: false };
  const keyPair = await generateConsentKeyPair();
  await store.save(keyPair.secretKey.slice(0, 32));
  return { keyPair, created: true };
}

/** Body of POST {bridge}/v1/consent/keys (RegisterConsentKeySchema in bridge-service). */
export function consentKeyRegistration(keyPair: ConsentKeyPair): { public_key: string } {
  return { public_key: encodeConsentPublicKey(keyPair.publicKey) };
}

/** What the student picked in the consent dialog. */
export type ConsentChoice =
  | { share: 'nothing' }
  /** The summary text itself is posted into the escalation room; the receipt holds only its hash. */
  | { share: 'summary'; summary: string }
  | { share: 'messages'; eventIds: string[] };

/** The receipt scope for a choice: the summary becomes its SHA-256, event ids are de-duplicated. */
export async function consentScope(choice: ConsentChoice): Promise<ConsentScope> {
  switch (choice.share) {
    case 'nothing':
      return { share: 'nothing' };
    case 'summary': {
      if (choice.summary.trim() === '') throw new TypeError('a summary to share cannot be empty');
      return { share: 'summary', summary_sha256: await sha256Base64(choice.summary) };
    }
    case 'messages': {
      const eventIds = [...new Set(choice.eventIds)];
      if (eventIds.length === 0) throw new TypeError('choose at least one message to share');
      return { share: 'messages', event_ids: eventIds };
    }
  }
}

export interface ConsentRequest {
  keyPair: ConsentKeyPair;
  studentUserId: string;
  /** The peer room the escalation comes from. */
  roomId: string;
  /** The server name of the student's own institution: only its counsellors may be invited. */
  institution: string;
  severity: SeverityLevel;
  choice: ConsentChoice;
  now: number;
  /** How long the bridge may act on it; 15 minutes unless given. */
  ttlMs?: number;
}

export const DEFAULT_CONSENT_TTL_MS = 15 * 60_000;

/** Builds and signs the receipt for one yes. Call only after the student said yes in the dialog. */
export async function signConsent(request: ConsentRequest): Promise<SignedConsentReceipt> {
  const receipt = await buildConsentReceipt(
    {
      student_user_id: request.studentUserId,
      room_id: request.roomId,
      scope: await consentScope(request.choice),
      counsellor_institution: request.institution,
      severity: request.severity,
    },
    { now: request.now, ttlMs: request.ttlMs ?? DEFAULT_CONSENT_TTL_MS },
  );
  return signConsentReceiptUnchecked(receipt, request.keyPair.secretKey);
}
