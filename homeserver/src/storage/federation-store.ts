// SQL for the federation transport: other servers' verify keys (cached with the time until which
// each may be used), the signed key responses they came in (re-served by our notary endpoints), and
// the history of our own signing keys (so a rotated key stays published under old_verify_keys).
import type { Database, Migration } from './database.ts';

export const federationMigrations: Migration[] = [
  {
    name: 'federation/001-server-keys',
    sql: `
      -- A signed /_matrix/key/v2/server response as received (directly or through a notary).
      CREATE TABLE federation_key_responses (
        id INTEGER PRIMARY KEY,
        server_name TEXT NOT NULL,
        -- the server that handed us the response: the origin itself or a notary
        from_server TEXT NOT NULL,
        response_json TEXT NOT NULL,
        valid_until_ts INTEGER NOT NULL,
        added_ts INTEGER NOT NULL
      );
      CREATE INDEX federation_key_responses_server ON federation_key_responses (server_name);
      -- One row per key of another server; the newest verified response wins.
      CREATE TABLE federation_server_keys (
        server_name TEXT NOT NULL,
        key_id TEXT NOT NULL,
        public_key TEXT NOT NULL,
        -- until when the key may be used: a verify key's valid_until_ts capped at fetch time + 7 days
        -- (spec), an old key's expired_ts
        valid_until_ts INTEGER NOT NULL,
        -- 1 when listed under old_verify_keys: valid for event signatures only, never for requests
        is_old INTEGER NOT NULL,
        response_id INTEGER NOT NULL REFERENCES federation_key_responses (id),
        PRIMARY KEY (server_name, key_id)
      );
      CREATE TABLE federation_own_keys (
        key_id TEXT PRIMARY KEY,
        public_key TEXT NOT NULL,
        first_used_ts INTEGER NOT NULL,
        -- set when another key replaced this one
        expired_ts INTEGER
      );
    `,
  },
];

export interface StoredServerKey {
  server_name: string;
  key_id: string;
  public_key: string;
  valid_until_ts: number;
  is_old: number;
}

export interface StoredKeyResponse {
  id: number;
  server_name: string;
  from_server: string;
  response_json: string;
  valid_until_ts: number;
  added_ts: number;
}

export interface OwnKeyRow {
  key_id: string;
  public_key: string;
  first_used_ts: number;
  expired_ts: number | null;
}

export interface KeyToStore {
  keyId: string;
  publicKey: string;
  validUntilTs: number;
  isOld: boolean;
}

export class FederationStore {
  private readonly db: Database;

  constructor(db: Database) {
    this.db = db;
  }

  getServerKey(serverName: string, keyId: string): StoredServerKey | undefined {
    return this.db.get('SELECT server_name, key_id, public_key, valid_until_ts, is_old FROM federation_server_keys WHERE server_name = ? AND key_id = ?', serverName, keyId);
  }

  serverKeys(serverName: string): StoredServerKey[] {
    return this.db.all('SELECT server_name, key_id, public_key, valid_until_ts, is_old FROM federation_server_keys WHERE server_name = ?', serverName);
  }

  /** The stored responses that hold `serverName`'s keys (restricted to `keyIds` when given). */
  keyResponses(serverName: string, keyIds?: readonly string[]): StoredKeyResponse[] {
    const rows = this.db.all<StoredKeyResponse & { key_id: string }>(
      `SELECT r.id, r.server_name, r.from_server, r.response_json, r.valid_until_ts, r.added_ts, k.key_id
       FROM federation_server_keys k JOIN federation_key_responses r ON r.id = k.response_id
       WHERE k.server_name = ? ORDER BY r.added_ts DESC`,
      serverName,
    );
    const seen = new Map<number, StoredKeyResponse>();
    for (const r of rows) {
      if (keyIds && keyIds.length > 0 && !keyIds.includes(r.key_id)) continue;
      if (!seen.has(r.id)) {
        const { key_id: _k, ...resp } = r;
        void _k;
        seen.set(r.id, resp);
      }
    }
    return [...seen.values()];
  }

  /**
   * Records a verified key response and its keys (inside a write). Keys it names replace what we
   * had for them; responses no longer referenced by any key are dropped.
   */
  storeKeyResponse(r: { serverName: string; fromServer: string; json: string; validUntilTs: number; addedTs: number; keys: readonly KeyToStore[] }): void {
    const { lastInsertRowid: id } = this.db.run(
      'INSERT INTO federation_key_responses (server_name, from_server, response_json, valid_until_ts, added_ts) VALUES (?, ?, ?, ?, ?)',
      r.serverName, r.fromServer, r.json, r.validUntilTs, r.addedTs,
    );
    for (const k of r.keys) {
      this.db.run(
        `INSERT INTO federation_server_keys (server_name, key_id, public_key, valid_until_ts, is_old, response_id) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (server_name, key_id) DO UPDATE SET public_key = excluded.public_key, valid_until_ts = excluded.valid_until_ts,
           is_old = excluded.is_old, response_id = excluded.response_id`,
        r.serverName, k.keyId, k.publicKey, k.validUntilTs, k.isOld ? 1 : 0, id,
      );
    }
    this.db.run(
      `DELETE FROM federation_key_responses WHERE server_name = ?
       AND id NOT IN (SELECT response_id FROM federation_server_keys WHERE server_name = ?)`,
      r.serverName, r.serverName,
    );
  }

  ownKeys(): OwnKeyRow[] {
    return this.db.all('SELECT key_id, public_key, first_used_ts, expired_ts FROM federation_own_keys ORDER BY first_used_ts');
  }

  /** Records the key in use now; any other key still marked current is expired as of `now`. */
  recordCurrentOwnKey(keyId: string, publicKey: string, now: number): void {
    this.db.run(
      `INSERT INTO federation_own_keys (key_id, public_key, first_used_ts, expired_ts) VALUES (?, ?, ?, NULL)
       ON CONFLICT (key_id) DO UPDATE SET public_key = excluded.public_key, expired_ts = NULL`,
      keyId, publicKey, now,
    );
    this.db.run('UPDATE federation_own_keys SET expired_ts = ? WHERE key_id != ? AND expired_ts IS NULL', now, keyId);
  }
}
