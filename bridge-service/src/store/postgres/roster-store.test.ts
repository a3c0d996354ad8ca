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

  it('records one module\'s completion without touching the rest of the entry, and nothing for a stranger', async () => {
    const { store } = await backend.open();
    await store.roster.putSupporter({
      user_id: '@sup:a.example', topics: ['exam-stress', 'low-mood'], capacity: 2, active: false, updated_ts: 1, updated_by: '@admin:a.example',
      training: [
        { module: 'active-listening', version: 1, completed: '2025-01-01', expires: '2026-01-01' },
        { module: 'boundaries', version: 1, completed: '2026-02-01', expires: null },
      ],
    }, audit);
    const entry = await store.roster.recordTraining('@sup:a.example', { module: 'active-listening', version: 2, completed: '2026-03-01', expires: '2027-03-01', score: 80 },
      { ...audit, action: 'roster.training.complete' }, 5, '@sup:a.example');
    expect(entry?.action).toBe('roster.training.complete');
    expect(await store.roster.supporter('@sup:a.example')).toEqual({
      user_id: '@sup:a.example', topics: ['exam-stress', 'low-mood'], capacity: 2, active: false, updated_ts: 5, updated_by: '@sup:a.example',
      training: [
        { module: 'active-listening', version: 2, completed: '2026-03-01', expires: '2027-03-01', score: 80 },
        { module: 'boundaries', version: 1, completed: '2026-02-01', expires: null },
      ],
    });
    expect(await store.roster.recordTraining('@nobody:a.example', { module: 'boundaries', version: 1, completed: '2026-03-01', expires: null }, audit, 6, 'x')).toBeUndefined();
    expect(await store.roster.supporter('@nobody:a.example')).toBeUndefined();
  });
});
