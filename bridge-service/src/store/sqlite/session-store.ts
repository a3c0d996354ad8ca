// Bridge sessions in SQLite: one row per issued token (by hash), linked by session_id across
// rotations so a whole sign-in can be revoked at once.
import type { SessionRow, SessionStore } from '../store.ts';
import type { Migration, SqliteDatabase } from './database.ts';

export const sessionMigrations: Migration[] = [{
  name: 'sessions/001-tokens',
  sql: `
    CREATE TABLE sessions (
      token_hash TEXT PRIMARY KEY,
      session_id TEXT NOT NULL,
      user_id TEXT NOT NULL,
      created_ts INTEGER NOT NULL,
      expires_ts INTEGER NOT NULL,
      family_expires_ts INTEGER NOT NULL,
      replaced_ts INTEGER,
      revoked_ts INTEGER
    );
    CREATE INDEX sessions_by_session ON sessions(session_id);
    CREATE INDEX sessions_by_user ON sessions(user_id);
    CREATE INDEX sessions_by_end ON sessions(family_expires_ts);
  `,
}];

export class SqliteSessionStore implements SessionStore {
  private readonly db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.db = db;
  }

  private insertInWrite(r: SessionRow): void {
    this.db.run(
      `INSERT INTO sessions (token_hash, session_id, user_id, created_ts, expires_ts, family_expires_ts, replaced_ts, revoked_ts)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      r.token_hash, r.session_id, r.user_id, r.created_ts, r.expires_ts, r.family_expires_ts, r.replaced_ts, r.revoked_ts,
    );
  }

  insert(row: SessionRow): Promise<void> {
    return this.db.write(() => this.insertInWrite(row));
  }

  async byTokenHash(tokenHash: string): Promise<SessionRow | undefined> {
    return this.db.get<SessionRow>('SELECT * FROM sessions WHERE token_hash = ?', tokenHash);
  }

  rotate(oldHash: string, next: SessionRow, now: number): Promise<boolean> {
    return this.db.write(() => {
      // The condition makes two concurrent refreshes with one token produce one successor.
      const { changes } = this.db.run(
        'UPDATE sessions SET replaced_ts = ? WHERE token_hash = ? AND replaced_ts IS NULL AND revoked_ts IS NULL AND expires_ts > ?',
        now, oldHash, now,
      );
      if (changes === 0) return false;
      this.insertInWrite(next);
      return true;
    });
  }

  revokeSession(sessionId: string, now: number): Promise<number> {
    return this.db.write(() => {
      const live = this.db.get<{ n: number }>(
        'SELECT COUNT(*) AS n FROM sessions WHERE session_id = ? AND revoked_ts IS NULL AND replaced_ts IS NULL AND expires_ts > ?', sessionId, now,
      )?.n ?? 0;
      this.db.run('UPDATE sessions SET revoked_ts = ? WHERE session_id = ? AND revoked_ts IS NULL', now, sessionId);
      return live;
    });
  }

  revokeUser(userId: string, now: number): Promise<number> {
    return this.db.write(() => {
      const live = this.db.get<{ n: number }>(
        'SELECT COUNT(*) AS n FROM sessions WHERE user_id = ? AND revoked_ts IS NULL AND replaced_ts IS NULL AND expires_ts > ?', userId, now,
      )?.n ?? 0;
      this.db.run('UPDATE sessions SET revoked_ts = ? WHERE user_id = ? AND revoked_ts IS NULL', now, userId);
      return live;
    });
  }

  purgeExpired(now: number): Promise<number> {
    return this.db.write(() => this.db.run('DELETE FROM sessions WHERE family_expires_ts <= ?', now).changes);
  }
}
