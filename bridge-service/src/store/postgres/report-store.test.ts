// The report store's contract, run against SQLite and PostgreSQL alike: our own students' requests
// in a half-open window (never partners'), and escalations created or first claimed in it, once each.
import { describe, expect, it } from 'vitest';
import type { Store } from '../store.ts';
import { storeBackends, type TestStore } from '../test-fixture.ts';
import { requestRow, seedEscalation, type SeedStore } from '../../report/test-fixture.ts';

const backends = storeBackends();
const full = (t: TestStore): SeedStore & Pick<Store, 'report'> => t.store as unknown as SeedStore & Pick<Store, 'report'>;

describe.each(backends)('report store on $name', (backend) => {
  it('reads local requests created in [from, to) with topic and student', async () => {
    const s = full(await backend.open());
    await s.matching.insertRequest(requestRow('r1', '@s1:a.example', 'exam-stress', 999));
    await s.matching.insertRequest(requestRow('r2', '@s1:a.example', 'exam-stress', 1_000));
    await s.matching.insertRequest(requestRow('r3', '@s2:a.example', 'low-mood', 1_999));
    await s.matching.insertRequest({ ...requestRow('r4', '@s3:a.example', 'low-mood', 1_500), origin: 'partner', student: null, institution: 'b.example', remote_id: 'x' });
    await s.matching.insertRequest(requestRow('r5', '@s4:a.example', 'low-mood', 2_000));
    const rows = await s.report.requestFacts(1_000, 2_000);
    expect(rows.sort((a, b) => a.created_ts - b.created_ts)).toEqual([
      { created_ts: 1_000, topic: 'exam-stress', student: '@s1:a.example' },
      { created_ts: 1_999, topic: 'low-mood', student: '@s2:a.example' },
    ]);
  });

  it('reads escalations created or first claimed in [from, to) once each, with severity and due time', async () => {
    const s = full(await backend.open());
    const e = (id: string, createdTs: number, claimedTs: number | null) =>
      seedEscalation(s, { id, student: `@${id}:a.example`, topic: 'low-mood', severity: 'high', createdTs, dueTs: createdTs + 100, claimedTs });
    await e('before-claimed-in', 500, 1_200);
    await e('in-claimed-in', 1_100, 1_150);
    await e('in-unclaimed', 1_300, null);
    await e('in-claimed-after', 1_400, 2_500);
    await e('before-claimed-before', 100, 900);
    const rows = await s.report.escalationFacts(1_000, 2_000);
    expect(rows.sort((a, b) => a.created_ts - b.created_ts)).toEqual([
      { topic: 'low-mood', severity: 'high', created_ts: 500, due_ts: 600, claimed_ts: 1_200 },
      { topic: 'low-mood', severity: 'high', created_ts: 1_100, due_ts: 1_200, claimed_ts: 1_150 },
      { topic: 'low-mood', severity: 'high', created_ts: 1_300, due_ts: 1_400, claimed_ts: null },
      { topic: 'low-mood', severity: 'high', created_ts: 1_400, due_ts: 1_500, claimed_ts: 2_500 },
    ]);
  });
});
