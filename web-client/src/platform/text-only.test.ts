import { describe, expect, it } from 'vitest';
import { connectionSuggestsTextOnly, setTextOnly, textOnlyPreference } from './text-only.ts';

const memory = (): Map<string, string> & { getItem(k: string): string | null; setItem(k: string, v: string): void; removeItem(k: string): void } => {
  const m = new Map<string, string>() as Map<string, string> & { getItem(k: string): string | null; setItem(k: string, v: string): void; removeItem(k: string): void };
  m.getItem = (k) => m.get(k) ?? null;
  m.setItem = (k, v) => { m.set(k, v); };
  m.removeItem = (k) => { m.delete(k); };
  return m;
};

describe('text-only mode preference', () => {
  it('is suggested when the browser reports data saving or a 2G/3G-class connection', () => {
    expect(connectionSuggestsTextOnly({ saveData: true, effectiveType: '4g' })).toBe(true);
    for (const t of ['slow-2g', '2g', '3g']) expect(connectionSuggestsTextOnly({ effectiveType: t })).toBe(true);
    expect(connectionSuggestsTextOnly({ saveData: false, effectiveType: '4g' })).toBe(false);
    expect(connectionSuggestsTextOnly(undefined)).toBe(false);
  });

  it('follows the browser until the person chooses, then keeps their choice on the device', () => {
    const storage = memory();
    expect(textOnlyPreference(storage, { effectiveType: '4g' })).toEqual({ on: false, source: 'default' });
    expect(textOnlyPreference(storage, { effectiveType: '3g' })).toEqual({ on: true, source: 'suggested' });
    setTextOnly(storage, false);
    expect(textOnlyPreference(storage, { saveData: true })).toEqual({ on: false, source: 'chosen' });
    setTextOnly(storage, true);
    expect(textOnlyPreference(storage, { effectiveType: '4g' })).toEqual({ on: true, source: 'chosen' });
  });

  it('ignores a stored value it does not know', () => {
    const storage = memory();
    storage.setItem('peerline.text-only', 'maybe');
    expect(textOnlyPreference(storage, undefined)).toEqual({ on: false, source: 'default' });
  });
});
