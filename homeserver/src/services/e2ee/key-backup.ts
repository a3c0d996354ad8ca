// Server-side key backups (spec: "Server-side key backups"): versions with their auth_data, and the
// encrypted megolm session keys stored in them. Only the newest version accepts keys; older ones
// stay readable until deleted. Each change of stored keys moves the version's etag on.
import type { Database } from '../../storage/database.ts';
import type { BackupKeyRow, BackupVersionRow, E2eeStore } from '../../storage/e2ee-store.ts';
import type { JsonObject } from '../../core/pdu.ts';
import { MatrixError, badJson, invalidParam, notFound } from '../../api/errors.ts';
import { isObject } from '../../api/validate.ts';

/** One session's backed-up key (spec: KeyBackupData). */
export interface KeyBackupData {
  first_message_index: number;
  forwarded_count: number;
  is_verified: boolean;
  session_data: JsonObject;
}

export type RoomKeysUpload = Record<string, Record<string, KeyBackupData>>;

export interface RoomKeysUpdate {
  etag: string;
  count: number;
}

/** Whether an uploaded key should replace the stored one, by the spec's rules in order. */
export function shouldReplaceBackupKey(stored: KeyBackupData, incoming: KeyBackupData): boolean {
  if (stored.is_verified !== incoming.is_verified) return incoming.is_verified;
  if (stored.first_message_index !== incoming.first_message_index) return incoming.first_message_index < stored.first_message_index;
  return incoming.forwarded_count < stored.forwarded_count;
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/** Validates one KeyBackupData object. */
export function readKeyBackupData(v: unknown, where: string): KeyBackupData {
  if (!isObject(v)) throw badJson(`${where} must be an object`);
  const { first_message_index: fmi, forwarded_count: fc, is_verified: iv, session_data: sd } = v;
  if (!isCount(fmi)) throw badJson(`${where}.first_message_index must be a non-negative integer`);
  if (!isCount(fc)) throw badJson(`${where}.forwarded_count must be a non-negative integer`);
  if (typeof iv !== 'boolean') throw badJson(`${where}.is_verified must be a boolean`);
  if (!isObject(sd)) throw badJson(`${where}.session_data must be an object`);
  return { first_message_index: fmi, forwarded_count: fc, is_verified: iv, session_data: sd };
}

/** Validates `{ sessionId: KeyBackupData }` (the `sessions` of one room). */
export function readRoomSessions(v: unknown, where: string): Record<string, KeyBackupData> {
  if (!isObject(v)) throw badJson(`${where} must be an object of sessions`);
  const out: Record<string, KeyBackupData> = {};
  for (const [sessionId, data] of Object.entries(v)) out[sessionId] = readKeyBackupData(data, `${where}.${sessionId}`);
  return out;
}

function toData(r: BackupKeyRow): KeyBackupData {
  return { first_message_index: r.first_message_index, forwarded_count: r.forwarded_count, is_verified: r.is_verified === 1, session_data: JSON.parse(r.session_data) as JsonObject };
}

/** Backup versions are issued as decimal integers; anything else names no backup. */
function versionNumber(version: string): number | null {
  return /^[1-9]\d{0,14}$/.test(version) ? Number(version) : null;
}

export class KeyBackupService {
  private readonly db: Database;
  private readonly store: E2eeStore;

  constructor(opts: { db: Database; store: E2eeStore }) {
    this.db = opts.db;
    this.store = opts.store;
  }

  async createVersion(userId: string, algorithm: string, authData: JsonObject): Promise<string> {
    return String(await this.db.write(() => this.store.createBackupVersion(userId, algorithm, JSON.stringify(authData))));
  }

  /** A version that exists and is not deleted; M_NOT_FOUND otherwise. */
  private existing(userId: string, version: string): BackupVersionRow {
    const n = versionNumber(version);
    const row = n === null ? undefined : this.store.backupVersion(userId, n);
    if (!row || row.deleted) throw notFound(`Unknown backup version ${version}`);
    return row;
  }

  /** The version keys may be written to: the current one. */
  private writable(userId: string, version: string): BackupVersionRow {
    const current = this.store.backupVersion(userId, null);
    if (!current) throw notFound('No backup exists; create one with POST /room_keys/version');
    if (versionNumber(version) !== current.version) {
      throw new MatrixError(403, 'M_WRONG_ROOM_KEYS_VERSION', `Wrong backup version: ${version} is not the current backup version`, { current_version: String(current.version) });
    }
    return current;
  }

  private info(row: BackupVersionRow): JsonObject {
    return {
      algorithm: row.algorithm,
      auth_data: JSON.parse(row.auth_data) as JsonObject,
      version: String(row.version),
      etag: String(row.etag),
      count: this.store.backupKeyCount(row.user_id, row.version),
    };
  }

  /** GET /room_keys/version[/{version}] */
  versionInfo(userId: string, version?: string): JsonObject {
    if (version === undefined) {
      const current = this.store.backupVersion(userId, null);
      if (!current) throw notFound('No current backup version');
      return this.info(current);
    }
    return this.info(this.existing(userId, version));
  }

  /** PUT /room_keys/version/{version}: only auth_data may change. */
  async updateVersion(userId: string, version: string, algorithm: string, authData: JsonObject, bodyVersion: string | undefined): Promise<void> {
    if (bodyVersion !== undefined && bodyVersion !== version) throw invalidParam(`'version' in the body (${bodyVersion}) does not match the version in the path (${version})`);
    await this.db.write(() => {
      const row = this.existing(userId, version);
      if (row.algorithm !== algorithm) throw invalidParam(`'algorithm' must stay ${row.algorithm}: only auth_data can be changed`);
      this.store.updateBackupAuthData(userId, row.version, JSON.stringify(authData));
    });
  }

  /** DELETE /room_keys/version/{version}: succeeds again for an already deleted version. */
  async deleteVersion(userId: string, version: string): Promise<void> {
    await this.db.write(() => {
      const n = versionNumber(version);
      const row = n === null ? undefined : this.store.backupVersion(userId, n);
      if (!row) throw notFound(`Unknown backup version ${version}`);
      if (!row.deleted) this.store.deleteBackupVersion(userId, row.version);
    });
  }

  /** PUT /room_keys/keys…: stores keys in the current version, keeping the better of old and new. */
  async putKeys(userId: string, version: string, rooms: RoomKeysUpload): Promise<RoomKeysUpdate> {
    return this.db.write(() => {
      const row = this.writable(userId, version);
      let changed = false;
      for (const [roomId, sessions] of Object.entries(rooms)) {
        for (const [sessionId, data] of Object.entries(sessions)) {
          const stored = this.store.backupKey(userId, row.version, roomId, sessionId);
          if (stored && !shouldReplaceBackupKey(toData(stored), data)) continue;
          this.store.setBackupKey(userId, row.version, {
            room_id: roomId, session_id: sessionId, first_message_index: data.first_message_index, forwarded_count: data.forwarded_count,
            is_verified: data.is_verified ? 1 : 0, session_data: JSON.stringify(data.session_data),
          });
          changed = true;
        }
      }
      if (changed) this.store.bumpBackupEtag(userId, row.version);
      return { etag: String(row.etag + (changed ? 1 : 0)), count: this.store.backupKeyCount(userId, row.version) };
    });
  }

  /** GET /room_keys/keys: all rooms. */
  allKeys(userId: string, version: string): { rooms: Record<string, { sessions: Record<string, KeyBackupData> }> } {
    const row = this.existing(userId, version);
    const rooms: Record<string, { sessions: Record<string, KeyBackupData> }> = {};
    for (const k of this.store.backupKeys(userId, row.version)) (rooms[k.room_id] ??= { sessions: {} }).sessions[k.session_id] = toData(k);
    return { rooms };
  }

  /** GET /room_keys/keys/{roomId}: `{sessions: {}}` when the room has none. */
  roomKeys(userId: string, version: string, roomId: string): { sessions: Record<string, KeyBackupData> } {
    const row = this.existing(userId, version);
    const sessions: Record<string, KeyBackupData> = {};
    for (const k of this.store.backupKeys(userId, row.version, roomId)) sessions[k.session_id] = toData(k);
    return { sessions };
  }

  /** GET /room_keys/keys/{roomId}/{sessionId} */
  sessionKey(userId: string, version: string, roomId: string, sessionId: string): KeyBackupData {
    const row = this.existing(userId, version);
    const k = this.store.backupKey(userId, row.version, roomId, sessionId);
    if (!k) throw notFound(`No room_keys found for session ${sessionId} in ${roomId}`);
    return toData(k);
  }

  /** DELETE /room_keys/keys[/{roomId}[/{sessionId}]] */
  async deleteKeys(userId: string, version: string, roomId?: string, sessionId?: string): Promise<RoomKeysUpdate> {
    return this.db.write(() => {
      const row = this.existing(userId, version);
      const n = this.store.deleteBackupKeys(userId, row.version, roomId, sessionId);
      if (n > 0) this.store.bumpBackupEtag(userId, row.version);
      return { etag: String(row.etag + (n > 0 ? 1 : 0)), count: this.store.backupKeyCount(userId, row.version) };
    });
  }
}
