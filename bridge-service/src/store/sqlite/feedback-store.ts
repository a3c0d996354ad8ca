// Anonymous session feedback in SQLite: counters, not rows. Every table is WITHOUT ROWID with a
// natural key (no sequence, no insertion order), nothing carries a time finer than the ISO week, and
// the counting tables hold no student, session or ticket value. See bridge-service/src/feedback/
// module.ts for why it is built this way.
import { randomBytes } from 'node:crypto';
import { responseIncrements, type FeedbackAggregateRow, type FeedbackResponse, type FeedbackSpend, type FeedbackStore, type FeedbackTotals } from '../feedback-store.ts';
import type { Migration, SqliteDatabase } from './database.ts';

const COUNTS = `responses INTEGER NOT NULL, h1 INTEGER NOT NULL, h2 INTEGER NOT NULL, h3 INTEGER NOT NULL, h4 INTEGER NOT NULL, h5 INTEGER NOT NULL,
  safe_yes INTEGER NOT NULL, safe_no INTEGER NOT NULL`;

export const feedbackMigrations: Migration[] = [{
  name: 'feedback/001-counters',
  sql: `
    CREATE TABLE feedback_ticket_keys (week TEXT PRIMARY KEY, key BLOB NOT NULL) WITHOUT ROWID;
    CREATE TABLE feedback_tickets_issued (session_id TEXT PRIMARY KEY, week TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE feedback_tickets_spent (nonce_hash TEXT PRIMARY KEY, week TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE feedback_by_week_topic (week TEXT NOT NULL, topic TEXT NOT NULL, ${COUNTS}, PRIMARY KEY (week, topic)) WITHOUT ROWID;
    CREATE TABLE feedback_themes_by_week_topic (week TEXT NOT NULL, topic TEXT NOT NULL, theme TEXT NOT NULL, responses INTEGER NOT NULL,
      PRIMARY KEY (week, topic, theme)) WITHOUT ROWID;
    CREATE TABLE feedback_by_supporter (supporter TEXT NOT NULL, batch TEXT NOT NULL CHECK (batch IN ('pending', 'released')), ${COUNTS},
      PRIMARY KEY (supporter, batch)) WITHOUT ROWID;
    CREATE TABLE feedback_themes_by_supporter (supporter TEXT NOT NULL, batch TEXT NOT NULL CHECK (batch IN ('pending', 'released')), theme TEXT NOT NULL,
      responses INTEGER NOT NULL, PRIMARY KEY (supporter, batch, theme)) WITHOUT ROWID;
  `,
}];

interface CountRow { responses: number; h1: number; h2: number; h3: number; h4: number; h5: number; safe_yes: number; safe_no: number }

const totals = (r: CountRow, themes: { theme: string; responses: number }[]): FeedbackTotals => ({
  responses: r.responses, helpfulness: [r.h1, r.h2, r.h3, r.h4, r.h5], felt_safe_yes: r.safe_yes, felt_safe_no: r.safe_no,
  themes: Object.fromEntries(themes.map((t) => [t.theme, t.responses])),
});

const ADD = 'responses = responses + excluded.responses, h1 = h1 + excluded.h1, h2 = h2 + excluded.h2, h3 = h3 + excluded.h3, '
  + 'h4 = h4 + excluded.h4, h5 = h5 + excluded.h5, safe_yes = safe_yes + excluded.safe_yes, safe_no = safe_no + excluded.safe_no';

export class SqliteFeedbackStore implements FeedbackStore {
  private readonly db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.db = db;
  }

  async aggregate(fromWeek: string, toWeek: string): Promise<FeedbackAggregateRow[]> {
    const rows = this.db.all<CountRow & { week: string; topic: string }>(
      'SELECT * FROM feedback_by_week_topic WHERE week >= ? AND week <= ? ORDER BY week, topic', fromWeek, toWeek);
    const themes = this.db.all<{ week: string; topic: string; theme: string; responses: number }>(
      'SELECT * FROM feedback_themes_by_week_topic WHERE week >= ? AND week <= ? ORDER BY theme', fromWeek, toWeek);
    return rows.map((r) => ({ week: r.week, topic: r.topic, ...totals(r, themes.filter((t) => t.week === r.week && t.topic === r.topic)) }));
  }

  async ticketKey(week: string, create: boolean): Promise<Uint8Array | undefined> {
    const read = (): Uint8Array | undefined => this.db.get<{ key: Uint8Array }>('SELECT key FROM feedback_ticket_keys WHERE week = ?', week)?.key;
    const found = read();
    if (found || !create) return found;
    return this.db.write(() => {
      this.db.run('INSERT INTO feedback_ticket_keys (week, key) VALUES (?, ?) ON CONFLICT (week) DO NOTHING', week, randomBytes(32));
      return read();
    });
  }

  markTicketIssued(sessionId: string, week: string): Promise<boolean> {
    return this.db.write(() => this.db.run('INSERT INTO feedback_tickets_issued (session_id, week) VALUES (?, ?) ON CONFLICT DO NOTHING', sessionId, week).changes === 1);
  }

  async ticketIssued(sessionId: string): Promise<boolean> {
    return this.db.get('SELECT 1 AS x FROM feedback_tickets_issued WHERE session_id = ?', sessionId) !== undefined;
  }

  submit(spend: FeedbackSpend, r: FeedbackResponse, releaseAt: number): Promise<'recorded' | 'used'> {
    return this.db.write(() => {
      const spent = this.db.run('INSERT INTO feedback_tickets_spent (nonce_hash, week) VALUES (?, ?) ON CONFLICT DO NOTHING', spend.nonce_hash, spend.ticket_week);
      if (spent.changes === 0) return 'used';
      const inc = responseIncrements(r);
      this.db.run(`INSERT INTO feedback_by_week_topic (week, topic, responses, h1, h2, h3, h4, h5, safe_yes, safe_no) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (week, topic) DO UPDATE SET ${ADD}`, r.week, r.topic, ...inc);
      for (const theme of new Set(r.themes)) {
        this.db.run(`INSERT INTO feedback_themes_by_week_topic (week, topic, theme, responses) VALUES (?, ?, ?, 1)
          ON CONFLICT (week, topic, theme) DO UPDATE SET responses = responses + 1`, r.week, r.topic, theme);
      }
      if (r.supporter !== null) this.countForSupporter(r.supporter, inc, r.themes, releaseAt);
      return 'recorded';
    });
  }

  /** Adds to the supporter's pending batch; a full batch is added to what they see and emptied. */
  private countForSupporter(supporter: string, inc: number[], themes: readonly string[], releaseAt: number): void {
    const addTo = (batch: string, values: number[], themeCounts: [string, number][]): void => {
      this.db.run(`INSERT INTO feedback_by_supporter (supporter, batch, responses, h1, h2, h3, h4, h5, safe_yes, safe_no) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (supporter, batch) DO UPDATE SET ${ADD}`, supporter, batch, ...values);
      for (const [theme, n] of themeCounts) {
        this.db.run(`INSERT INTO feedback_themes_by_supporter (supporter, batch, theme, responses) VALUES (?, ?, ?, ?)
          ON CONFLICT (supporter, batch, theme) DO UPDATE SET responses = responses + excluded.responses`, supporter, batch, theme, n);
      }
    };
    addTo('pending', inc, [...new Set(themes)].map((t) => [t, 1]));
    const pending = this.db.get<CountRow>("SELECT * FROM feedback_by_supporter WHERE supporter = ? AND batch = 'pending'", supporter)!;
    if (pending.responses < releaseAt) return;
    const pendingThemes = this.db.all<{ theme: string; responses: number }>("SELECT theme, responses FROM feedback_themes_by_supporter WHERE supporter = ? AND batch = 'pending'", supporter);
    addTo('released', [pending.responses, pending.h1, pending.h2, pending.h3, pending.h4, pending.h5, pending.safe_yes, pending.safe_no],
      pendingThemes.map((t) => [t.theme, t.responses]));
    this.db.run("DELETE FROM feedback_by_supporter WHERE supporter = ? AND batch = 'pending'", supporter);
    this.db.run("DELETE FROM feedback_themes_by_supporter WHERE supporter = ? AND batch = 'pending'", supporter);
  }

  async supporterTotals(supporter: string): Promise<FeedbackTotals | undefined> {
    const r = this.db.get<CountRow>("SELECT * FROM feedback_by_supporter WHERE supporter = ? AND batch = 'released'", supporter);
    if (!r) return undefined;
    return totals(r, this.db.all("SELECT theme, responses FROM feedback_themes_by_supporter WHERE supporter = ? AND batch = 'released' ORDER BY theme", supporter));
  }

  purgeTickets(beforeWeek: string): Promise<number> {
    return this.db.write(() => ['feedback_ticket_keys', 'feedback_tickets_issued', 'feedback_tickets_spent']
      .reduce((n, table) => n + this.db.run(`DELETE FROM ${table} WHERE week < ?`, beforeWeek).changes, 0));
  }
}
