// Device identity keys, one-time keys and fallback keys: upload, query and claim (spec: "Key
// management API"). Queries merge in the cross-signing keys and the signatures uploaded later for
// them, showing each viewer only the signatures they may see.
import type { Database } from '../../storage/database.ts';
import type { E2eeStore, SignatureRow } from '../../storage/e2ee-store.ts';
import type { StreamCounter } from '../../storage/streams.ts';
import type { JsonObject } from '../../core/pdu.ts';
import { canonicalJson } from '../../core/canonical-json.ts';
import { serverNameOf } from '../../core/ids.ts';
import { MatrixError, badJson, invalidParam } from '../../api/errors.ts';
import { isObject } from '../../api/validate.ts';
import type { DeviceListService } from './device-lists.ts';
import { validateDeviceKeys, validateKeyMap, withSignatures } from './key-formats.ts';

/** The devices of a user, with their display names (UsersStore provides it). */
export interface DeviceDirectory {
  listDevices(userId: string): { device_id: string; display_name: string | null }[];
}

export interface KeyQueryResult {
  device_keys: Record<string, Record<string, JsonObject>>;
  failures: Record<string, JsonObject>;
  master_keys: Record<string, JsonObject>;
  self_signing_keys: Record<string, JsonObject>;
  user_signing_keys: Record<string, JsonObject>;
}

export interface KeyClaimResult {
  one_time_keys: Record<string, Record<string, Record<string, JsonObject | string>>>;
  failures: Record<string, JsonObject>;
}

/**
 * Where federation plugs in to query and claim keys of users on other servers (set by
 * federation/e2ee-federation.ts). Without it, their servers are reported in `failures`. A result
 * may carry what it got together with a `failure` for the server (e.g. cached users served, the
 * rest unreachable).
 */
export interface RemoteKeyClient {
  query(server: string, deviceKeys: Record<string, string[]>, timeoutMs: number): Promise<Omit<KeyQueryResult, 'failures' | 'user_signing_keys'> & { failure?: JsonObject }>;
  claim(server: string, oneTimeKeys: Record<string, Record<string, string>>, timeoutMs: number): Promise<Omit<KeyClaimResult, 'failures'> & { failure?: JsonObject }>;
}

export interface DeviceKeysDeps {
  db: Database;
  store: E2eeStore;
  streams: StreamCounter;
  notifier: { notify(userIds: Iterable<string>): void };
  deviceLists: DeviceListService;
  devices: DeviceDirectory;
  isLocalUser(userId: string): boolean;
  /** Set by the federation module (setRemote); null without federation. */
  remote?: RemoteKeyClient | null;
}

const unreachable = (): JsonObject => ({ status: 503, message: 'Keys of users on other servers are not available yet' });

/** Groups the remote users of a request by server. */
function byServer<T>(entries: [string, T][], isLocal: (u: string) => boolean): Map<string, Record<string, T>> {
  const out = new Map<string, Record<string, T>>();
  for (const [user, v] of entries) {
    if (isLocal(user)) continue;
    const server = serverNameOf(user);
    const m = out.get(server) ?? {};
    m[user] = v;
    out.set(server, m);
  }
  return out;
}

export class DeviceKeysService {
  private readonly d: DeviceKeysDeps;

  constructor(deps: DeviceKeysDeps) {
    this.d = deps;
  }

  /** Plugs in federation for users of other servers. */
  setRemote(remote: RemoteKeyClient | null): void {
    this.d.remote = remote;
  }

  /** POST /keys/upload: stores device, one-time and fallback keys; returns the one-time key counts. */
  async upload(userId: string, deviceId: string | null, body: JsonObject): Promise<Record<string, number>> {
    const rawDeviceKeys = body['device_keys'];
    const deviceKeys = rawDeviceKeys === undefined || rawDeviceKeys === null ? undefined : deviceId !== null ? validateDeviceKeys(rawDeviceKeys, userId, deviceId) : undefined;
    const oneTime = validateKeyMap(body['one_time_keys'], 'one_time_keys');
    const fallbackField = body['fallback_keys'] !== undefined ? 'fallback_keys' : 'org.matrix.msc2732.fallback_keys';
    const fallback = validateKeyMap(body[fallbackField], fallbackField);
    if (new Set(fallback.map((k) => k.algorithm)).size !== fallback.length) throw badJson(`'${fallbackField}' may hold only one key per algorithm`);
    if (deviceId === null) {
      if (rawDeviceKeys !== undefined || oneTime.length > 0 || fallback.length > 0) throw invalidParam('keys belong to a device, and this access token has none');
      return { signed_curve25519: 0 };
    }
    return this.d.db.write((tx) => {
      const s = this.d.store;
      if (deviceKeys) {
        const old = s.deviceKeys(userId, deviceId);
        if (old === undefined || canonicalJson(JSON.parse(old)) !== canonicalJson(deviceKeys)) {
          s.setDeviceKeys(userId, deviceId, JSON.stringify(deviceKeys));
          this.d.deviceLists.markChanged(tx, [userId]);
        }
      }
      for (const k of oneTime) {
        const old = s.oneTimeKey(userId, deviceId, k.algorithm, k.keyId);
        if (old === undefined) s.insertOneTimeKey(userId, deviceId, k.algorithm, k.keyId, JSON.stringify(k.key));
        else if (canonicalJson(JSON.parse(old)) !== canonicalJson(k.key)) {
          // A retried upload repeats the same keys; a different key under a used id is a client bug.
          throw new MatrixError(400, 'M_INVALID_PARAM', `one-time key ${k.algorithm}:${k.keyId} already exists with different content`);
        }
      }
      for (const k of fallback) {
        const old = s.fallbackKey(userId, deviceId, k.algorithm);
        // Re-uploading the same fallback key keeps its "used" mark; any other key replaces it.
        if (old && old.key_id === k.keyId && canonicalJson(JSON.parse(old.key_json)) === canonicalJson(k.key)) continue;
        s.setFallbackKey(userId, deviceId, k.algorithm, k.keyId, JSON.stringify(k.key));
      }
      return this.oneTimeKeyCounts(userId, deviceId);
    });
  }

  /** Forgets a deleted device's keys and inbox, and tells everyone who tracks its owner. */
  async deviceDeleted(userId: string, deviceId: string): Promise<void> {
    await this.d.db.write((tx) => {
      this.d.store.deleteDevice(userId, deviceId);
      this.d.deviceLists.markChanged(tx, [userId]);
    });
  }

  /** Unclaimed one-time keys per algorithm; signed_curve25519 is always present, as clients expect. */
  oneTimeKeyCounts(userId: string, deviceId: string): Record<string, number> {
    const counts: Record<string, number> = { signed_curve25519: 0 };
    for (const r of this.d.store.oneTimeKeyCounts(userId, deviceId)) counts[r.algorithm] = r.n;
    return counts;
  }

  unusedFallbackKeyTypes(userId: string, deviceId: string): string[] {
    return this.d.store.unusedFallbackKeyAlgorithms(userId, deviceId);
  }

  /** POST /keys/query */
  async query(requester: string, request: Record<string, string[]>, timeoutMs: number): Promise<KeyQueryResult> {
    const res: KeyQueryResult = { device_keys: {}, failures: {}, master_keys: {}, self_signing_keys: {}, user_signing_keys: {} };
    for (const [userId, wanted] of Object.entries(request)) {
      if (!this.d.isLocalUser(userId)) continue;
      const names = new Map(this.d.devices.listDevices(userId).map((x) => [x.device_id, x.display_name]));
      const sigs = this.signatures(userId, requester);
      const devices: Record<string, JsonObject> = {};
      for (const row of this.d.store.allDeviceKeys(userId)) {
        if (wanted.length > 0 && !wanted.includes(row.device_id)) continue;
        if (!names.has(row.device_id)) continue; // deleted; its keys are being removed
        // The uploaded object keeps its own signatures; `unsigned` is ours to fill.
        const { unsigned: _u, ...uploaded } = JSON.parse(row.key_json) as JsonObject;
        void _u;
        const name = names.get(row.device_id);
        devices[row.device_id] = { ...withSignatures(uploaded, sigs.get(row.device_id) ?? []), unsigned: name ? { device_display_name: name } : {} };
      }
      res.device_keys[userId] = devices;
      const master = this.crossSigningKey(userId, 'master', sigs);
      if (master) res.master_keys[userId] = master;
      const selfSigning = this.crossSigningKey(userId, 'self_signing', sigs);
      if (selfSigning) res.self_signing_keys[userId] = selfSigning;
      if (userId === requester) {
        const userSigning = this.crossSigningKey(userId, 'user_signing', sigs);
        if (userSigning) res.user_signing_keys[userId] = userSigning;
      }
    }
    // Other servers are asked side by side, each within the timeout.
    await this.eachRemoteServer(request, res.failures, async (remote, server, users) => {
      const r = await remote.query(server, users, timeoutMs);
      Object.assign(res.device_keys, r.device_keys);
      Object.assign(res.self_signing_keys, r.self_signing_keys);
      // The requester's own signatures on a remote user's master key (made with their
      // user-signing key) are stored here, not on the user's server.
      for (const [userId, master] of Object.entries(r.master_keys)) {
        const publicKeys: unknown[] = isObject(master['keys']) ? Object.values(master['keys']) : [];
        const mine = this.d.store.signaturesFor(userId, [requester]).filter((x) => publicKeys.includes(x.target_key_id));
        res.master_keys[userId] = withSignatures(master, mine);
      }
      if (r.failure) res.failures[server] = r.failure;
    });
    return res;
  }

  /**
   * Asks each other server named in `request` for its users, side by side; a server that cannot be
   * asked or fails is reported in `failures` and the others still answer.
   */
  private async eachRemoteServer<T>(request: Record<string, T>, failures: Record<string, JsonObject>, ask: (remote: RemoteKeyClient, server: string, users: Record<string, T>) => Promise<void>): Promise<void> {
    await Promise.all([...byServer(Object.entries(request), (u) => this.d.isLocalUser(u))].map(async ([server, users]) => {
      const remote = this.d.remote;
      if (!remote) {
        failures[server] = unreachable();
        return;
      }
      try {
        await ask(remote, server, users);
      } catch (e) {
        failures[server] = { status: 503, message: (e as Error).message };
      }
    }));
  }

  /** Signatures on `userId`'s keys that `viewer` may see (the owner's own and the viewer's), by key id. */
  private signatures(userId: string, viewer: string): Map<string, SignatureRow[]> {
    const out = new Map<string, SignatureRow[]>();
    for (const r of this.d.store.signaturesFor(userId, [userId, viewer])) {
      const list = out.get(r.target_key_id) ?? [];
      list.push(r);
      out.set(r.target_key_id, list);
    }
    return out;
  }

  private crossSigningKey(userId: string, type: 'master' | 'self_signing' | 'user_signing', sigs: Map<string, SignatureRow[]>): JsonObject | undefined {
    const row = this.d.store.crossSigningKey(userId, type);
    if (!row) return undefined;
    return withSignatures(JSON.parse(row.key_json) as JsonObject, sigs.get(row.public_key) ?? []);
  }

  /**
   * POST /keys/claim: hands out each device's oldest one-time key of the algorithm, else its fallback
   * key (which stays, marked used). Owners whose counts changed are woken so they upload more.
   */
  async claim(request: Record<string, Record<string, string>>, timeoutMs: number): Promise<KeyClaimResult> {
    const res: KeyClaimResult = { one_time_keys: {}, failures: {} };
    await this.d.db.write((tx) => {
      const s = this.d.store;
      let pos: number | null = null;
      const owners = new Set<string>();
      for (const [userId, devices] of Object.entries(request)) {
        if (!this.d.isLocalUser(userId)) continue;
        for (const [deviceId, algorithm] of Object.entries(devices)) {
          const otk = s.takeOneTimeKey(userId, deviceId, algorithm);
          const fallback = otk ? undefined : s.fallbackKey(userId, deviceId, algorithm);
          const key = otk ?? fallback;
          if (!key) continue;
          ((res.one_time_keys[userId] ??= {})[deviceId] ??= {})[`${algorithm}:${key.key_id}`] = JSON.parse(key.key_json) as JsonObject | string;
          if (fallback?.used) continue; // handed out again; nothing changed for its owner
          if (fallback) s.markFallbackKeyUsed(userId, deviceId, algorithm);
          pos ??= this.d.streams.next();
          s.setKeyCountChanged(userId, deviceId, pos);
          owners.add(userId);
        }
      }
      tx.afterCommit(() => this.d.notifier.notify(owners));
    });
    await this.eachRemoteServer(request, res.failures, async (remote, server, users) => {
      const r = await remote.claim(server, users, timeoutMs);
      Object.assign(res.one_time_keys, r.one_time_keys);
      if (r.failure) res.failures[server] = r.failure;
    });
    return res;
  }
}

/** Reads `{ userId: [deviceId…] }` (keys/query) from a request body field. */
export function readDeviceListRequest(v: unknown, field: string): Record<string, string[]> {
  if (!isObject(v)) throw badJson(`'${field}' must be an object`);
  const out: Record<string, string[]> = {};
  for (const [user, devices] of Object.entries(v)) {
    if (!Array.isArray(devices) || !devices.every((d) => typeof d === 'string')) throw badJson(`'${field}.${user}' must be an array of device ids`);
    out[user] = devices as string[];
  }
  return out;
}

/** Reads `{ userId: { deviceId: algorithm } }` (keys/claim) from a request body field. */
export function readClaimRequest(v: unknown, field: string): Record<string, Record<string, string>> {
  if (!isObject(v)) throw badJson(`'${field}' must be an object`);
  const out: Record<string, Record<string, string>> = {};
  for (const [user, devices] of Object.entries(v)) {
    if (!isObject(devices) || !Object.values(devices).every((a) => typeof a === 'string')) throw badJson(`'${field}.${user}' must map device ids to algorithm names`);
    out[user] = devices as Record<string, string>;
  }
  return out;
}
