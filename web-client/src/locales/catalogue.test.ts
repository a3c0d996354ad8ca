/// <reference types="vite/client" />
// Every string the UI shows goes through msg() with an id; the German catalogue must cover exactly those ids.
import { describe, expect, it } from 'vitest';
import { templates } from './de.ts';

const sources = import.meta.glob<string>(['../**/*.ts', '!../**/*.test.ts', '!./*.ts'], { query: '?raw', import: 'default', eager: true });

describe('German catalogue', () => {
  const ids = new Set<string>();
  for (const text of Object.values(sources)) for (const m of text.matchAll(/\{ id: '([a-z0-9.-]+)' \}/g)) ids.add(m[1]!);

  it('translates every message id used in the source', () => {
    expect(ids.size).toBeGreaterThan(20);
    expect([...ids].filter((id) => !(id in templates)).sort()).toEqual([]);
  });

  it('holds no translations for ids the source no longer uses', () => {
    expect(Object.keys(templates).filter((id) => !ids.has(id)).sort()).toEqual([]);
  });
});
