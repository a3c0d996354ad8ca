// Anonymous session feedback in PostgreSQL: counters keyed by natural keys — no serial, no identity
// column, no timestamp finer than the ISO week, and no student, session or ticket value in the
// counting tables. Spending a ticket and counting its response is one transaction; a second spend of
// the same ticket hits the spent marker's primary key and writes nothing. See
// bridge-service/src/feedback/module.ts for why it is built this way.
import { randomBytes } from 'node:crypto';
import { responseIncrements, type FeedbackAggregateRow, type FeedbackResponse, type FeedbackSpend, type FeedbackStore, type FeedbackTotals } from '../feedback-store.ts';
import type { PgDatabase, PgMigration, PgQueryable } from './database.ts';

const COUNTS = `responses INTEGER NOT NULL, h1 INTEGER NOT NULL, h2 INTEGER NOT NULL, h3 INTEGER NOT NULL, h4 INTEGER NOT NULL, h5 INTEGER NOT NULL,
  safe_yes INTEGER NOT NULL, safe_no INTEGER NOT NULL`;

export const pgFeedbackMigrations: PgMigration[] = [{
  name: 'feedback/001-counters',
  sql: `
    CREATE TABLE feedback_ticket_keys (week TEXT COLLATE "C" PRIMARY KEY, key BYTEA NOT NULL);
    CREATE TABLE feedback_tickets_issued (session_id TEXT PRIMARY KEY, week TEXT COLLATE "C" NOT NULL);
    CREATE TABLE feedback_tickets_spent (nonce_hash TEXT PRIMARY KEY, week TEXT COLLATE "C" NOT NULL);
    CREATE TABLE feedback_by_week_topic (week TEXT COLLATE "C" NOT NULL, topic TEXT NOT NULL, ${COUNTS}, PRIMARY KEY (week, topic));
    CREATE TABLE feedback_themes_by_week_topic (week TEXT COLLATE "C" NOT NULL, topic TEXT NOT NULL, theme TEXT NOT NULL, responses INTEGER NOT NULL,
      PRIMARY KEY (week, topic, theme));
    CREATE TABLE feedback_by_supporter (supporter TEXT NOT NULL, batch TEXT NOT NULL CHECK (batch IN ('pending', 'released')), ${COUNTS},
      PRIMARY KEY (supporter, batch));
    CREATE TABLE feedback_themes_by_supporter (supporter TEXT NOT NULL, batch TEXT NOT NULL CHECK (batch IN ('pending', 'released')), theme TEXT NOT NULL,
      responses INTEGER NOT NULL, PRIMARY KEY (supporter, batch, theme));
  `,
}];

interface CountRow { responses: number; h1: number; h2: number; h3: number; h4: number; h5: number; safe_yes: number; safe_no: number }

const totals = (r: CountRow, themes: { theme: string; responses: number }[]): FeedbackTotals => ({
  responses: r.responses, helpfulness: [r.h1, r.h2, r.h3, r.h4, r.h5], felt_safe_yes: r.safe_yes, felt_safe_no: r.safe_no,
  themes: Object.fromEntries(themes.map((t) => [t.theme, t.responses])),
});

const ADD = 'responses = t.responses + excluded.responses, h1 = t.h1 + excluded.h1, h2 = t.h2 + excluded.h2, h3 = t.h3 + excluded.h3, '
  + 'h4 = t.h4 + excluded.h4, h5 = t.h5 + excluded.h5, safe_yes = t.safe_yes + excluded.safe_yes, safe_no = t.safe_no + excluded.safe_no';

export class PgFeedbackStore implements FeedbackStore {
  private readonly db: PgDatabase;

  constructor(db: PgDatabase) {
    this.db = db;
  }

  async aggregate(fromWeek: string, toWeek: string): Promise<FeedbackAggregateRow[]> {
    const rows = await this.db.query<CountRow & { week: string; topic: string }>(
      'SELECT * FROM feedback_by_week_topic WHERE week >= $1 AND week <= $2 ORDER BY week, topic COLLATE "C"', [fromWeek, toWeek]);
    const themes = await this.db.query<{ week: string; topic: string; theme: string; responses: number }>(
      'SELECT * FROM feedback_themes_by_week_topic WHERE week >= $1 AND week <= $2 ORDER BY theme COLLATE "C"', [fromWeek, toWeek]);
    return rows.map((r) => ({ week: r.week, topic: r.topic, ...totals(r, themes.filter((t) => t.week === r.week && t.topic === r.topic)) }));
  }

  async ticketKey(week: string, create: boolean): Promise<Uint8Array | undefined> {
    const read = async (): Promise<Uint8Array | undefined> =>
      (await this.db.query<{ key: Buffer }>('SELECT key FROM feedback_ticket_keys WHERE week = $1', [week]))[0]?.key;
    const found = await read();
    if (found || !create) return found;
    await this.db.execute('INSERT INTO feedback_ticket_keys (week, key) VALUES ($1, $2) ON CONFLICT (week) DO NOTHING', [week, randomBytes(32)]);
    return read();
  }

  async markTicketIssued(sessionId: string, week: string): Promise<boolean> {
    return (await this.db.execute('INSERT INTO feedback_tickets_issued (session_id, week) VALUES ($1, $2) ON CONFLICT DO NOTHING', [sessionId, week])) === 1;
  }

  async ticketIssued(sessionId: string): Promise<boolean> {
    return (await this.db.query('SELECT 1 FROM feedback_tickets_issued WHERE session_id = $1', [sessionId])).length > 0;
  }

  submit(spend: FeedbackSpend, r: FeedbackResponse, releaseAt: number): Promise<'recorded' | 'used'> {
    return this.db.tx(async (q) => {
      const spent = await q.execute('INSERT INTO feedback_tickets_spent (nonce_hash, week) VALUES ($1, $2) ON CONFLICT DO NOTHING', [spend.nonce_hash, spend.ticket_week]);
      if (spent === 0) return 'used';
      const inc = responseIncrements(r);
      await q.execute(`INSERT INTO feedback_by_week_topic AS t (week, topic, responses, h1, h2, h3, h4, h5, safe_yes, safe_no)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (week, topic) DO UPDATE SET ${ADD}`, [r.week, r.topic, ...inc]);
      for (const theme of new Set(r.themes)) {
        await q.execute(`INSERT INTO feedback_themes_by_week_topic AS t (week, topic, theme, responses) VALUES ($1, $2, $3, 1)
          ON CONFLICT (week, topic, theme) DO UPDATE SET responses = t.responses + 1`, [r.week, r.topic, theme]);
      }
      if (r.supporter !== null) await this.countForSupporter(q, r.supporter, inc, r.themes, releaseAt);
      return 'recorded';
    });
  }

  /** Adds to the supporter's pending batch; a full batch is added to what they see and emptied. */
  private async countForSupporter(q: PgQueryable, supporter: string, inc: number[], themes: readonly string[], releaseAt: number): Promise<void> {
    const addTo = async (batch: string, values: number[], themeCounts: [string, number][]): Promise<void> => {
      await q.execute(`INSERT INTO feedback_by_supporter AS t (supporter, batch, responses, h1, h2, h3, h4, h5, safe_yes, safe_no)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (supporter, batch) DO UPDATE SET ${ADD}`, [supporter, batch, ...values]);
      for (const [theme, n] of themeCounts) {
        await q.execute(`INSERT INTO feedback_themes_by_supporter AS t (supporter, batch, theme, responses) VALUES ($1, $2, $3, $4)
          ON CONFLICT (supporter, batch, theme) DO UPDATE SET responses = t.responses + excluded.responses`, [supporter, batch, theme, n]);
      }
    };
    await addTo('pending', inc, [...new Set(themes)].map((t) => [t, 1]));
    // The upsert above holds the pending row's lock until commit, so two concurrent responses
    // cannot both release (or both miss) the same batch.
    const pending = (await q.query<CountRow>("SELECT * FROM feedback_by_supporter WHERE supporter = $1 AND batch = 'pending'", [supporter]))[0]!;
    if (pending.responses < releaseAt) return;
    const pendingThemes = await q.query<{ theme: string; responses: number }>(
      "SELECT theme, responses FROM feedback_themes_by_supporter WHERE supporter = $1 AND batch = 'pending'", [supporter]);
    await addTo('released', [pending.responses, pending.h1, pending.h2, pending.h3, pending.h4, pending.h5, pending.safe_yes, pending.safe_no],
      pendingThemes.map((t) => [t.theme, t.responses]));
    await q.execute("DELETE FROM feedback_by_supporter WHERE supporter = $1 AND batch = 'pending'", [supporter]);
    await q.execute("DELETE FROM feedback_themes_by_supporter WHERE supporter = $1 AND batch = 'pending'", [supporter]);
  }

  async supporterTotals(supporter: string): Promise<FeedbackTotals | undefined> {
    const r = (await this.db.query<CountRow>("SELECT * FROM feedback_by_supporter WHERE supporter = $1 AND batch = 'released'", [supporter]))[0];
    if (!r) return undefined;
    return totals(r, await this.db.query("SELECT theme, responses FROM feedback_themes_by_supporter WHERE supporter = $1 AND batch = 'released' ORDER BY theme COLLATE \"C\"", [supporter]));
  }

  purgeTickets(beforeWeek: string): Promise<number> {
    return this.db.tx(async (q) => {
      let n = 0;
      for (const table of ['feedback_ticket_keys', 'feedback_tickets_issued', 'feedback_tickets_spent']) n += await q.execute(`DELETE FROM ${table} WHERE week < $1`, [beforeWeek]);
      return n;
    });
  }
}
