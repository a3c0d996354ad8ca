// What a student chose to share with a counsellor, kept on the device until it is posted: the
// escalation room's history is visible from joining only, so the content waits for a counsellor, and
// a reload or a closed tab must not lose it. One record per escalation in an IndexedDB database of its
// own (wiped with every other database of the origin at sign-out, platform/storage.ts). Each item is
// claimed in a readwrite transaction before it is sent, so two tabs never send the same item, and
// marked posted right after. Nothing here logs.
import type { ConsentChoice } from '../safety/consent.ts';

/** One message to post: the summary, or one chosen message (quoted, with where it came from). */
export interface PendingShareItem {
  body: string;
  /** For a chosen message: the peer-room event it quotes and who wrote it. */
  quotes: { event_id: string; from: 'student' | 'peer' } | null;
  posted: boolean;
  /** Which page is sending this item and since when (a lease: a page that died gives it up after CLAIM_LEASE_MS). */
  claim: { by: string; at: number } | null;
}

export interface PendingShareRecord {
  escalationId: string;
  receiptId: string;
  /** The escalation room; null while the bridge is still creating it. */
  roomId: string | null;
  /** The account that consented (a record of any other account is never posted). */
  userId: string;
  share: Exclude<ConsentChoice['share'], 'nothing'>;
  items: PendingShareItem[];
  createdTs: number;
  /** Set while a withdrawal is under way: no page posts anything of it meanwhile. */
  withdrawing: boolean;
}

/**
 * `claimed`: this page may send the item now; `retake`: a claim of a page that died (or of this page)
 * was taken over, so the item may have been sent already — check the room before sending;
 * `posted`: done already; `busy`: another page is sending it; `gone`: the record was deleted or is being withdrawn.
 */
export type ClaimResult = 'claimed' | 'retake' | 'posted' | 'busy' | 'gone';

/** How long a claim holds before another page may take the item over. */
export const CLAIM_LEASE_MS = 60_000;

export interface PendingShareStore {
  all(): Promise<PendingShareRecord[]>;
  get(escalationId: string): Promise<PendingShareRecord | null>;
  put(record: PendingShareRecord): Promise<void>;
  /** Changes a record in one transaction; `change` returns what to answer (the record is saved as changed). */
  update<T>(escalationId: string, change: (r: PendingShareRecord | null) => T): Promise<T>;
  delete(escalationId: string): Promise<void>;
}

/** Claims item `index` for page `by` (see ClaimResult); the rule both stores share. */
export function claimItem(r: PendingShareRecord | null, index: number, by: string, now: number): ClaimResult {
  if (!r || r.withdrawing) return 'gone';
  const item = r.items[index];
  if (!item) return 'gone';
  if (item.posted) return 'posted';
  const old = item.claim;
  if (old && old.by !== by && now - old.at < CLAIM_LEASE_MS) return 'busy';
  item.claim = { by, at: now };
  return old ? 'retake' : 'claimed';
}

const copy = (r: PendingShareRecord): PendingShareRecord => structuredClone(r);

/** In memory (tests, and browsers without IndexedDB). */
export function memoryPendingShareStore(): PendingShareStore {
  const records = new Map<string, PendingShareRecord>();
  return {
    all: async () => [...records.values()].map(copy),
    get: async (id) => { const r = records.get(id); return r ? copy(r) : null; },
    put: async (r) => { records.set(r.escalationId, copy(r)); },
    update: async (id, change) => {
      const r = records.get(id) ?? null;
      const answer = change(r);
      if (r) records.set(id, r);
      return answer;
    },
    delete: async (id) => { records.delete(id); },
  };
}

export const PENDING_SHARES_DB = 'peerline-pending-shares';
const STORE = 'shares';

/** In this origin's IndexedDB. A connection is opened per operation and closed at once, so wiping the databases is never blocked. */
export function indexedDbPendingShareStore(factory: IDBFactory = indexedDB): PendingShareStore {
  const open = () => new Promise<IDBDatabase>((resolve, reject) => {
    const req = factory.open(PENDING_SHARES_DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'escalationId' });
    req.onsuccess = () => {
      const db = req.result;
      db.onversionchange = () => db.close();
      resolve(db);
    };
    req.onerror = () => reject(req.error ?? new Error('cannot open the pending-share store'));
  });
  /** Runs `body` in one transaction and resolves with its answer once the transaction has committed. */
  const tx = async <T>(mode: IDBTransactionMode, body: (s: IDBObjectStore, answer: (v: T) => void) => void): Promise<T> => {
    const db = await open();
    try {
      return await new Promise<T>((resolve, reject) => {
        const t = db.transaction(STORE, mode);
        let value: T | undefined;
        t.oncomplete = () => resolve(value as T);
        t.onerror = t.onabort = () => reject(t.error ?? new Error('pending-share store transaction failed'));
        body(t.objectStore(STORE), (v) => { value = v; });
      });
    } finally {
      db.close();
    }
  };
  return {
    all: () => tx<PendingShareRecord[]>('readonly', (s, answer) => {
      const req = s.getAll();
      req.onsuccess = () => answer((req.result as unknown[]).filter(isRecord));
    }),
    get: (id) => tx<PendingShareRecord | null>('readonly', (s, answer) => {
      const req = s.get(id);
      req.onsuccess = () => answer(isRecord(req.result) ? req.result : null);
    }),
    put: (r) => tx<void>('readwrite', (s) => { s.put(copy(r)); }),
    update: <T>(id: string, change: (r: PendingShareRecord | null) => T) => tx<T>('readwrite', (s, answer) => {
      const req = s.get(id);
      req.onsuccess = () => {
        const r = isRecord(req.result) ? req.result : null;
        answer(change(r));
        if (r) s.put(r);
      };
    }),
    delete: (id) => tx<void>('readwrite', (s) => { s.delete(id); }),
  };
}

function isRecord(v: unknown): v is PendingShareRecord {
  const r = v as Partial<PendingShareRecord> | null;
  return typeof r === 'object' && r !== null && typeof r.escalationId === 'string' && typeof r.receiptId === 'string'
    && typeof r.userId === 'string' && Array.isArray(r.items) && typeof r.createdTs === 'number';
}
