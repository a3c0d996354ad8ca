// The roster store's training records on SQLite and PostgreSQL alike: what the app graded keeps its
// score, what an admin recorded has none, and a replaced record set replaces the old one.
import { describe, expect, it } from 'vitest';
import { storeBackends } from '../test-fixture.ts';

const audit = { actor: '@admin:a.example', action: 'test', subject: null, details: {} };

describe.each(storeBackends())('roster training records on $name', (backend) => {
  it('keeps a score only where the app graded the check, and replaces the set on each write', async () => {
    const { store } = await backend.open();
    const base = { user_id: '@sup:a.example', topics: ['exam-stress'], capacity: null, active: true, updated_ts: 1, updated_by: '@admin:a.example' };
    await store.roster.putSupporter({
      ...base,
      training: [
        { module: 'active-listening', version: 2, completed: '2026-03-01', expires: '2027-03-01', score: 80 },
        { module: 'boundaries', version: 1, completed: '2026-02-01', expires: null },
      ],
    }, audit);
    expect((await store.roster.supporter('@sup:a.example'))!.training).toEqual([
      { module: 'active-listening', version: 2, completed: '2026-03-01', expires: '2027-03-01', score: 80 },
      { module: 'boundaries', version: 1, completed: '2026-02-01', expires: null },
    ]);
    await store.roster.putSupporter({ ...base, training: [{ module: 'boundaries', version: 1, completed: '2026-02-01', expires: null, score: 100 }] }, audit);
    expect((await store.roster.supporters())[0]!.training).toEqual([{ module: 'boundaries', version: 1, completed: '2026-02-01', expires: null, score: 100 }]);
  });
});
