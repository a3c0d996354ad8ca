// Keys and device lists of users on other servers (spec: Server-Server API "Device Management",
// "End-to-End Encryption"). Our clients' /keys/query and /keys/claim for them are forwarded to their
// servers; a remote user's device list is cached while one of our users shares a room with them,
// filled by GET /user/devices/{userId} and kept fresh by the m.device_list_update and
// m.signing_key_update EDUs their server sends, and fetched again whenever an update shows that one
// was lost. A cached list is served without asking their server; one we can no longer keep fresh
// (no shared room) is forgotten.
import type { Database } from '../storage/database.ts';
import type { E2eeFederationStore } from '../storage/e2ee-federation-store.ts';
import type { E2eeStore } from '../storage/e2ee-store.ts';
import type { JsonObject } from '../core/pdu.ts';
import type { Logger } from '../logger.ts';
import { isValidUserId, serverNameOf } from '../core/ids.ts';
import { isObject } from '../api/validate.ts';
import type { DeviceListService } from '../services/e2ee/device-lists.ts';
import type { KeyClaimResult, KeyQueryResult, RemoteKeyClient } from '../services/e2ee/device-keys.ts';
import { FederationDeniedError, FederationRequestError, fedPath, type FederationRequest } from './federation-client.ts';
import { KeyedQueue } from '../core/keyed-queue.ts';
import {
  EduRejected, advance, checkCrossSigningKey, checkDeviceKeys, crossSigningPublicKey, decideUpdate, readDeviceListUpdate,
  readSigningKeyUpdate, type RemoteListPosition, type UpdateDecision,
} from './e2ee-federation-edus.ts';

/** The part of FederationClient used here (tests pass a fake). */
export interface FederationRequester {
  get<T>(destination: string, path: string, query?: undefined, opts?: Partial<FederationRequest>): Promise<T>;
  post<T>(destination: string, path: string, body: unknown, opts?: Partial<FederationRequest>): Promise<T>;
}

export interface RemoteDeps {
  db: Database;
  store: E2eeFederationStore;
  e2eeStore: E2eeStore;
  deviceLists: DeviceListService;
  client: FederationRequester;
  usersSharingRoomWith(userId: string): string[];
  isLocalUser(userId: string): boolean;
  now(): number;
  logger: Logger;
}

/** How long a fetch caused by an update (not by a waiting client) may take. */
const RESYNC_TIMEOUT_MS = 30_000;
/** Device lists fetched at once from one server for one query. */
const FETCH_CONCURRENCY = 8;

/** Runs `fn` over `items` with at most `limit` running at a time. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

type QueryPart = Omit<KeyQueryResult, 'failures' | 'user_signing_keys'>;

/** A failed request to a server, as /keys/query and /keys/claim report it under `failures` (like Synapse). */
export function failureOf(e: unknown): JsonObject {
  if (e instanceof FederationDeniedError) return { status: 403, message: 'Federation denied with this server' };
  if (e instanceof FederationRequestError) return { status: e.status, message: e.message };
  return { status: 503, message: (e as Error).message };
}

interface UserDevices {
  streamId: number;
  devices: { deviceId: string; displayName: string | null; keys: JsonObject | null }[];
  master: JsonObject | null;
  selfSigning: JsonObject | null;
}

/** Reads a GET /user/devices/{userId} answer; entries that do not describe this user are left out. */
export function readUserDevices(userId: string, r: unknown): UserDevices {
  if (!isObject(r)) throw new EduRejected('answer is not an object');
  if (r['user_id'] !== userId) throw new EduRejected(`answer is about ${String(r['user_id'])}, not ${userId}`);
  const streamId = r['stream_id'];
  if (typeof streamId !== 'number' || !Number.isSafeInteger(streamId)) throw new EduRejected("answer has no integer 'stream_id'");
  if (!Array.isArray(r['devices'])) throw new EduRejected("answer has no 'devices' list");
  const devices: UserDevices['devices'] = [];
  for (const d of r['devices']) {
    if (!isObject(d) || typeof d['device_id'] !== 'string' || d['device_id'] === '') continue;
    const deviceId = d['device_id'];
    let keys: JsonObject | null = null;
    try {
      if (d['keys'] !== undefined && d['keys'] !== null) keys = checkDeviceKeys(d['keys'], userId, deviceId, 'keys');
    } catch {
      continue;
    }
    const name = typeof d['device_display_name'] === 'string' ? d['device_display_name'] : null;
    devices.push({ deviceId, displayName: name, keys });
  }
  const key = (field: string, usage: 'master' | 'self_signing'): JsonObject | null => {
    try {
      return r[field] === undefined || r[field] === null ? null : checkCrossSigningKey(r[field], userId, usage, field);
    } catch {
      return null;
    }
  };
  return { streamId, devices, master: key('master_key', 'master'), selfSigning: key('self_signing_key', 'self_signing') };
}

export class RemoteE2ee implements RemoteKeyClient {
  private readonly d: RemoteDeps;
  private readonly chains = new KeyedQueue();

  constructor(deps: RemoteDeps) {
    this.d = deps;
  }

  /** Whether one of our users shares a joined room with this (remote) user: only then is their list cached. */
  sharesRoom(userId: string): boolean {
    return this.d.usersSharingRoomWith(userId).some((u) => u !== userId && this.d.isLocalUser(u));
  }

  /** The cached position of a user's list; null when there is no usable copy. */
  position(userId: string): RemoteListPosition | null {
    const row = this.d.store.remoteList(userId);
    if (!row || row.stale) return null;
    return { streamId: row.stream_id, seen: JSON.parse(row.seen) as number[] };
  }



  /** keys/query for users of `server`: the cached lists, fetching those not cached yet, and asking for the rest. */
  async query(server: string, users: Record<string, string[]>, timeoutMs: number): Promise<QueryPart & { failure?: JsonObject }> {
    const out: QueryPart = { device_keys: {}, master_keys: {}, self_signing_keys: {} };
    const direct: Record<string, string[]> = {};
    const toFetch: string[] = [];
    for (const [userId, wanted] of Object.entries(users)) {
      if (!this.sharesRoom(userId)) direct[userId] = wanted;
      else if (this.position(userId)) this.addCached(out, userId, wanted);
      else toFetch.push(userId);
    }
    const errors: unknown[] = [];
    // One deadline for the whole query, however the fetches queue up.
    const deadline = this.d.now() + timeoutMs;
    await Promise.all([
      eachLimited(toFetch, FETCH_CONCURRENCY, async (userId) => {
        try {
          await this.chains.run(userId, async () => {
            if (!this.position(userId)) await this.fetchList(userId, false, Math.max(1, deadline - this.d.now()));
          });
          this.addCached(out, userId, users[userId]!);
        } catch (e) {
          errors.push(e);
        }
      }),
      (async () => {
        if (Object.keys(direct).length === 0) return;
        try {
          const r = await this.d.client.post<unknown>(server, '/_matrix/federation/v1/user/keys/query', { device_keys: direct }, { timeoutMs });
          await this.takeQueryAnswer(out, direct, r);
        } catch (e) {
          errors.push(e);
        }
      })(),
    ]);
    return errors.length > 0 ? { ...out, failure: failureOf(errors[0]) } : out;
  }

  private addCached(out: QueryPart, userId: string, wanted: string[]): void {
    const devices: Record<string, JsonObject> = {};
    for (const row of this.d.store.remoteDevices(userId)) {
      if (row.keys_json === null || (wanted.length > 0 && !wanted.includes(row.device_id))) continue;
      const { unsigned: _u, ...keys } = JSON.parse(row.keys_json) as JsonObject;
      void _u;
      devices[row.device_id] = { ...keys, unsigned: row.display_name !== null ? { device_display_name: row.display_name } : {} };
    }
    out.device_keys[userId] = devices;
    const master = this.d.e2eeStore.crossSigningKey(userId, 'master');
    if (master) out.master_keys[userId] = JSON.parse(master.key_json) as JsonObject;
    const selfSigning = this.d.e2eeStore.crossSigningKey(userId, 'self_signing');
    if (selfSigning) out.self_signing_keys[userId] = JSON.parse(selfSigning.key_json) as JsonObject;
  }

  /**
   * Takes from a /user/keys/query answer only what was asked: devices of the requested users that
   * describe themselves correctly, and their cross-signing keys (kept, so that our users can sign
   * them even when they share no room).
   */
  private async takeQueryAnswer(out: QueryPart, asked: Record<string, string[]>, r: unknown): Promise<void> {
    if (!isObject(r)) return;
    const deviceKeys = isObject(r['device_keys']) ? r['device_keys'] : {};
    const crossSigning: [string, 'master' | 'self_signing', JsonObject][] = [];
    for (const [userId, wanted] of Object.entries(asked)) {
      const devices = deviceKeys[userId];
      const mine: Record<string, JsonObject> = {};
      if (isObject(devices)) {
        for (const [deviceId, keys] of Object.entries(devices)) {
          if (wanted.length > 0 && !wanted.includes(deviceId)) continue;
          try {
            mine[deviceId] = checkDeviceKeys(keys, userId, deviceId, 'device_keys');
          } catch {
            // A device that does not describe itself is not one we pass on.
          }
        }
      }
      out.device_keys[userId] = mine;
      for (const [field, usage, target] of [['master_keys', 'master', out.master_keys], ['self_signing_keys', 'self_signing', out.self_signing_keys]] as const) {
        const byUser = r[field];
        if (!isObject(byUser) || byUser[userId] === undefined) continue;
        try {
          target[userId] = checkCrossSigningKey(byUser[userId], userId, usage, field);
          crossSigning.push([userId, usage, target[userId]]);
        } catch {
          // Left out, like a malformed device.
        }
      }
    }
    if (crossSigning.length > 0) {
      await this.d.db.write(() => {
        for (const [userId, type, key] of crossSigning) this.d.e2eeStore.setCrossSigningKey(userId, type, crossSigningPublicKey(key), JSON.stringify(key));
      });
    }
  }

  /** keys/claim for users of `server`: always asked of their server (one-time keys are never cached). */
  async claim(server: string, oneTimeKeys: Record<string, Record<string, string>>, timeoutMs: number): Promise<Omit<KeyClaimResult, 'failures'> & { failure?: JsonObject }> {
    try {
      const r = await this.d.client.post<unknown>(server, '/_matrix/federation/v1/user/keys/claim', { one_time_keys: oneTimeKeys }, { timeoutMs });
      const claimed = isObject(r) && isObject(r['one_time_keys']) ? r['one_time_keys'] : {};
      const out: KeyClaimResult['one_time_keys'] = {};
      for (const [userId, devices] of Object.entries(oneTimeKeys)) {
        const got = claimed[userId];
        if (!isObject(got)) continue;
        for (const deviceId of Object.keys(devices)) {
          const keys = got[deviceId];
          if (!isObject(keys)) continue;
          const valid = Object.entries(keys).filter(([, k]) => typeof k === 'string' || isObject(k)) as [string, string | JsonObject][];
          if (valid.length > 0) (out[userId] ??= {})[deviceId] = Object.fromEntries(valid);
        }
      }
      return { one_time_keys: out };
    } catch (e) {
      return { one_time_keys: {}, failure: failureOf(e) };
    }
  }

  /**
   * Fetches a user's whole list from their server and replaces our copy with it. `notify` tells our
   * users sharing a room with them that it changed (when an update caused the fetch). A failed
   * fetch leaves the copy marked stale, so the next query or update tries again.
   */
  private async fetchList(userId: string, notify: boolean, timeoutMs: number): Promise<void> {
    let r: unknown;
    try {
      r = await this.d.client.get<unknown>(serverNameOf(userId), fedPath`/_matrix/federation/v1/user/devices/${userId}`, undefined, { timeoutMs });
      const list = readUserDevices(userId, r);
      // The last room shared may have been left while we waited: then there is nothing to keep fresh.
      if (!this.sharesRoom(userId)) return;
      await this.d.db.write((tx) => {
        const s = this.d.store;
        s.clearRemoteDevices(userId);
        for (const dev of list.devices) s.setRemoteDevice(userId, dev.deviceId, dev.displayName, dev.keys ? JSON.stringify(dev.keys) : null);
        s.setRemoteList(userId, list.streamId, [list.streamId], this.d.now());
        if (list.master) this.d.e2eeStore.setCrossSigningKey(userId, 'master', crossSigningPublicKey(list.master), JSON.stringify(list.master));
        if (list.selfSigning) this.d.e2eeStore.setCrossSigningKey(userId, 'self_signing', crossSigningPublicKey(list.selfSigning), JSON.stringify(list.selfSigning));
        if (notify) this.d.deviceLists.markChanged(tx, [userId]);
      });
    } catch (e) {
      this.d.logger.warn('fetching a remote device list failed', { user_id: userId, error: (e as Error).message });
      await this.d.db.write((tx) => {
        this.d.store.markRemoteListStale(userId);
        // Our users re-query on `changed`, which tries again.
        if (notify) this.d.deviceLists.markChanged(tx, [userId]);
      });
      throw e;
    }
  }

  /**
   * An m.device_list_update from `origin`: applied to our copy when it follows on from what we hold,
   * else the list is fetched again. Ignored for users we share no room with (and any copy of
   * theirs forgotten, since it can no longer be kept fresh). Throws EduRejected when malformed.
   */
  async deviceListUpdate(origin: string, content: unknown): Promise<UpdateDecision | 'ignored'> {
    const u = readDeviceListUpdate(origin, content);
    if (!this.sharesRoom(u.userId)) {
      await this.forgetIfUnshared([u.userId]);
      return 'ignored';
    }
    return this.chains.run(u.userId, async () => {
      const known = this.position(u.userId);
      const decision = decideUpdate(known, u);
      if (decision === 'resync') {
        await this.fetchList(u.userId, true, RESYNC_TIMEOUT_MS).catch(() => undefined);
      } else if (decision === 'apply' && known) {
        await this.d.db.write((tx) => {
          const s = this.d.store;
          if (u.deleted) s.deleteRemoteDevice(u.userId, u.deviceId);
          else s.setRemoteDevice(u.userId, u.deviceId, u.displayName, u.keys ? JSON.stringify(u.keys) : null);
          const next = advance(known, u.streamId);
          s.setRemoteList(u.userId, next.streamId, next.seen, this.d.now());
          this.d.deviceLists.markChanged(tx, [u.userId]);
        });
      }
      return decision;
    });
  }

  /** An m.signing_key_update from `origin`: new cross-signing keys of a user we share a room with. */
  async signingKeyUpdate(origin: string, content: unknown): Promise<'applied' | 'ignored'> {
    const u = readSigningKeyUpdate(origin, content);
    if (!this.sharesRoom(u.userId) || (!u.master && !u.selfSigning)) return 'ignored';
    await this.chains.run(u.userId, () => this.d.db.write((tx) => {
      if (u.master) this.d.e2eeStore.setCrossSigningKey(u.userId, 'master', crossSigningPublicKey(u.master), JSON.stringify(u.master));
      if (u.selfSigning) this.d.e2eeStore.setCrossSigningKey(u.userId, 'self_signing', crossSigningPublicKey(u.selfSigning), JSON.stringify(u.selfSigning));
      this.d.deviceLists.markChanged(tx, [u.userId]);
    }));
    return 'applied';
  }

  /** Forgets the cached lists of these users once none of our users shares a room with them. */
  async forgetIfUnshared(userIds: Iterable<string>): Promise<void> {
    const gone = [...userIds].filter((u) => isValidUserId(u) && !this.d.isLocalUser(u) && this.d.store.remoteList(u) !== undefined && !this.sharesRoom(u));
    if (gone.length === 0) return;
    await this.d.db.write(() => {
      for (const u of gone) this.d.store.forgetRemoteUser(u);
    });
  }
}
