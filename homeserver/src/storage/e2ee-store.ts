// SQL for end-to-end encryption: device identity keys, one-time and fallback keys, cross-signing keys
// and the signatures uploaded for them, the per-recipient device-list change stream, to-device
// inboxes, and server-side key backups. Key material is stored as the JSON the client uploaded.
import type { Database, Migration } from './database.ts';

export const e2eeMigrations: Migration[] = [
  {
    name: 'e2ee/001-keys',
    sql: `
      CREATE TABLE e2ee_device_keys (
        user_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        key_json TEXT NOT NULL,
        PRIMARY KEY (user_id, device_id)
      );
      -- id orders keys by upload, since the spec hands them out in upload order.
      CREATE TABLE e2ee_one_time_keys (
        id INTEGER PRIMARY KEY,
        user_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        algorithm TEXT NOT NULL,
        key_id TEXT NOT NULL,
        key_json TEXT NOT NULL,
        UNIQUE (user_id, device_id, algorithm, key_id)
      );
      CREATE INDEX e2ee_one_time_keys_claim ON e2ee_one_time_keys (user_id, device_id, algorithm, id);
      CREATE TABLE e2ee_fallback_keys (
        user_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        algorithm TEXT NOT NULL,
        key_id TEXT NOT NULL,
        key_json TEXT NOT NULL,
        used INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (user_id, device_id, algorithm)
      );
      -- When a device's one-time key count or unused fallback keys last changed behind its back (claims).
      CREATE TABLE e2ee_key_count_changes (
        user_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        stream_pos INTEGER NOT NULL,
        PRIMARY KEY (user_id, device_id)
      );
      CREATE TABLE e2ee_cross_signing_keys (
        user_id TEXT NOT NULL,
        key_type TEXT NOT NULL,
        public_key TEXT NOT NULL,
        key_json TEXT NOT NULL,
        PRIMARY KEY (user_id, key_type)
      );
      -- Signatures uploaded through /keys/signatures/upload, merged into keys when they are queried.
      -- target_key_id is a device id or a cross-signing public key.
      CREATE TABLE e2ee_signatures (
        target_user_id TEXT NOT NULL,
        target_key_id TEXT NOT NULL,
        signer_user_id TEXT NOT NULL,
        signer_key_id TEXT NOT NULL,
        signature TEXT NOT NULL,
        PRIMARY KEY (target_user_id, target_key_id, signer_user_id, signer_key_id)
      );
      -- Fan-out of device-list changes: each row tells user_id that other_user_id 'changed' or 'left'.
      CREATE TABLE e2ee_device_list_changes (
        user_id TEXT NOT NULL,
        stream_pos INTEGER NOT NULL,
        other_user_id TEXT NOT NULL,
        change TEXT NOT NULL,
        PRIMARY KEY (user_id, stream_pos, other_user_id)
      );
      CREATE INDEX e2ee_device_list_changes_pos ON e2ee_device_list_changes (stream_pos);
      -- delivered_batch: the stream position of the /sync response that first carried the message;
      -- the message is deleted once the device syncs with a since at or past it.
      CREATE TABLE e2ee_to_device (
        id INTEGER PRIMARY KEY,
        user_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        stream_pos INTEGER NOT NULL,
        sender TEXT NOT NULL,
        type TEXT NOT NULL,
        content TEXT NOT NULL,
        delivered_batch INTEGER
      );
      CREATE INDEX e2ee_to_device_inbox ON e2ee_to_device (user_id, device_id, id);
      CREATE INDEX e2ee_to_device_pos ON e2ee_to_device (stream_pos);
      CREATE TABLE e2ee_to_device_txns (
        user_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        txn_id TEXT NOT NULL,
        ts INTEGER NOT NULL,
        PRIMARY KEY (user_id, device_id, txn_id)
      );
      CREATE INDEX e2ee_to_device_txns_ts ON e2ee_to_device_txns (ts);
      CREATE TABLE e2ee_backup_versions (
        user_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        algorithm TEXT NOT NULL,
        auth_data TEXT NOT NULL,
        etag INTEGER NOT NULL DEFAULT 0,
        deleted INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (user_id, version)
      );
      CREATE TABLE e2ee_backup_keys (
        user_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        room_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        first_message_index INTEGER NOT NULL,
        forwarded_count INTEGER NOT NULL,
        is_verified INTEGER NOT NULL,
        session_data TEXT NOT NULL,
        PRIMARY KEY (user_id, version, room_id, session_id)
      );
    `,
  },
];

/** Tables whose stream_pos values come from the shared StreamCounter. */
export const e2eeStreamTables = ['e2ee_key_count_changes', 'e2ee_device_list_changes', 'e2ee_to_device'];

export type CrossSigningKeyType = 'master' | 'self_signing' | 'user_signing';

export interface OneTimeKeyRow {
  id: number;
  algorithm: string;
  key_id: string;
  key_json: string;
}

export interface FallbackKeyRow {
  algorithm: string;
  key_id: string;
  key_json: string;
  used: number;
}

export interface SignatureRow {
  target_key_id: string;
  signer_user_id: string;
  signer_key_id: string;
  signature: string;
}

export interface ToDeviceRow {
  id: number;
  sender: string;
  type: string;
  content: string;
}

export interface BackupVersionRow {
  user_id: string;
  version: number;
  algorithm: string;
  auth_data: string;
  etag: number;
  deleted: number;
}

export interface BackupKeyRow {
  room_id: string;
  session_id: string;
  first_message_index: number;
  forwarded_count: number;
  is_verified: number;
  session_data: string;
}

export class E2eeStore {
  private readonly db: Database;
  constructor(db: Database) {
    this.db = db;
  }

  // Device keys
  deviceKeys(userId: string, deviceId: string): string | undefined {
    return this.db.get<{ key_json: string }>('SELECT key_json FROM e2ee_device_keys WHERE user_id = ? AND device_id = ?', userId, deviceId)?.key_json;
  }

  allDeviceKeys(userId: string): { device_id: string; key_json: string }[] {
    return this.db.all('SELECT device_id, key_json FROM e2ee_device_keys WHERE user_id = ? ORDER BY device_id', userId);
  }

  setDeviceKeys(userId: string, deviceId: string, json: string): void {
    this.db.run(
      `INSERT INTO e2ee_device_keys (user_id, device_id, key_json) VALUES (?, ?, ?)
       ON CONFLICT (user_id, device_id) DO UPDATE SET key_json = excluded.key_json`,
      userId, deviceId, json,
    );
  }

  // One-time keys
  oneTimeKey(userId: string, deviceId: string, algorithm: string, keyId: string): string | undefined {
    return this.db.get<{ key_json: string }>(
      'SELECT key_json FROM e2ee_one_time_keys WHERE user_id = ? AND device_id = ? AND algorithm = ? AND key_id = ?',
      userId, deviceId, algorithm, keyId,
    )?.key_json;
  }

  insertOneTimeKey(userId: string, deviceId: string, algorithm: string, keyId: string, json: string): void {
    this.db.run('INSERT INTO e2ee_one_time_keys (user_id, device_id, algorithm, key_id, key_json) VALUES (?, ?, ?, ?, ?)', userId, deviceId, algorithm, keyId, json);
  }

  oneTimeKeyCounts(userId: string, deviceId: string): { algorithm: string; n: number }[] {
    return this.db.all('SELECT algorithm, COUNT(*) AS n FROM e2ee_one_time_keys WHERE user_id = ? AND device_id = ? GROUP BY algorithm', userId, deviceId);
  }

  /** Removes and returns the oldest one-time key of an algorithm for a device. */
  takeOneTimeKey(userId: string, deviceId: string, algorithm: string): OneTimeKeyRow | undefined {
    const row = this.db.get<OneTimeKeyRow>(
      'SELECT id, algorithm, key_id, key_json FROM e2ee_one_time_keys WHERE user_id = ? AND device_id = ? AND algorithm = ? ORDER BY id LIMIT 1',
      userId, deviceId, algorithm,
    );
    if (row) this.db.run('DELETE FROM e2ee_one_time_keys WHERE id = ?', row.id);
    return row;
  }

  // Fallback keys
  fallbackKey(userId: string, deviceId: string, algorithm: string): FallbackKeyRow | undefined {
    return this.db.get<FallbackKeyRow>(
      'SELECT algorithm, key_id, key_json, used FROM e2ee_fallback_keys WHERE user_id = ? AND device_id = ? AND algorithm = ?',
      userId, deviceId, algorithm,
    );
  }

  setFallbackKey(userId: string, deviceId: string, algorithm: string, keyId: string, json: string): void {
    this.db.run(
      `INSERT INTO e2ee_fallback_keys (user_id, device_id, algorithm, key_id, key_json, used) VALUES (?, ?, ?, ?, ?, 0)
       ON CONFLICT (user_id, device_id, algorithm) DO UPDATE SET key_id = excluded.key_id, key_json = excluded.key_json, used = 0`,
      userId, deviceId, algorithm, keyId, json,
    );
  }

  markFallbackKeyUsed(userId: string, deviceId: string, algorithm: string): void {
    this.db.run('UPDATE e2ee_fallback_keys SET used = 1 WHERE user_id = ? AND device_id = ? AND algorithm = ?', userId, deviceId, algorithm);
  }

  unusedFallbackKeyAlgorithms(userId: string, deviceId: string): string[] {
    return this.db.all<{ algorithm: string }>('SELECT algorithm FROM e2ee_fallback_keys WHERE user_id = ? AND device_id = ? AND used = 0 ORDER BY algorithm', userId, deviceId).map((r) => r.algorithm);
  }

  setKeyCountChanged(userId: string, deviceId: string, pos: number): void {
    this.db.run(
      `INSERT INTO e2ee_key_count_changes (user_id, device_id, stream_pos) VALUES (?, ?, ?)
       ON CONFLICT (user_id, device_id) DO UPDATE SET stream_pos = excluded.stream_pos`,
      userId, deviceId, pos,
    );
  }

  keyCountChangedBetween(userId: string, deviceId: string, from: number, to: number): boolean {
    return this.db.get('SELECT 1 AS x FROM e2ee_key_count_changes WHERE user_id = ? AND device_id = ? AND stream_pos > ? AND stream_pos <= ?', userId, deviceId, from, to) !== undefined;
  }

  // Cross-signing keys and signatures
  crossSigningKey(userId: string, type: CrossSigningKeyType): { public_key: string; key_json: string } | undefined {
    return this.db.get('SELECT public_key, key_json FROM e2ee_cross_signing_keys WHERE user_id = ? AND key_type = ?', userId, type);
  }

  setCrossSigningKey(userId: string, type: CrossSigningKeyType, publicKey: string, json: string): void {
    this.db.run(
      `INSERT INTO e2ee_cross_signing_keys (user_id, key_type, public_key, key_json) VALUES (?, ?, ?, ?)
       ON CONFLICT (user_id, key_type) DO UPDATE SET public_key = excluded.public_key, key_json = excluded.key_json`,
      userId, type, publicKey, json,
    );
  }

  /** Signatures on one user's keys made by `signers` (the key's owner and the viewer). */
  signaturesFor(targetUserId: string, signers: string[]): SignatureRow[] {
    const [a, b] = [signers[0] ?? '', signers[1] ?? signers[0] ?? ''];
    return this.db.all<SignatureRow>(
      'SELECT target_key_id, signer_user_id, signer_key_id, signature FROM e2ee_signatures WHERE target_user_id = ? AND signer_user_id IN (?, ?)',
      targetUserId, a, b,
    );
  }

  setSignature(targetUserId: string, targetKeyId: string, signerUserId: string, signerKeyId: string, signature: string): void {
    this.db.run(
      `INSERT INTO e2ee_signatures (target_user_id, target_key_id, signer_user_id, signer_key_id, signature) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (target_user_id, target_key_id, signer_user_id, signer_key_id) DO UPDATE SET signature = excluded.signature`,
      targetUserId, targetKeyId, signerUserId, signerKeyId, signature,
    );
  }

  /** Forgets everything about a deleted device: its keys, signatures by and on it, and its inbox. */
  deleteDevice(userId: string, deviceId: string): void {
    this.db.run('DELETE FROM e2ee_device_keys WHERE user_id = ? AND device_id = ?', userId, deviceId);
    this.db.run('DELETE FROM e2ee_one_time_keys WHERE user_id = ? AND device_id = ?', userId, deviceId);
    this.db.run('DELETE FROM e2ee_fallback_keys WHERE user_id = ? AND device_id = ?', userId, deviceId);
    this.db.run('DELETE FROM e2ee_key_count_changes WHERE user_id = ? AND device_id = ?', userId, deviceId);
    this.db.run('DELETE FROM e2ee_signatures WHERE target_user_id = ? AND target_key_id = ?', userId, deviceId);
    this.db.run('DELETE FROM e2ee_signatures WHERE signer_user_id = ? AND signer_key_id = ?', userId, `ed25519:${deviceId}`);
    this.db.run('DELETE FROM e2ee_to_device WHERE user_id = ? AND device_id = ?', userId, deviceId);
    this.db.run('DELETE FROM e2ee_to_device_txns WHERE user_id = ? AND device_id = ?', userId, deviceId);
  }

  // Device-list change stream
  insertDeviceListChange(recipient: string, pos: number, otherUserId: string, change: 'changed' | 'left'): void {
    this.db.run(
      `INSERT INTO e2ee_device_list_changes (user_id, stream_pos, other_user_id, change) VALUES (?, ?, ?, ?)
       ON CONFLICT (user_id, stream_pos, other_user_id) DO UPDATE SET change = excluded.change`,
      recipient, pos, otherUserId, change,
    );
  }

  /** Changes for `recipient` with from < stream_pos <= to, oldest first. */
  deviceListChanges(recipient: string, from: number, to: number): { other_user_id: string; change: string }[] {
    return this.db.all(
      'SELECT other_user_id, change FROM e2ee_device_list_changes WHERE user_id = ? AND stream_pos > ? AND stream_pos <= ? ORDER BY stream_pos',
      recipient, from, to,
    );
  }

  hasDeviceListChanges(recipient: string, from: number, to: number): boolean {
    return this.db.get('SELECT 1 AS x FROM e2ee_device_list_changes WHERE user_id = ? AND stream_pos > ? AND stream_pos <= ? LIMIT 1', recipient, from, to) !== undefined;
  }

  // To-device messages
  toDeviceTxnSeen(userId: string, deviceId: string, txnId: string): boolean {
    return this.db.get('SELECT 1 AS x FROM e2ee_to_device_txns WHERE user_id = ? AND device_id = ? AND txn_id = ?', userId, deviceId, txnId) !== undefined;
  }

  recordToDeviceTxn(userId: string, deviceId: string, txnId: string, now: number, forgetBefore: number): void {
    this.db.run('DELETE FROM e2ee_to_device_txns WHERE ts < ?', forgetBefore);
    this.db.run('INSERT OR IGNORE INTO e2ee_to_device_txns (user_id, device_id, txn_id, ts) VALUES (?, ?, ?, ?)', userId, deviceId, txnId, now);
  }

  insertToDevice(userId: string, deviceId: string, pos: number, sender: string, type: string, content: string): void {
    this.db.run('INSERT INTO e2ee_to_device (user_id, device_id, stream_pos, sender, type, content) VALUES (?, ?, ?, ?, ?, ?)', userId, deviceId, pos, sender, type, content);
  }

  /** Messages not yet acknowledged as of `since`: never delivered, or first delivered after it. */
  pendingToDevice(userId: string, deviceId: string, since: number, upTo: number, limit: number): ToDeviceRow[] {
    return this.db.all<ToDeviceRow>(
      `SELECT id, sender, type, content FROM e2ee_to_device
       WHERE user_id = ? AND device_id = ? AND stream_pos <= ? AND (delivered_batch IS NULL OR delivered_batch > ?)
       ORDER BY id LIMIT ?`,
      userId, deviceId, upTo, since, limit,
    );
  }

  hasPendingToDevice(userId: string, deviceId: string, since: number, upTo: number): boolean {
    return this.db.get(
      `SELECT 1 AS x FROM e2ee_to_device WHERE user_id = ? AND device_id = ? AND stream_pos <= ?
       AND (delivered_batch IS NULL OR delivered_batch > ?) LIMIT 1`,
      userId, deviceId, upTo, since,
    ) !== undefined;
  }

  hasAcknowledgedToDevice(userId: string, deviceId: string, since: number): boolean {
    return this.db.get('SELECT 1 AS x FROM e2ee_to_device WHERE user_id = ? AND device_id = ? AND delivered_batch <= ? LIMIT 1', userId, deviceId, since) !== undefined;
  }

  deleteAcknowledgedToDevice(userId: string, deviceId: string, since: number): void {
    this.db.run('DELETE FROM e2ee_to_device WHERE user_id = ? AND device_id = ? AND delivered_batch <= ?', userId, deviceId, since);
  }

  /** Records the batch that first carried these messages; a re-delivery keeps the first batch. */
  markToDeviceDelivered(ids: number[], batch: number): void {
    for (const id of ids) this.db.run('UPDATE e2ee_to_device SET delivered_batch = ? WHERE id = ? AND delivered_batch IS NULL', batch, id);
  }

  // Key backup
  backupVersion(userId: string, version: number | null): BackupVersionRow | undefined {
    return version === null
      ? this.db.get<BackupVersionRow>('SELECT * FROM e2ee_backup_versions WHERE user_id = ? AND deleted = 0 ORDER BY version DESC LIMIT 1', userId)
      : this.db.get<BackupVersionRow>('SELECT * FROM e2ee_backup_versions WHERE user_id = ? AND version = ?', userId, version);
  }

  /** Creates a new version numbered after every earlier one, deleted or not. */
  createBackupVersion(userId: string, algorithm: string, authData: string): number {
    const max = this.db.get<{ m: number | null }>('SELECT MAX(version) AS m FROM e2ee_backup_versions WHERE user_id = ?', userId)?.m ?? 0;
    const version = max + 1;
    this.db.run('INSERT INTO e2ee_backup_versions (user_id, version, algorithm, auth_data) VALUES (?, ?, ?, ?)', userId, version, algorithm, authData);
    return version;
  }

  updateBackupAuthData(userId: string, version: number, authData: string): void {
    this.db.run('UPDATE e2ee_backup_versions SET auth_data = ? WHERE user_id = ? AND version = ?', authData, userId, version);
  }

  deleteBackupVersion(userId: string, version: number): void {
    this.db.run('DELETE FROM e2ee_backup_keys WHERE user_id = ? AND version = ?', userId, version);
    this.db.run("UPDATE e2ee_backup_versions SET deleted = 1, auth_data = '{}' WHERE user_id = ? AND version = ?", userId, version);
  }

  bumpBackupEtag(userId: string, version: number): void {
    this.db.run('UPDATE e2ee_backup_versions SET etag = etag + 1 WHERE user_id = ? AND version = ?', userId, version);
  }

  backupKeyCount(userId: string, version: number): number {
    return this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM e2ee_backup_keys WHERE user_id = ? AND version = ?', userId, version)?.n ?? 0;
  }

  backupKey(userId: string, version: number, roomId: string, sessionId: string): BackupKeyRow | undefined {
    return this.db.get<BackupKeyRow>(
      'SELECT room_id, session_id, first_message_index, forwarded_count, is_verified, session_data FROM e2ee_backup_keys WHERE user_id = ? AND version = ? AND room_id = ? AND session_id = ?',
      userId, version, roomId, sessionId,
    );
  }

  /** Keys of a backup, optionally narrowed to a room (and a session). */
  backupKeys(userId: string, version: number, roomId?: string, sessionId?: string): BackupKeyRow[] {
    const cols = 'room_id, session_id, first_message_index, forwarded_count, is_verified, session_data';
    if (roomId !== undefined && sessionId !== undefined) {
      return this.db.all<BackupKeyRow>(`SELECT ${cols} FROM e2ee_backup_keys WHERE user_id = ? AND version = ? AND room_id = ? AND session_id = ?`, userId, version, roomId, sessionId);
    }
    if (roomId !== undefined) {
      return this.db.all<BackupKeyRow>(`SELECT ${cols} FROM e2ee_backup_keys WHERE user_id = ? AND version = ? AND room_id = ?`, userId, version, roomId);
    }
    return this.db.all<BackupKeyRow>(`SELECT ${cols} FROM e2ee_backup_keys WHERE user_id = ? AND version = ?`, userId, version);
  }

  setBackupKey(userId: string, version: number, k: BackupKeyRow): void {
    this.db.run(
      `INSERT INTO e2ee_backup_keys (user_id, version, room_id, session_id, first_message_index, forwarded_count, is_verified, session_data)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (user_id, version, room_id, session_id) DO UPDATE SET first_message_index = excluded.first_message_index,
         forwarded_count = excluded.forwarded_count, is_verified = excluded.is_verified, session_data = excluded.session_data`,
      userId, version, k.room_id, k.session_id, k.first_message_index, k.forwarded_count, k.is_verified, k.session_data,
    );
  }

  /** Deletes keys of a backup (all, one room's, or one session's); returns how many. */
  deleteBackupKeys(userId: string, version: number, roomId?: string, sessionId?: string): number {
    if (roomId !== undefined && sessionId !== undefined) {
      return this.db.run('DELETE FROM e2ee_backup_keys WHERE user_id = ? AND version = ? AND room_id = ? AND session_id = ?', userId, version, roomId, sessionId).changes;
    }
    if (roomId !== undefined) return this.db.run('DELETE FROM e2ee_backup_keys WHERE user_id = ? AND version = ? AND room_id = ?', userId, version, roomId).changes;
    return this.db.run('DELETE FROM e2ee_backup_keys WHERE user_id = ? AND version = ?', userId, version).changes;
  }
}
