// The moderation store's contract, run against SQLite and PostgreSQL alike: reports, one per member
// and event, closed once, purged after retention, each change with its audit entry.
import { describe, expect, it } from 'vitest';
import { findChainBreak } from '../../core/audit-chain.ts';
import { DuplicateReportError, type ModerationStore, type ReportRecord } from '../moderation-store.ts';
import type { Store } from '../store.ts';
import { storeBackends, type TestStore } from '../test-fixture.ts';

const backends = storeBackends();

const moderationOf = (t: TestStore): ModerationStore => (t.store as Partial<Store>).moderation!;

const report = (id: string, over: Partial<ReportRecord> = {}): ReportRecord => ({
  report_id: id, group_id: 'gr_1', room_id: '!g:a.example', event_id: `$e-${id}`, reported_user_id: '@bad:a.example',
  reporter: '@rep:a.example', reason_code: 'harassment', shared_text: null, created_ts: 1_000, closed_ts: null, closed_by: null,
  purge_after_ts: 100_000, ...over,
});
const draft = (action: string, subject: string) => ({ actor: '@rep:a.example', action, subject, details: {} });

describe.each(backends)('moderation store on $name', (backend) => {
  it('stores a report as given, with its audit entry, and refuses a second report of one event by one member', async () => {
    const t = await backend.open();
    const m = moderationOf(t);
    const r = report('r1', { shared_text: 'what they wrote', reason_code: 'self-harm-risk' });
    await m.insertReport(r, draft('group.report.create', 'gr_1'));
    expect(await m.report('r1')).toEqual(r);
    expect(await m.report('nothing')).toBeUndefined();
    await expect(m.insertReport(report('r2', { event_id: r.event_id }), draft('group.report.create', 'gr_1'))).rejects.toBeInstanceOf(DuplicateReportError);
    // Another member may report the same event.
    await m.insertReport(report('r3', { event_id: r.event_id, reporter: '@other:a.example' }), draft('group.report.create', 'gr_1'));
    const audit = await t.store.audit.range(1, 10);
    expect(audit.map((e) => e.action)).toEqual(['group.report.create', 'group.report.create']);
    expect(await m.report('r2')).toBeUndefined();
  });

  it('lists a group\'s reports newest first (insertion order within one millisecond), open ones only when asked, up to the limit', async () => {
    const t = await backend.open();
    const m = moderationOf(t);
    await m.insertReport(report('a', { created_ts: 1_000 }), draft('x', 'gr_1'));
    await m.insertReport(report('b', { created_ts: 3_000 }), draft('x', 'gr_1'));
    await m.insertReport(report('c', { created_ts: 2_000 }), draft('x', 'gr_1'));
    await m.insertReport(report('d', { created_ts: 2_000 }), draft('x', 'gr_1'));
    await m.insertReport(report('other', { group_id: 'gr_2', created_ts: 9_000 }), draft('x', 'gr_2'));
    expect((await m.reportsOfGroup('gr_1', { open: false, limit: 10 })).map((r) => r.report_id)).toEqual(['b', 'd', 'c', 'a']);
    expect((await m.reportsOfGroup('gr_1', { open: false, limit: 2 })).map((r) => r.report_id)).toEqual(['b', 'd']);
    expect(await m.closeReport('d', '@mod:a.example', 5_000, draft('group.report.close', 'gr_1'))).toBe(true);
    expect((await m.reportsOfGroup('gr_1', { open: true, limit: 10 })).map((r) => r.report_id)).toEqual(['b', 'c', 'a']);
    expect(await m.reportsOfGroup('gr_3', { open: false, limit: 10 })).toEqual([]);
  });

  it('closes a report once: a second close writes nothing and is not audited', async () => {
    const t = await backend.open();
    const m = moderationOf(t);
    await m.insertReport(report('r1'), draft('group.report.create', 'gr_1'));
    expect(await m.closeReport('r1', '@mod:a.example', 5_000, draft('group.report.close', 'gr_1'))).toBe(true);
    expect(await m.closeReport('r1', '@mod2:a.example', 6_000, draft('group.report.close', 'gr_1'))).toBe(false);
    expect(await m.closeReport('nothing', '@mod:a.example', 6_000, draft('group.report.close', 'gr_1'))).toBe(false);
    expect(await m.report('r1')).toMatchObject({ closed_ts: 5_000, closed_by: '@mod:a.example' });
    expect((await t.store.audit.range(1, 10)).map((e) => [e.action, e.ts])).toEqual([['group.report.create', 1_000], ['group.report.close', 5_000]]);
  });

  it('purges reports past their retention time with one audit entry counting them, and audits nothing when none are due', async () => {
    const t = await backend.open();
    const m = moderationOf(t);
    await m.insertReport(report('old', { purge_after_ts: 10_000, shared_text: 'secret' }), draft('x', 'gr_1'));
    await m.insertReport(report('edge', { purge_after_ts: 20_000 }), draft('x', 'gr_1'));
    await m.insertReport(report('new', { purge_after_ts: 30_000 }), draft('x', 'gr_1'));
    const purgeDraft = (count: number) => ({ actor: '@bot:a.example', action: 'group.report.purge', subject: null, details: { count } });
    expect(await m.purgeReports(5_000, purgeDraft)).toBe(0);
    expect(await m.purgeReports(20_000, purgeDraft)).toBe(2);
    expect(await m.report('old')).toBeUndefined();
    expect(await m.report('edge')).toBeUndefined();
    expect(await m.report('new')).toBeDefined();
    const audit = await t.store.audit.range(1, 10);
    expect(audit.filter((e) => e.action === 'group.report.purge').map((e) => [e.details['count'], e.ts])).toEqual([[2, 20_000]]);
    expect(findChainBreak(audit, null)).toBeNull();
    expect(await t.sql('SELECT report_id FROM moderation_reports')).toEqual([{ report_id: 'new' }]);
  });
});
