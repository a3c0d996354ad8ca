// The feedback store's contract, run against SQLite and PostgreSQL alike: the schema keeps nothing
// that could tie an answer to a student or session, a ticket is spent once, answers are counted by
// week and topic, and a supporter's aggregate is released in batches of at least 5.
import { describe, expect, it } from 'vitest';
import type { FeedbackResponse, FeedbackStore } from '../feedback-store.ts';
import type { Store } from '../store.ts';
import { storeBackends, type TestStore } from '../test-fixture.ts';

const backends = storeBackends();

const feedbackOf = (t: TestStore): FeedbackStore => (t.store as Partial<Store>).feedback!;

const answer = (over: Partial<FeedbackResponse> = {}): FeedbackResponse => ({
  week: '2026-W10', topic: 'exam-stress', supporter: '@sup:a.example', helpfulness: 4, felt_safe: true, themes: ['listened-to'], ...over,
});
let n = 0;
const spend = (week = '2026-W10') => ({ nonce_hash: `hash-${++n}`, ticket_week: week });

/** The tables whose rows count answers (the ticket bookkeeping is checked separately). */
const COUNTING = ['feedback_by_week_topic', 'feedback_themes_by_week_topic', 'feedback_by_supporter', 'feedback_themes_by_supporter'];
const ALLOWED_COLUMNS = new Set(['week', 'topic', 'supporter', 'batch', 'theme', 'responses', 'h1', 'h2', 'h3', 'h4', 'h5', 'safe_yes', 'safe_no']);

async function columns(t: TestStore, name: 'SQLite' | 'PostgreSQL', table: string): Promise<{ name: string; type: string }[]> {
  if (name === 'SQLite') return t.sql(`SELECT name, type FROM pragma_table_info('${table}') ORDER BY cid`);
  return t.sql(`SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '${table}' ORDER BY ordinal_position`);
}

describe.each(backends)('feedback store on $name', (backend) => {
  it('keeps answers in tables with no user, session, ticket, sequence or time finer than the week', async () => {
    const t = await backend.open();
    const tables = backend.name === 'SQLite'
      ? await t.sql<{ name: string; sql: string }>("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name LIKE 'feedback%' ORDER BY name")
      : await t.sql<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE 'feedback%' ORDER BY table_name");
    expect(tables.map((x) => x.name)).toEqual([...COUNTING, 'feedback_ticket_keys', 'feedback_tickets_issued', 'feedback_tickets_spent'].sort());
    for (const table of COUNTING) {
      const cols = await columns(t, backend.name, table);
      expect(cols.length).toBeGreaterThan(0);
      for (const c of cols) {
        expect(ALLOWED_COLUMNS, `${table}.${c.name}`).toContain(c.name);
        expect(c.type.toLowerCase(), `${table}.${c.name}`).toMatch(/^(text|integer)$/);
      }
    }
    // The spent-ticket markers: a hash and the week, nothing that names a session or student.
    expect((await columns(t, backend.name, 'feedback_tickets_spent')).map((c) => c.name)).toEqual(['nonce_hash', 'week']);
    if (backend.name === 'SQLite') {
      // No rowid: nothing records insertion order.
      for (const x of tables as { name: string; sql: string }[]) expect(x.sql, x.name).toMatch(/WITHOUT ROWID\s*$/);
    } else {
      const generated = await t.sql(`SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name LIKE 'feedback%'
        AND (column_default IS NOT NULL OR is_identity = 'YES' OR data_type LIKE 'timestamp%' OR data_type IN ('date', 'time', 'interval'))`);
      expect(generated).toEqual([]);
      expect(await t.sql("SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = current_schema() AND sequence_name LIKE 'feedback%'")).toEqual([]);
    }
  });

  it('spends a ticket once: a second answer with it writes nothing', async () => {
    const t = await backend.open();
    const f = feedbackOf(t);
    const s = spend();
    expect(await f.submit(s, answer(), 5)).toBe('recorded');
    expect(await f.submit(s, answer({ helpfulness: 1 }), 5)).toBe('used');
    const [row] = await f.aggregate('2026-W10', '2026-W10');
    expect(row).toMatchObject({ responses: 1, helpfulness: [0, 0, 0, 1, 0] });
  });

  it('spends a ticket once even when two answers with it arrive together', async () => {
    const t = await backend.open();
    const f = feedbackOf(t);
    const s = spend();
    const results = await Promise.all([f.submit(s, answer(), 5), f.submit(s, answer(), 5), f.submit(s, answer(), 5)]);
    expect(results.sort()).toEqual(['recorded', 'used', 'used']);
    expect((await f.aggregate('2026-W01', '2026-W52'))[0]!.responses).toBe(1);
  });

  it('sums answers by week and topic, with the themes counted, for the weeks asked', async () => {
    const t = await backend.open();
    const f = feedbackOf(t);
    await f.submit(spend(), answer({ helpfulness: 5, themes: ['listened-to', 'practical-ideas'] }), 5);
    await f.submit(spend(), answer({ helpfulness: 2, felt_safe: false, themes: ['felt-rushed', 'listened-to'] }), 5);
    await f.submit(spend(), answer({ topic: 'low-mood', themes: [] }), 5);
    await f.submit(spend('2026-W11'), answer({ week: '2026-W11', supporter: null }), 5);
    await f.submit(spend('2026-W09'), answer({ week: '2026-W09' }), 5);
    expect(await f.aggregate('2026-W10', '2026-W11')).toEqual([
      { week: '2026-W10', topic: 'exam-stress', responses: 2, helpfulness: [0, 1, 0, 0, 1], felt_safe_yes: 1, felt_safe_no: 1,
        themes: { 'felt-rushed': 1, 'listened-to': 2, 'practical-ideas': 1 } },
      { week: '2026-W10', topic: 'low-mood', responses: 1, helpfulness: [0, 0, 0, 1, 0], felt_safe_yes: 1, felt_safe_no: 0, themes: {} },
      { week: '2026-W11', topic: 'exam-stress', responses: 1, helpfulness: [0, 0, 0, 1, 0], felt_safe_yes: 1, felt_safe_no: 0, themes: { 'listened-to': 1 } },
    ]);
    expect(await f.aggregate('2027-W01', '2027-W02')).toEqual([]);
  });

  it("releases a supporter's answers only in whole batches of 5, never one at a time", async () => {
    const t = await backend.open();
    const f = feedbackOf(t);
    const sup = '@sup:a.example';
    for (let i = 0; i < 4; i++) await f.submit(spend(), answer({ helpfulness: 3, themes: ['listened-to'] }), 5);
    await f.submit(spend(), answer({ supporter: '@other:a.example' }), 5);
    expect(await f.supporterTotals(sup)).toBeUndefined();
    await f.submit(spend(), answer({ helpfulness: 5, felt_safe: false, themes: ['practical-ideas'] }), 5);
    const five = { responses: 5, helpfulness: [0, 0, 4, 0, 1], felt_safe_yes: 4, felt_safe_no: 1, themes: { 'listened-to': 4, 'practical-ideas': 1 } };
    expect(await f.supporterTotals(sup)).toEqual(five);
    for (let i = 0; i < 4; i++) {
      await f.submit(spend(), answer({ helpfulness: 1, themes: [] }), 5);
      expect(await f.supporterTotals(sup)).toEqual(five);
    }
    await f.submit(spend(), answer({ helpfulness: 1, themes: ['felt-rushed'] }), 5);
    expect(await f.supporterTotals(sup)).toEqual({
      responses: 10, helpfulness: [5, 0, 4, 0, 1], felt_safe_yes: 9, felt_safe_no: 1, themes: { 'felt-rushed': 1, 'listened-to': 4, 'practical-ideas': 1 },
    });
    expect(await f.supporterTotals('@other:a.example')).toBeUndefined();
  });

  it('issues a session\'s ticket once, keeps one key per week, and purges keys and markers of past weeks', async () => {
    const t = await backend.open();
    const f = feedbackOf(t);
    expect(await f.ticketKey('2026-W10', false)).toBeUndefined();
    const key = await f.ticketKey('2026-W10', true);
    expect(key?.length).toBe(32);
    expect(Buffer.from((await f.ticketKey('2026-W10', true))!)).toEqual(Buffer.from(key!));
    await f.ticketKey('2026-W12', true);
    expect(await f.markTicketIssued('ps_1', '2026-W10')).toBe(true);
    expect(await f.markTicketIssued('ps_1', '2026-W10')).toBe(false);
    expect(await f.ticketIssued('ps_1')).toBe(true);
    await f.submit(spend('2026-W10'), answer(), 5);
    expect(await f.purgeTickets('2026-W11')).toBe(3);
    expect(await f.ticketKey('2026-W10', false)).toBeUndefined();
    expect(await f.ticketKey('2026-W12', false)).toBeDefined();
    expect(await f.ticketIssued('ps_1')).toBe(false);
    // The answers themselves stay.
    expect((await f.aggregate('2026-W10', '2026-W10'))[0]!.responses).toBe(1);
  });
});
