import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.ts';
import { storeBackends, type StoreBackend, type TestStore } from '../store/test-fixture.ts';
import { AuditService } from './audit.ts';

async function populated(backend: StoreBackend, n: number): Promise<{ audit: AuditService; db: TestStore }> {
  const db = await backend.open();
  const audit = new AuditService({ store: db.store.audit, clock: new ManualClock() });
  for (let i = 0; i < n; i++) await audit.record({ actor: '@admin:a.example', action: 'roster.admin.add', subject: `@u${i}:a.example`, details: {} });
  return { audit, db };
}

describe.each(storeBackends())('audit service over $name', (backend) => {
  const dropTrigger = (name: string): string => `DROP TRIGGER ${name}${backend.name === 'PostgreSQL' ? ' ON audit_log' : ''}`;

  it('verifies an intact chain and reports its head', async () => {
    const { audit } = await populated(backend, 5);
    const status = await audit.verify();
    expect(status).toMatchObject({ ok: true, length: 5, first_break: null });
    expect(status.head_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses to update or delete rows through SQL', async () => {
    const { db } = await populated(backend, 2);
    await expect(db.sql("UPDATE audit_log SET actor = 'x' WHERE seq = 1")).rejects.toThrow(/append-only/);
    await expect(db.sql('DELETE FROM audit_log WHERE seq = 2')).rejects.toThrow(/append-only/);
    expect(await db.sql('SELECT actor FROM audit_log ORDER BY seq')).toEqual([{ actor: '@admin:a.example' }, { actor: '@admin:a.example' }]);
  });

  it('detects a row tampered with behind the triggers and names the first broken entry', async () => {
    const { audit, db } = await populated(backend, 5);
    await db.sql(dropTrigger('audit_log_append_only_update'));
    await db.sql(`UPDATE audit_log SET subject = '@someone-else:a.example' WHERE seq = 3`);
    const status = await audit.verify();
    expect(status.ok).toBe(false);
    expect(status.first_break).toEqual({ seq: 3, reason: expect.stringMatching(/altered/) });
    expect(status.length).toBe(2);
  });

  it('detects rows deleted from the middle and from the start', async () => {
    const { audit, db } = await populated(backend, 5);
    await db.sql(dropTrigger('audit_log_append_only_delete'));
    await db.sql('DELETE FROM audit_log WHERE seq = 4');
    expect((await audit.verify()).first_break).toEqual({ seq: 4, reason: expect.stringMatching(/missing/) });
    await db.sql('DELETE FROM audit_log WHERE seq = 1');
    expect((await audit.verify()).first_break?.seq).toBe(1);
  });

  it('pages the newest entries first', async () => {
    const { audit } = await populated(backend, 5);
    expect((await audit.latest(2)).map((e) => e.seq)).toEqual([5, 4]);
    expect((await audit.latest(2, 4)).map((e) => e.seq)).toEqual([3, 2]);
  });
});
