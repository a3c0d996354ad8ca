import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.ts';
import { openSqliteStore } from '../store/sqlite/index.ts';
import { AuditService } from './audit.ts';

async function populated(n: number): Promise<{ audit: AuditService; store: ReturnType<typeof openSqliteStore> }> {
  const store = openSqliteStore(':memory:', { durable: false });
  const audit = new AuditService({ store: store.audit, clock: new ManualClock() });
  for (let i = 0; i < n; i++) await audit.record({ actor: '@admin:a.example', action: 'roster.admin.add', subject: `@u${i}:a.example`, details: {} });
  return { audit, store };
}

describe('audit service over SQLite', () => {
  it('verifies an intact chain and reports its head', async () => {
    const { audit } = await populated(5);
    const status = await audit.verify();
    expect(status).toMatchObject({ ok: true, length: 5, first_break: null });
    expect(status.head_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses to update or delete rows through SQL', async () => {
    const { store } = await populated(2);
    expect(() => store.db.run("UPDATE audit_log SET actor = 'x' WHERE seq = 1")).toThrow(/append-only/);
    expect(() => store.db.run('DELETE FROM audit_log WHERE seq = 2')).toThrow(/append-only/);
  });

  it('detects a row tampered with behind the triggers and names the first broken entry', async () => {
    const { audit, store } = await populated(5);
    store.db.exec('DROP TRIGGER audit_log_append_only_update');
    store.db.run(`UPDATE audit_log SET subject = '@someone-else:a.example' WHERE seq = 3`);
    const status = await audit.verify();
    expect(status.ok).toBe(false);
    expect(status.first_break).toEqual({ seq: 3, reason: expect.stringMatching(/altered/) });
    expect(status.length).toBe(2);
  });

  it('detects rows deleted from the middle and from the start', async () => {
    const { audit, store } = await populated(5);
    store.db.exec('DROP TRIGGER audit_log_append_only_delete');
    store.db.run('DELETE FROM audit_log WHERE seq = 4');
    expect((await audit.verify()).first_break).toEqual({ seq: 4, reason: expect.stringMatching(/missing/) });
    store.db.run('DELETE FROM audit_log WHERE seq = 1');
    expect((await audit.verify()).first_break?.seq).toBe(1);
  });

  it('pages the newest entries first', async () => {
    const { audit } = await populated(5);
    expect((await audit.latest(2)).map((e) => e.seq)).toEqual([5, 4]);
    expect((await audit.latest(2, 4)).map((e) => e.seq)).toEqual([3, 2]);
  });
});
