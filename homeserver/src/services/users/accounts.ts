// Accounts, devices and access tokens: registration, password login, token authentication, logout.
// Tokens are random 256-bit values; only their sha256 is stored. Authentication is served from an
// in-memory cache in front of the table, since every request needs it.
import { createHash, randomBytes } from 'node:crypto';
import type { Database, WriteTx } from '../../storage/database.ts';
import type { UsersStore } from '../../storage/users-store.ts';
import type { Auth } from '../../api/router.ts';
import { MatrixError, forbidden } from '../../api/errors.ts';
import { isValidLocalpart, newDeviceId, randomString } from '../../core/ids.ts';
import { hashPassword, verifyPassword } from './passwords.ts';

export interface Clock {
  now(): number;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64');
}

export function newAccessToken(prefix = 'plt'): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export interface LoginResult {
  user_id: string;
  access_token: string;
  device_id: string;
  home_server?: string;
  expires_in_ms?: number;
}

type DeviceListener = (userId: string, deviceId: string) => void;
type DeviceTxListener = (tx: WriteTx, userId: string, deviceId: string) => void;

export class AccountsService {
  private readonly db: Database;
  private readonly store: UsersStore;
  private readonly clock: Clock;
  readonly serverName: string;
  private readonly tokenLifetimeMs: number | null;
  private readonly tokenCache = new Map<string, Auth & { expires: number | null }>();
  private readonly deviceAdded: DeviceListener[] = [];
  private readonly deviceAddedInTx: DeviceTxListener[] = [];
  private readonly deviceDeleted: DeviceListener[] = [];
  private readonly lastSeenWritten = new Map<string, number>();

  constructor(opts: { db: Database; store: UsersStore; clock: Clock; serverName: string; tokenLifetimeMs: number | null }) {
    this.db = opts.db;
    this.store = opts.store;
    this.clock = opts.clock;
    this.serverName = opts.serverName;
    this.tokenLifetimeMs = opts.tokenLifetimeMs;
  }

  onDeviceAdded(fn: DeviceListener): void {
    this.deviceAdded.push(fn);
  }

  /** Runs inside the write that creates a device, so what it records commits with the device. */
  onDeviceAddedInTx(fn: DeviceTxListener): void {
    this.deviceAddedInTx.push(fn);
  }

  onDeviceDeleted(fn: DeviceListener): void {
    this.deviceDeleted.push(fn);
  }

  userIdFor(localpart: string): string {
    return `@${localpart}:${this.serverName}`;
  }

  isLocalUser(userId: string): boolean {
    return userId.endsWith(`:${this.serverName}`);
  }

  userExists(userId: string): boolean {
    return this.store.getUser(userId) !== undefined;
  }

  isAdmin(userId: string): boolean {
    return this.store.getUser(userId)?.is_admin === 1;
  }

  /** Checks a requested localpart: grammar and length (the caller checks namespaces). */
  validateLocalpart(localpart: string): void {
    if (!isValidLocalpart(localpart)) {
      throw new MatrixError(400, 'M_INVALID_USERNAME', `user id localpart '${localpart}' may only contain a-z, 0-9, . _ = - / +`);
    }
    if (this.userIdFor(localpart).length > 255) throw new MatrixError(400, 'M_INVALID_USERNAME', 'user id is longer than 255 characters');
  }

  generateLocalpart(): string {
    for (;;) {
      const lp = 'u-' + randomString(8, 'abcdefghijklmnopqrstuvwxyz0123456789');
      if (!this.userExists(this.userIdFor(lp))) return lp;
    }
  }

  /** Creates an account; fails with M_USER_IN_USE when it exists. */
  async createUser(opts: { localpart: string; password: string | null; admin?: boolean; appserviceId?: string | null; displayname?: string | null; userType?: string | null }): Promise<string> {
    const userId = this.userIdFor(opts.localpart);
    const passwordHash = opts.password === null ? null : await hashPassword(opts.password);
    await this.db.write(() => {
      if (this.store.getUser(userId)) throw new MatrixError(400, 'M_USER_IN_USE', `user id ${userId} is already taken`);
      this.store.insertUser({ userId, passwordHash, now: this.clock.now(), isAdmin: !!opts.admin, appserviceId: opts.appserviceId ?? null, userType: opts.userType ?? null });
      this.store.setProfileField(userId, 'displayname', opts.displayname ?? opts.localpart);
    });
    return userId;
  }

  /** Creates a device (or reuses the given id) and an access token for it. */
  async issueLogin(userId: string, opts: { deviceId?: string | undefined; displayName?: string | undefined; ip: string }): Promise<LoginResult> {
    const deviceId = opts.deviceId ?? newDeviceId();
    const token = newAccessToken();
    const now = this.clock.now();
    const expires = this.tokenLifetimeMs ? now + this.tokenLifetimeMs : null;
    let replaced: string[] = [];
    let isNew = false;
    await this.db.write((tx) => {
      isNew = !this.store.getDevice(userId, deviceId);
      // Logging in with an existing device id replaces that device's old tokens (spec: login).
      if (!isNew) {
        replaced = this.db.all<{ token_hash: string }>('SELECT token_hash FROM access_tokens WHERE user_id = ? AND device_id = ?', userId, deviceId).map((r) => r.token_hash);
        this.db.run('DELETE FROM access_tokens WHERE user_id = ? AND device_id = ?', userId, deviceId);
      }
      this.store.upsertDevice(userId, deviceId, opts.displayName ?? null, now, opts.ip);
      this.store.insertToken({ token_hash: hashToken(token), user_id: userId, device_id: deviceId, created_ts: now, expires_ts: expires });
      if (isNew) for (const fn of this.deviceAddedInTx) fn(tx, userId, deviceId);
    });
    for (const h of replaced) this.tokenCache.delete(h);
    if (isNew) for (const fn of this.deviceAdded) fn(userId, deviceId);
    return {
      user_id: userId,
      access_token: token,
      device_id: deviceId,
      home_server: this.serverName,
      ...(this.tokenLifetimeMs ? { expires_in_ms: this.tokenLifetimeMs } : {}),
    };
  }

  /** Checks a password for a local user; throws M_FORBIDDEN on any mismatch (same message either way). */
  async checkPassword(userId: string, password: string): Promise<void> {
    const user = this.store.getUser(userId);
    const ok = await verifyPassword(password, user && !user.deactivated ? user.password_hash : null);
    if (!ok || !user) throw forbidden('Invalid username or password');
  }

  /** Resolves an access token to its user and device, or null. */
  authenticateToken(token: string): Auth | null {
    const hash = hashToken(token);
    let entry = this.tokenCache.get(hash);
    if (!entry) {
      const row = this.store.getToken(hash);
      if (!row) return null;
      const user = this.store.getUser(row.user_id);
      if (!user || user.deactivated) return null;
      entry = { userId: row.user_id, deviceId: row.device_id, tokenHash: hash, isGuest: user.is_guest === 1, expires: row.expires_ts };
      if (this.tokenCache.size > 100_000) this.tokenCache.clear();
      this.tokenCache.set(hash, entry);
    }
    if (entry.expires !== null && entry.expires <= this.clock.now()) return null;
    return { userId: entry.userId, deviceId: entry.deviceId, tokenHash: hash, isGuest: entry.isGuest };
  }

  /** Records last-seen time and IP for a device, at most once a minute per device. */
  touch(auth: Auth, ip: string): void {
    if (!auth.deviceId || auth.appserviceId) return;
    const key = `${auth.userId}|${auth.deviceId}`;
    const now = this.clock.now();
    const last = this.lastSeenWritten.get(key) ?? 0;
    if (now - last < 60_000) return;
    this.lastSeenWritten.set(key, now);
    void this.db.write(() => this.store.touchDevice(auth.userId, auth.deviceId!, now, ip)).catch(() => {});
  }

  async logout(auth: Auth): Promise<void> {
    if (!auth.deviceId) {
      if (auth.tokenHash) await this.db.write(() => this.store.deleteToken(auth.tokenHash!));
      if (auth.tokenHash) this.tokenCache.delete(auth.tokenHash);
      return;
    }
    await this.deleteDevices(auth.userId, [auth.deviceId]);
  }

  async logoutAll(userId: string): Promise<void> {
    const devices = this.store.listDevices(userId).map((d) => d.device_id);
    await this.deleteDevices(userId, devices);
    const rest = this.store.tokenHashesForUser(userId);
    await this.db.write(() => { for (const h of rest) this.store.deleteToken(h); });
    for (const h of rest) this.tokenCache.delete(h);
  }

  async deleteDevices(userId: string, deviceIds: string[]): Promise<void> {
    const removed: string[] = [];
    const gone: string[] = [];
    await this.db.write(() => {
      for (const d of deviceIds) {
        if (this.store.getDevice(userId, d)) gone.push(d);
        removed.push(...this.store.deleteDevice(userId, d));
      }
    });
    for (const h of removed) this.tokenCache.delete(h);
    for (const d of gone) for (const fn of this.deviceDeleted) fn(userId, d);
  }

  listDevices(userId: string): { device_id: string; display_name?: string; last_seen_ts?: number; last_seen_ip?: string }[] {
    return this.store.listDevices(userId).map((d) => ({
      device_id: d.device_id,
      ...(d.display_name !== null ? { display_name: d.display_name } : {}),
      ...(d.last_seen_ts !== null ? { last_seen_ts: d.last_seen_ts } : {}),
      ...(d.last_seen_ip !== null ? { last_seen_ip: d.last_seen_ip } : {}),
    }));
  }

  getDevice(userId: string, deviceId: string): { device_id: string; display_name?: string; last_seen_ts?: number; last_seen_ip?: string } | undefined {
    return this.listDevices(userId).find((d) => d.device_id === deviceId);
  }

  async renameDevice(userId: string, deviceId: string, name: string | null): Promise<void> {
    await this.db.write(() => this.store.setDeviceDisplayName(userId, deviceId, name));
  }

  async changePassword(userId: string, newPassword: string, logoutDevices: boolean, keepDevice: string | null): Promise<void> {
    const hash = await hashPassword(newPassword);
    await this.db.write(() => this.store.setPasswordHash(userId, hash));
    if (logoutDevices) {
      const others = this.store.listDevices(userId).map((d) => d.device_id).filter((d) => d !== keepDevice);
      await this.deleteDevices(userId, others);
    }
  }

  async deactivate(userId: string): Promise<void> {
    await this.logoutAll(userId);
    await this.db.write(() => this.store.setDeactivated(userId));
  }

  /** Issues an OpenID token (spec: POST /user/{userId}/openid/request_token). */
  async requestOpenIdToken(userId: string): Promise<{ access_token: string; token_type: 'Bearer'; matrix_server_name: string; expires_in: number }> {
    const token = randomBytes(32).toString('base64url');
    const expiresIn = 3600;
    await this.db.write(() => this.store.insertOpenIdToken(hashToken(token), userId, this.clock.now() + expiresIn * 1000));
    return { access_token: token, token_type: 'Bearer', matrix_server_name: this.serverName, expires_in: expiresIn };
  }

  openIdUser(token: string): string | undefined {
    return this.store.getOpenIdUser(hashToken(token), this.clock.now());
  }
}
