// What other servers learn about our users' devices (spec: Server-Server API "Device Management",
// "End-to-End Encryption", "Send-to-device messaging"): the snapshot served by
// GET /user/devices/{userId}, the m.device_list_update / m.signing_key_update EDUs announcing each
// change to every server sharing a room with the user, and to-device messages for users of other
// servers, queued as m.direct_to_device EDUs per destination.
//
// Announcements are found by comparison rather than told: whenever the e2ee module records that a
// local user's devices or keys changed, the user's devices and cross-signing keys are compared with
// what was last announced (a digest per device and key), inside the same write. So every path that
// changes them — login, logout, key upload, rename, signatures — is covered, only real changes
// are sent, and the announcement commits (queued durably) with the change itself.
import { createHash } from 'node:crypto';
import type { WriteTx } from '../storage/database.ts';
import type { E2eeFederationStore } from '../storage/e2ee-federation-store.ts';
import type { E2eeStore } from '../storage/e2ee-store.ts';
import type { JsonObject } from '../core/pdu.ts';
import type { Logger } from '../logger.ts';
import { canonicalJson } from '../core/canonical-json.ts';
import { randomString, serverNameOf } from '../core/ids.ts';
import type { DeviceDirectory } from '../services/e2ee/device-keys.ts';
import { withSignatures } from '../services/e2ee/key-formats.ts';
import { DEVICE_LIST_UPDATE, DIRECT_TO_DEVICE, SIGNING_KEY_UPDATE } from './e2ee-federation-edus.ts';

/** Queues an EDU durably inside a write; sent to each destination after the commit (the transaction sender). */
export interface EduSender {
  queueEduInTx(tx: WriteTx, destinations: Iterable<string>, eduType: string, content: JsonObject, opts?: { ttlMs?: number | null }): unknown;
}

/** A local user's devices and cross-signing keys as other servers see them. */
export interface LocalDeviceSnapshot {
  user_id: string;
  stream_id: number;
  devices: { device_id: string; keys?: JsonObject; device_display_name?: string }[];
  master_key?: JsonObject;
  self_signing_key?: JsonObject;
}

export interface OutboundDeps {
  store: E2eeFederationStore;
  e2eeStore: E2eeStore;
  devices: DeviceDirectory;
  /** Users sharing a joined room with the user (EventsStore). */
  usersSharingRoomWith(userId: string): string[];
  serverName: string;
  isAllowed(serverName: string): boolean;
  /** Whether device display names go to other servers (they can name a pseudonymous student). */
  shareDeviceNames: boolean;
  /** The transaction sender; null while it is not wired (EDUs are then dropped, with a warning). */
  edus(): EduSender | null;
  logger: Logger;
}

const digest = (v: unknown): string => createHash('sha256').update(canonicalJson(v)).digest('base64');

export class OutboundE2ee {
  private readonly d: OutboundDeps;
  private warnedNoSender = false;

  constructor(deps: OutboundDeps) {
    this.d = deps;
  }

  /**
   * The user's devices (with keys, signed by the user's own keys and signatures) and their
   * master and self-signing keys — never the user-signing key, which is private to its owner.
   */
  snapshot(userId: string): LocalDeviceSnapshot {
    const s = this.d.e2eeStore;
    // Read the stream id first: a change landing after it is announced with prev_id = this id.
    const streamId = this.d.store.localStreamId(userId);
    const sigs = new Map<string, { signer_user_id: string; signer_key_id: string; signature: string }[]>();
    for (const r of s.signaturesFor(userId, [userId])) {
      const list = sigs.get(r.target_key_id) ?? [];
      list.push(r);
      sigs.set(r.target_key_id, list);
    }
    const keys = new Map(s.allDeviceKeys(userId).map((r) => [r.device_id, r.key_json]));
    const devices = this.d.devices.listDevices(userId).map((dev) => {
      const json = keys.get(dev.device_id);
      let signed: JsonObject | undefined;
      if (json !== undefined) {
        const { unsigned: _u, ...uploaded } = JSON.parse(json) as JsonObject;
        void _u;
        signed = withSignatures(uploaded, sigs.get(dev.device_id) ?? []);
      }
      return {
        device_id: dev.device_id,
        ...(signed ? { keys: signed } : {}),
        ...(dev.display_name && this.d.shareDeviceNames ? { device_display_name: dev.display_name } : {}),
      };
    });
    const out: LocalDeviceSnapshot = { user_id: userId, stream_id: streamId, devices };
    for (const [type, field] of [['master', 'master_key'], ['self_signing', 'self_signing_key']] as const) {
      const row = s.crossSigningKey(userId, type);
      if (row) out[field] = withSignatures(JSON.parse(row.key_json) as JsonObject, sigs.get(row.public_key) ?? []);
    }
    return out;
  }

  /** Other servers with a user joined to a room this user is joined to (allowed ones only). */
  destinations(userId: string): string[] {
    const servers = new Set<string>();
    for (const u of this.d.usersSharingRoomWith(userId)) servers.add(serverNameOf(u));
    servers.delete(this.d.serverName);
    return [...servers].filter((x) => this.d.isAllowed(x));
  }

  /**
   * Inside a write that changed local users' devices or keys: announces what differs from the last
   * announcement. Each device change is one m.device_list_update in the user's sequence (stream_id
   * one past the previous, prev_id naming it); a changed master or self-signing key is one
   * m.signing_key_update. The sequence advances even when no server shares a room with the user,
   * so /user/devices always reports the current position.
   */
  announceChanges(tx: WriteTx, userIds: Iterable<string>): void {
    for (const userId of userIds) {
      const edus = this.diff(userId);
      if (edus.length === 0) continue;
      const destinations = this.destinations(userId);
      if (destinations.length === 0) continue;
      const sender = this.sender();
      if (!sender) continue;
      // Device-list updates must not expire unsent: a server that misses one keeps stale keys.
      for (const [type, content] of edus) sender.queueEduInTx(tx, destinations, type, content, { ttlMs: null });
    }
  }

  private diff(userId: string): [string, JsonObject][] {
    const store = this.d.store;
    const snap = this.snapshot(userId);
    const announced = store.announced(userId);
    const edus: [string, JsonObject][] = [];
    let streamId = snap.stream_id;
    const next = (): { stream_id: number; prev_id: number[] } => {
      const prev = streamId;
      streamId += 1;
      return { stream_id: streamId, prev_id: [prev] };
    };
    for (const dev of snap.devices) {
      const item = `device:${dev.device_id}`;
      const d = digest({ keys: dev.keys ?? null, name: dev.device_display_name ?? null });
      const before = announced.get(item);
      announced.delete(item);
      if (before === d) continue;
      store.setAnnounced(userId, item, d);
      edus.push([DEVICE_LIST_UPDATE, { user_id: userId, device_id: dev.device_id, ...next(), deleted: false, ...(dev.keys ? { keys: dev.keys } : {}), ...(dev.device_display_name ? { device_display_name: dev.device_display_name } : {}) }]);
    }
    let signingChanged = false;
    for (const [item, field] of [['signing:master', 'master_key'], ['signing:self_signing', 'self_signing_key']] as const) {
      const key = snap[field];
      const before = announced.get(item);
      announced.delete(item);
      if (!key) continue;
      const d = digest(key);
      if (before === d) continue;
      store.setAnnounced(userId, item, d);
      signingChanged = true;
    }
    // What is left was announced once and is gone: deleted devices.
    for (const item of announced.keys()) {
      store.deleteAnnounced(userId, item);
      if (!item.startsWith('device:')) continue;
      edus.push([DEVICE_LIST_UPDATE, { user_id: userId, device_id: item.slice('device:'.length), ...next(), deleted: true }]);
    }
    if (signingChanged) {
      edus.push([SIGNING_KEY_UPDATE, {
        user_id: userId,
        ...(snap.master_key ? { master_key: snap.master_key } : {}),
        ...(snap.self_signing_key ? { self_signing_key: snap.self_signing_key } : {}),
      }]);
    }
    if (streamId !== snap.stream_id) store.setLocalStreamId(userId, streamId);
    return edus;
  }

  /**
   * Inside the write that records a /sendToDevice request: one m.direct_to_device EDU per
   * destination server with the messages for its users (`*` stays `*`: their server expands it).
   */
  queueToDevice(tx: WriteTx, sender: string, type: string, messages: Record<string, Record<string, JsonObject>>): void {
    const byServer = new Map<string, Record<string, Record<string, JsonObject>>>();
    for (const [userId, byDevice] of Object.entries(messages)) {
      const server = serverNameOf(userId);
      if (server === this.d.serverName) continue;
      if (!this.d.isAllowed(server)) {
        this.d.logger.info('to-device message for a server we do not federate with dropped', { destination: server, type });
        continue;
      }
      const m = byServer.get(server) ?? {};
      m[userId] = byDevice;
      byServer.set(server, m);
    }
    if (byServer.size === 0) return;
    const edus = this.sender();
    if (!edus) return;
    for (const [server, msgs] of byServer) {
      // To-device messages carry room keys: keep them until delivered.
      edus.queueEduInTx(tx, [server], DIRECT_TO_DEVICE, { sender, type, message_id: randomString(16), messages: msgs }, { ttlMs: null });
    }
  }

  private sender(): EduSender | null {
    const s = this.d.edus();
    if (!s && !this.warnedNoSender) {
      this.warnedNoSender = true;
      this.d.logger.warn('no federation transaction sender is wired: E2EE EDUs for other servers are dropped');
    }
    return s;
  }
}
