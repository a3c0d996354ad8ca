import { describe, expect, it } from 'vitest';
import { findChainBreak, type AuditDraft } from '../../core/audit-chain.ts';
import { storeBackends, type TestStore } from '../test-fixture.ts';
import { pgBridgeMigrations } from './index.ts';

const postgres = storeBackends().find((b) => b.name === 'PostgreSQL')!;
const draft = (actor: string, i: number): AuditDraft => ({ actor, action: 'roster.admin.add', subject: `@u${i}:a.example`, details: { i } });

async function replicas(n: number): Promise<TestStore[]> {
  return postgres.openReplicas!(n);
}

describe('PostgreSQL store shared by several bridge replicas', () => {
  it('migrates once when replicas start together, and again finds nothing to do', async () => {
    const stores = await replicas(3);
    const applied = await stores[0]!.sql<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
    // Every store's migrations, each applied once (the list grows as stores are added).
    expect(applied.map((r) => r.name).sort()).toEqual(pgBridgeMigrations.map((m) => m.name).sort());
    expect(applied.map((r) => r.name)).toEqual(expect.arrayContaining(['appservice/001-txns', 'audit/001-log', 'roster/001-tables', 'sessions/001-tokens']));
    for (const s of stores) await s.store.ping();
  });

  it('keeps one intact audit chain when two replicas append at the same time', async () => {
    const [a, b] = await replicas(2);
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 30; i++) {
      writes.push(a!.store.audit.append(draft('@admin-a:a.example', i), 1_000 + i));
      writes.push(b!.store.audit.append(draft('@admin-b:a.example', i), 1_000 + i));
      // Audited roster changes take the same lock inside their own transactions.
      if (i % 5 === 0) {
        writes.push(a!.store.roster.putAdmin({ user_id: `@a${i}:a.example`, added_ts: 2_000, added_by: 'x' }, draft('@admin-a:a.example', i)));
        writes.push(b!.store.roster.putCounsellor({ user_id: `@c${i}:a.example`, team: 'wellbeing', on_duty: null, active: true, updated_ts: 2_000, updated_by: 'x' }, draft('@admin-b:a.example', i)));
      }
    }
    await Promise.all(writes);
    const entries = await a!.store.audit.range(1, 1_000);
    expect(entries).toHaveLength(72);
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 72 }, (_, i) => i + 1));
    expect(findChainBreak(entries, null)).toBeNull();
    expect(await b!.store.audit.head()).toEqual({ seq: 72, hash: entries[71]!.hash });
    expect(entries.filter((e) => e.actor === '@admin-b:a.example')).toHaveLength(36);
  });

  it('gives one successor when two replicas rotate the same token at once', async () => {
    const [a, b] = await replicas(2);
    const row = { session_id: 's1', user_id: '@s1:a.example', created_ts: 0, expires_ts: 10_000, family_expires_ts: 60_000, replaced_ts: null, revoked_ts: null };
    await a!.store.sessions.insert({ ...row, token_hash: 'h0' });
    const results = await Promise.all([
      a!.store.sessions.rotate('h0', { ...row, token_hash: 'ha' }, 5_000),
      b!.store.sessions.rotate('h0', { ...row, token_hash: 'hb' }, 5_000),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await a!.sql('SELECT COUNT(*) AS n FROM sessions')).toEqual([{ n: 2 }]);
    expect(await b!.store.sessions.revokeSession('s1', 6_000)).toBe(1);
  });

  it('counts deliveries and failures of one transaction exactly across replicas', async () => {
    const [a, b] = await replicas(2);
    const ev = { event_id: '$e', room_id: '!r', type: 'm.room.message' };
    const kinds = await Promise.all([a!.store.appservice.noteDelivery('t1', 1), b!.store.appservice.noteDelivery('t1', 1)]);
    expect(kinds).toEqual(['new', 'new']);
    const failures = await Promise.all([
      a!.store.appservice.recordEventFailure(ev, 't1', 'boom', 2, 2),
      b!.store.appservice.recordEventFailure(ev, 't1', 'boom', 2, 2),
    ]);
    expect(failures.map((f) => f.failures).sort()).toEqual([1, 2]);
    expect(failures.filter((f) => f.deadLettered)).toHaveLength(1);
    expect(await b!.store.appservice.eventDone('$e')).toBe(true);
    await a!.store.appservice.completeTxn('t1', 1, 3);
    expect(await b!.store.appservice.noteDelivery('t1', 4)).toBe('completed');
    expect(await a!.store.appservice.stats()).toMatchObject({ transactions_completed: 1, redeliveries: 2, dead_letters: 1, events_handled: 0 });
  });

  it('refuses to truncate the audit log', async () => {
    const [a] = await replicas(1);
    await a!.store.audit.append(draft('@admin:a.example', 1), 1);
    await expect(a!.sql('TRUNCATE audit_log')).rejects.toThrow(/append-only/);
    expect(await a!.store.audit.head()).toMatchObject({ seq: 1 });
  });
});
