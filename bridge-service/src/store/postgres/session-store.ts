// Bridge sessions in PostgreSQL: one row per issued token (by hash), linked by session_id across
// rotations so a whole sign-in can be revoked at once. Conditional single-statement updates keep
// rotation and revocation correct when several replicas act on one session at the same moment.
import type { SessionRow, SessionStore } from '../store.ts';
import type { PgDatabase, PgMigration, PgQueryable } from './database.ts';

export const pgSessionMigrations: PgMigration[] = [{
  name: 'sessions/001-tokens',
  sql: `
    CREATE TABLE sessions (
      token_hash TEXT PRIMARY KEY,
      session_id TEXT NOT NULL,
      user_id TEXT NOT NULL,
      created_ts BIGINT NOT NULL,
      expires_ts BIGINT NOT NULL,
      family_expires_ts BIGINT NOT NULL,
      replaced_ts BIGINT,
      revoked_ts BIGINT
    );
    CREATE INDEX sessions_by_session ON sessions(session_id);
    CREATE INDEX sessions_by_user ON sessions(user_id);
    CREATE INDEX sessions_by_end ON sessions(family_expires_ts);
  `,
}];

export class PgSessionStore implements SessionStore {
  private readonly db: PgDatabase;

  constructor(db: PgDatabase) {
    this.db = db;
  }

  private async insertWith(q: PgQueryable, r: SessionRow): Promise<void> {
    await q.execute(
      `INSERT INTO sessions (token_hash, session_id, user_id, created_ts, expires_ts, family_expires_ts, replaced_ts, revoked_ts)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [r.token_hash, r.session_id, r.user_id, r.created_ts, r.expires_ts, r.family_expires_ts, r.replaced_ts, r.revoked_ts],
    );
  }

  insert(row: SessionRow): Promise<void> {
    return this.insertWith(this.db, row);
  }

  async byTokenHash(tokenHash: string): Promise<SessionRow | undefined> {
    return (await this.db.query<SessionRow>('SELECT * FROM sessions WHERE token_hash = $1', [tokenHash]))[0];
  }

  rotate(oldHash: string, next: SessionRow, now: number): Promise<boolean> {
    return this.db.tx(async (q) => {
      // A concurrent rotation of the same token waits on the row lock, then re-checks the condition
      // and changes nothing: two refreshes with one token produce one successor.
      const changed = await q.execute(
        'UPDATE sessions SET replaced_ts = $1 WHERE token_hash = $2 AND replaced_ts IS NULL AND revoked_ts IS NULL AND expires_ts > $1',
        [now, oldHash],
      );
      if (changed === 0) return false;
      await this.insertWith(q, next);
      return true;
    });
  }

  private async revokeWhere(column: 'session_id' | 'user_id', value: string, now: number): Promise<number> {
    // Counts, among the rows this statement revokes, those that were still usable.
    const rows = await this.db.query<{ live: boolean }>(
      `UPDATE sessions SET revoked_ts = $1 WHERE ${column} = $2 AND revoked_ts IS NULL
       RETURNING (replaced_ts IS NULL AND expires_ts > $1) AS live`,
      [now, value],
    );
    return rows.filter((r) => r.live).length;
  }

  revokeSession(sessionId: string, now: number): Promise<number> {
    return this.revokeWhere('session_id', sessionId, now);
  }

  revokeUser(userId: string, now: number): Promise<number> {
    return this.revokeWhere('user_id', userId, now);
  }

  purgeExpired(now: number): Promise<number> {
    return this.db.execute('DELETE FROM sessions WHERE family_expires_ts <= $1', [now]);
  }
}
