// Text-only mode, for slow or metered connections and old phones: the chat keeps to what it needs
// (a lean sync filter without typing notifications or presence, no typing notifications sent, no
// read receipt for one's own messages). Chosen in the account desk and kept on this device; until
// someone chooses, it is on when the browser says the connection is slow or data saving is asked for.
import type { KeyValueStorage } from './storage.ts';

const KEY = 'peerline.text-only';

/** What the browser tells about the connection (Network Information API, Chromium only). */
export interface ConnectionHint { saveData?: boolean; effectiveType?: string }

/** 'chosen': the person set it here; 'suggested': the browser reports a slow link or data saving; 'default': neither. */
export interface TextOnlyPreference { on: boolean; source: 'chosen' | 'suggested' | 'default' }

/** Whether the browser's hint says text-only mode would help: data saving on, or a 2G/3G-class effective type. */
export function connectionSuggestsTextOnly(hint: ConnectionHint | undefined): boolean {
  if (!hint) return false;
  return hint.saveData === true || hint.effectiveType === 'slow-2g' || hint.effectiveType === '2g' || hint.effectiveType === '3g';
}

export function textOnlyPreference(storage: KeyValueStorage, hint: ConnectionHint | undefined): TextOnlyPreference {
  const stored = storage.getItem(KEY);
  if (stored === 'on' || stored === 'off') return { on: stored === 'on', source: 'chosen' };
  return connectionSuggestsTextOnly(hint) ? { on: true, source: 'suggested' } : { on: false, source: 'default' };
}

export function setTextOnly(storage: KeyValueStorage, on: boolean): void {
  storage.setItem(KEY, on ? 'on' : 'off');
}

/** The browser's connection hint, where it gives one. */
export function browserConnectionHint(): ConnectionHint | undefined {
  const c = (globalThis.navigator as (Navigator & { connection?: ConnectionHint }) | undefined)?.connection;
  return c ? { ...(c.saveData !== undefined ? { saveData: c.saveData } : {}), ...(c.effectiveType !== undefined ? { effectiveType: c.effectiveType } : {}) } : undefined;
}
