// SQL for accounts, devices, access tokens, profiles, registration and OpenID tokens.
import type { Database } from './database.ts';

export interface UserRow {
  user_id: string;
  password_hash: string | null;
  created_ts: number;
  is_admin: number;
  is_guest: number;
  deactivated: number;
  appservice_id: string | null;
  user_type: string | null;
}

export interface DeviceRow {
  user_id: string;
  device_id: string;
  display_name: string | null;
  last_seen_ts: number | null;
  last_seen_ip: string | null;
}

export interface TokenRow {
  token_hash: string;
  user_id: string;
  device_id: string | null;
  created_ts: number;
  expires_ts: number | null;
}

export interface RegistrationTokenRow {
  token: string;
  uses_allowed: number | null;
  pending: number;
  completed: number;
  expiry_time: number | null;
}

export class UsersStore {
  private readonly db: Database;
  constructor(db: Database) {
    this.db = db;
  }

  getUser(userId: string): UserRow | undefined {
    return this.db.get<UserRow>('SELECT * FROM users WHERE user_id = ?', userId);
  }

  insertUser(u: { userId: string; passwordHash: string | null; now: number; isAdmin: boolean; appserviceId: string | null; userType?: string | null }): void {
    this.db.run(
      'INSERT INTO users (user_id, password_hash, created_ts, is_admin, appservice_id, user_type) VALUES (?, ?, ?, ?, ?, ?)',
      u.userId, u.passwordHash, u.now, u.isAdmin ? 1 : 0, u.appserviceId, u.userType ?? null,
    );
    this.db.run('INSERT OR IGNORE INTO profiles (user_id, displayname) VALUES (?, ?)', u.userId, null);
  }

  setPasswordHash(userId: string, hash: string | null): void {
    this.db.run('UPDATE users SET password_hash = ? WHERE user_id = ?', hash, userId);
  }

  setDeactivated(userId: string): void {
    this.db.run('UPDATE users SET deactivated = 1, password_hash = NULL WHERE user_id = ?', userId);
  }

  /** Records that the account asked for erasure (deactivate with erase: true). */
  markErased(userId: string, now: number): void {
    this.db.run('INSERT OR IGNORE INTO erased_users (user_id, erased_ts) VALUES (?, ?)', userId, now);
  }

  erasedUsers(): string[] {
    return this.db.all<{ user_id: string }>('SELECT user_id FROM erased_users').map((r) => r.user_id);
  }

  countUsers(): number {
    return this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM users')!.n;
  }

  // Devices
  getDevice(userId: string, deviceId: string): DeviceRow | undefined {
    return this.db.get<DeviceRow>('SELECT * FROM devices WHERE user_id = ? AND device_id = ?', userId, deviceId);
  }

  listDevices(userId: string): DeviceRow[] {
    return this.db.all<DeviceRow>('SELECT * FROM devices WHERE user_id = ? ORDER BY device_id', userId);
  }

  upsertDevice(userId: string, deviceId: string, displayName: string | null, now: number, ip: string | null): void {
    this.db.run(
      `INSERT INTO devices (user_id, device_id, display_name, last_seen_ts, last_seen_ip) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (user_id, device_id) DO UPDATE SET display_name = COALESCE(excluded.display_name, display_name),
         last_seen_ts = excluded.last_seen_ts, last_seen_ip = excluded.last_seen_ip`,
      userId, deviceId, displayName, now, ip,
    );
  }

  setDeviceDisplayName(userId: string, deviceId: string, name: string | null): void {
    this.db.run('UPDATE devices SET display_name = ? WHERE user_id = ? AND device_id = ?', name, userId, deviceId);
  }

  touchDevice(userId: string, deviceId: string, now: number, ip: string): void {
    this.db.run('UPDATE devices SET last_seen_ts = ?, last_seen_ip = ? WHERE user_id = ? AND device_id = ?', now, ip, userId, deviceId);
  }

  deleteDevice(userId: string, deviceId: string): string[] {
    const hashes = this.db.all<{ token_hash: string }>('SELECT token_hash FROM access_tokens WHERE user_id = ? AND device_id = ?', userId, deviceId).map((r) => r.token_hash);
    this.db.run('DELETE FROM access_tokens WHERE user_id = ? AND device_id = ?', userId, deviceId);
    this.db.run('DELETE FROM devices WHERE user_id = ? AND device_id = ?', userId, deviceId);
    return hashes;
  }

  // Access tokens
  insertToken(t: TokenRow): void {
    this.db.run('INSERT INTO access_tokens (token_hash, user_id, device_id, created_ts, expires_ts) VALUES (?, ?, ?, ?, ?)', t.token_hash, t.user_id, t.device_id, t.created_ts, t.expires_ts);
  }

  getToken(hash: string): TokenRow | undefined {
    return this.db.get<TokenRow>('SELECT * FROM access_tokens WHERE token_hash = ?', hash);
  }

  deleteToken(hash: string): void {
    this.db.run('DELETE FROM access_tokens WHERE token_hash = ?', hash);
  }

  tokenHashesForUser(userId: string): string[] {
    return this.db.all<{ token_hash: string }>('SELECT token_hash FROM access_tokens WHERE user_id = ?', userId).map((r) => r.token_hash);
  }

  // Profiles
  getProfile(userId: string): { displayname: string | null; avatar_url: string | null } | undefined {
    return this.db.get('SELECT displayname, avatar_url FROM profiles WHERE user_id = ?', userId);
  }

  setProfileField(userId: string, field: 'displayname' | 'avatar_url', value: string | null): void {
    this.db.run(`INSERT INTO profiles (user_id, ${field}) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET ${field} = excluded.${field}`, userId, value);
  }

  searchLocalUsers(term: string, limit: number): { user_id: string; displayname: string | null; avatar_url: string | null }[] {
    const like = `%${term.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
    return this.db.all(
      `SELECT u.user_id, p.displayname, p.avatar_url FROM users u LEFT JOIN profiles p ON p.user_id = u.user_id
       WHERE u.deactivated = 0 AND u.appservice_id IS NULL AND (u.user_id LIKE ? ESCAPE '\\' OR p.displayname LIKE ? ESCAPE '\\')
       ORDER BY u.user_id LIMIT ?`,
      like, like, limit,
    );
  }

  // Registration tokens
  getRegistrationToken(token: string): RegistrationTokenRow | undefined {
    return this.db.get<RegistrationTokenRow>('SELECT * FROM registration_tokens WHERE token = ?', token);
  }

  insertRegistrationToken(token: string, usesAllowed: number | null, expiry: number | null): void {
    this.db.run('INSERT INTO registration_tokens (token, uses_allowed, expiry_time) VALUES (?, ?, ?)', token, usesAllowed, expiry);
  }

  listRegistrationTokens(): RegistrationTokenRow[] {
    return this.db.all<RegistrationTokenRow>('SELECT * FROM registration_tokens ORDER BY token');
  }

  deleteRegistrationToken(token: string): boolean {
    return this.db.run('DELETE FROM registration_tokens WHERE token = ?', token).changes > 0;
  }

  completeRegistrationToken(token: string): void {
    this.db.run('UPDATE registration_tokens SET completed = completed + 1 WHERE token = ?', token);
  }

  // OpenID
  insertOpenIdToken(hash: string, userId: string, expires: number): void {
    this.db.run('INSERT INTO openid_tokens (token_hash, user_id, expires_ts) VALUES (?, ?, ?)', hash, userId, expires);
  }

  getOpenIdUser(hash: string, now: number): string | undefined {
    return this.db.get<{ user_id: string }>('SELECT user_id FROM openid_tokens WHERE token_hash = ? AND expires_ts > ?', hash, now)?.user_id;
  }

  // Shared-secret registration nonces
  insertNonce(nonce: string, now: number): void {
    this.db.run('DELETE FROM admin_register_nonces WHERE created_ts < ?', now - 60_000);
    this.db.run('INSERT INTO admin_register_nonces (nonce, created_ts) VALUES (?, ?)', nonce, now);
  }

  consumeNonce(nonce: string, now: number): boolean {
    return this.db.run('DELETE FROM admin_register_nonces WHERE nonce = ? AND created_ts >= ?', nonce, now - 60_000).changes > 0;
  }

  getMeta(key: string): string | undefined {
    return this.db.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', key)?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', key, value);
  }
}
