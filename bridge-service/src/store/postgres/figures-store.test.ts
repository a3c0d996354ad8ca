// The figures store's contract, run against SQLite and PostgreSQL alike: audit entries of chosen
// actions within a half-open time window, oldest first, with their details.
import { describe, expect, it } from 'vitest';
import type { FiguresStore } from '../figures-store.ts';
import type { Store } from '../store.ts';
import { storeBackends, type TestStore } from '../test-fixture.ts';

const backends = storeBackends();

const figuresOf = (t: TestStore): FiguresStore => (t.store as Partial<Store>).figures!;

describe.each(backends)('figures store on $name', (backend) => {
  it('reads the entries of the chosen actions in [from, to), in chain order, with their details', async () => {
    const t = await backend.open();
    const entries: [string, number, Record<string, string | number>][] = [
      ['request.created', 999, { topic: 'early' }],
      ['request.created', 1_000, { topic: 'exam-stress' }],
      ['roster.admin.add', 1_500, {}],
      ['request.matched', 1_200, { topic: 'exam-stress', wait_ms: 200 }],
      ['request.created', 1_999, { topic: 'low-mood' }],
      ['request.created', 2_000, { topic: 'late' }],
    ];
    for (const [action, ts, details] of entries) await t.store.audit.append({ actor: '@bot:a.example', action, subject: null, details }, ts);
    const f = figuresOf(t);
    // Chain order, not time order: the matched entry (ts 1 200) was appended after the admin one.
    expect(await f.auditFacts(['request.created', 'request.matched'], 1_000, 2_000)).toEqual([
      { ts: 1_000, action: 'request.created', details: { topic: 'exam-stress' } },
      { ts: 1_200, action: 'request.matched', details: { topic: 'exam-stress', wait_ms: 200 } },
      { ts: 1_999, action: 'request.created', details: { topic: 'low-mood' } },
    ]);
    expect(await f.auditFacts(['roster.admin.add'], 0, 10_000)).toEqual([{ ts: 1_500, action: 'roster.admin.add', details: {} }]);
    expect(await f.auditFacts([], 0, 10_000)).toEqual([]);
    expect(await f.auditFacts(['nothing.like.this'], 0, 10_000)).toEqual([]);
  });
});
