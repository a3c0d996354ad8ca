// Browser storage: the session in localStorage, and wiping everything a signed-in user leaves on the
// device (session, the SDK's IndexedDB stores with device and room keys).
import { isSession, type Session } from '../matrix/session.ts';

const SESSION_KEY = 'peerline.session';

/** The subset of Storage we use, so tests can pass a Map-backed one. */
export type KeyValueStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export function loadSession(storage: KeyValueStorage): Session | null {
  try {
    const v: unknown = JSON.parse(storage.getItem(SESSION_KEY) ?? 'null');
    return isSession(v) ? v : null;
  } catch {
    return null;
  }
}

export function saveSession(storage: KeyValueStorage, session: Session): void {
  storage.setItem(SESSION_KEY, JSON.stringify(session));
}

export function forgetSession(storage: KeyValueStorage): void {
  storage.removeItem(SESSION_KEY);
}

/** Deletes every IndexedDB database of this origin (the crypto store and the sync store). */
export async function wipeIndexedDb(): Promise<void> {
  if (!('indexedDB' in globalThis)) return;
  const dbs = await indexedDB.databases();
  await Promise.all(dbs.map((d) => d.name ? new Promise<void>((resolve) => {
    const req = indexedDB.deleteDatabase(d.name!);
    req.onsuccess = req.onerror = req.onblocked = () => resolve();
  }) : Promise.resolve()));
}
