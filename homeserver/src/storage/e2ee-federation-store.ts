// SQL for end-to-end encryption across servers: the per-user sequence of the device-list updates we
// announce to other servers (and what each announced device looked like, so that only real changes
// are sent), and the device lists of remote users we cache while we share a room with them.
// Remote users' cross-signing keys live in e2ee_cross_signing_keys beside our own users' keys.
import type { Database, Migration } from './database.ts';

export const e2eeFederationMigrations: Migration[] = [
  {
    name: 'e2ee-federation/001-device-lists',
    sql: `
      -- Outbound: stream_id of the latest m.device_list_update sent for a local user.
      CREATE TABLE e2ee_fed_local_lists (
        user_id TEXT PRIMARY KEY,
        stream_id INTEGER NOT NULL
      );
      -- Outbound: a digest of each device (item 'device:<id>') and cross-signing key
      -- (item 'signing:<type>') as last announced.
      CREATE TABLE e2ee_fed_announced (
        user_id TEXT NOT NULL,
        item TEXT NOT NULL,
        digest TEXT NOT NULL,
        PRIMARY KEY (user_id, item)
      );
      -- Inbound: a cached remote device list. stream_id is the latest update applied (the
      -- extremity); seen holds recent stream ids as a JSON array; stale lists are fetched again.
      CREATE TABLE e2ee_fed_remote_lists (
        user_id TEXT PRIMARY KEY,
        stream_id INTEGER NOT NULL,
        seen TEXT NOT NULL,
        stale INTEGER NOT NULL DEFAULT 0,
        updated_ts INTEGER NOT NULL
      );
      CREATE TABLE e2ee_fed_remote_devices (
        user_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        display_name TEXT,
        keys_json TEXT,
        PRIMARY KEY (user_id, device_id)
      );
    `,
  },
];

export interface RemoteListRow {
  user_id: string;
  stream_id: number;
  seen: string;
  stale: number;
  updated_ts: number;
}

export interface RemoteDeviceRow {
  device_id: string;
  display_name: string | null;
  keys_json: string | null;
}

export class E2eeFederationStore {
  private readonly db: Database;
  constructor(db: Database) {
    this.db = db;
  }

  // Outbound
  localStreamId(userId: string): number {
    return this.db.get<{ stream_id: number }>('SELECT stream_id FROM e2ee_fed_local_lists WHERE user_id = ?', userId)?.stream_id ?? 0;
  }

  setLocalStreamId(userId: string, streamId: number): void {
    this.db.run(
      `INSERT INTO e2ee_fed_local_lists (user_id, stream_id) VALUES (?, ?)
       ON CONFLICT (user_id) DO UPDATE SET stream_id = excluded.stream_id`,
      userId, streamId,
    );
  }

  announced(userId: string): Map<string, string> {
    const rows = this.db.all<{ item: string; digest: string }>('SELECT item, digest FROM e2ee_fed_announced WHERE user_id = ?', userId);
    return new Map(rows.map((r) => [r.item, r.digest]));
  }

  setAnnounced(userId: string, item: string, digest: string): void {
    this.db.run(
      `INSERT INTO e2ee_fed_announced (user_id, item, digest) VALUES (?, ?, ?)
       ON CONFLICT (user_id, item) DO UPDATE SET digest = excluded.digest`,
      userId, item, digest,
    );
  }

  deleteAnnounced(userId: string, item: string): void {
    this.db.run('DELETE FROM e2ee_fed_announced WHERE user_id = ? AND item = ?', userId, item);
  }

  // Inbound
  remoteList(userId: string): RemoteListRow | undefined {
    return this.db.get<RemoteListRow>('SELECT * FROM e2ee_fed_remote_lists WHERE user_id = ?', userId);
  }

  setRemoteList(userId: string, streamId: number, seen: number[], now: number): void {
    this.db.run(
      `INSERT INTO e2ee_fed_remote_lists (user_id, stream_id, seen, stale, updated_ts) VALUES (?, ?, ?, 0, ?)
       ON CONFLICT (user_id) DO UPDATE SET stream_id = excluded.stream_id, seen = excluded.seen, stale = 0, updated_ts = excluded.updated_ts`,
      userId, streamId, JSON.stringify(seen), now,
    );
  }

  markRemoteListStale(userId: string): void {
    this.db.run('UPDATE e2ee_fed_remote_lists SET stale = 1 WHERE user_id = ?', userId);
  }

  remoteDevices(userId: string): RemoteDeviceRow[] {
    return this.db.all<RemoteDeviceRow>('SELECT device_id, display_name, keys_json FROM e2ee_fed_remote_devices WHERE user_id = ? ORDER BY device_id', userId);
  }

  setRemoteDevice(userId: string, deviceId: string, displayName: string | null, keysJson: string | null): void {
    this.db.run(
      `INSERT INTO e2ee_fed_remote_devices (user_id, device_id, display_name, keys_json) VALUES (?, ?, ?, ?)
       ON CONFLICT (user_id, device_id) DO UPDATE SET display_name = excluded.display_name, keys_json = excluded.keys_json`,
      userId, deviceId, displayName, keysJson,
    );
  }

  deleteRemoteDevice(userId: string, deviceId: string): void {
    this.db.run('DELETE FROM e2ee_fed_remote_devices WHERE user_id = ? AND device_id = ?', userId, deviceId);
  }

  /** Forgets a remote user's cached device list (we no longer share a room, or before a full resync). */
  forgetRemoteUser(userId: string): void {
    this.db.run('DELETE FROM e2ee_fed_remote_devices WHERE user_id = ?', userId);
    this.db.run('DELETE FROM e2ee_fed_remote_lists WHERE user_id = ?', userId);
  }

  /** Deletes the cached devices only (a resync replaces them). */
  clearRemoteDevices(userId: string): void {
    this.db.run('DELETE FROM e2ee_fed_remote_devices WHERE user_id = ?', userId);
  }
}
