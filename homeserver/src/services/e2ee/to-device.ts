// Send-to-device messaging (spec: "Send-to-Device messaging"): per-device inboxes filled by
// PUT /sendToDevice and drained through /sync. A message is first marked with the batch of the sync
// response that carried it, and deleted once the device syncs with a `since` at or past that batch,
// so a lost response is delivered again and an acknowledged one never is.
import type { Database, WriteTx } from '../../storage/database.ts';
import type { E2eeStore } from '../../storage/e2ee-store.ts';
import type { StreamCounter } from '../../storage/streams.ts';
import type { JsonObject } from '../../core/pdu.ts';
import type { Logger } from '../../logger.ts';
import type { Clock } from '../users/accounts.ts';
import type { DeviceDirectory } from './device-keys.ts';

/** The spec recommends at most 100 messages per /sync response. */
export const TO_DEVICE_LIMIT = 100;
/** How long a transaction id is remembered for idempotency. */
const TXN_TTL_MS = 24 * 60 * 60_000;

/** Where messages for users of other servers go (federation: m.direct_to_device EDUs). */
export interface RemoteToDevice {
  /** Inside the write that records the request: queues the messages for their servers. */
  queueInTx(tx: WriteTx, sender: string, type: string, messages: Record<string, Record<string, JsonObject>>): void;
}

/**
 * The device id under which the message_ids of messages received over federation are remembered,
 * per sender. Their senders are users of other servers, so this never meets a local transaction.
 */
const FEDERATION_TXN_DEVICE = '*federation*';

export interface ToDeviceDeps {
  db: Database;
  store: E2eeStore;
  streams: StreamCounter;
  notifier: { notify(userIds: Iterable<string>): void };
  devices: DeviceDirectory;
  isLocalUser(userId: string): boolean;
  clock: Clock;
  logger: Logger;
  /** Set by the federation module (setRemote); null without federation. */
  remote?: RemoteToDevice | null;
}

export class ToDeviceService {
  private readonly d: ToDeviceDeps;

  constructor(deps: ToDeviceDeps) {
    this.d = deps;
  }

  setRemote(remote: RemoteToDevice | null): void {
    this.d.remote = remote;
  }

  /**
   * Queues one message per target device. A repeated (sender device, txnId) does nothing, so a
   * client retrying a request cannot deliver twice. `*` addresses every device of the user.
   */
  async send(sender: string, senderDevice: string | null, type: string, txnId: string, messages: Record<string, Record<string, JsonObject>>): Promise<void> {
    const txnDevice = senderDevice ?? '';
    let dropped = 0;
    await this.d.db.write((tx) => {
      if (this.d.store.toDeviceTxnSeen(sender, txnDevice, txnId)) return;
      const remote: Record<string, Record<string, JsonObject>> = {};
      for (const [userId, byDevice] of Object.entries(messages)) if (!this.d.isLocalUser(userId)) remote[userId] = byDevice;
      const remoteCount = Object.keys(remote).length;
      if (remoteCount > 0) {
        if (this.d.remote) this.d.remote.queueInTx(tx, sender, type, remote);
        else dropped = remoteCount;
      }
      this.storeLocal(tx, sender, type, messages, txnDevice, txnId);
    });
    if (dropped > 0) this.d.logger.debug('to-device messages for remote users dropped: federation not available', { type, users: dropped });
  }

  /**
   * Messages another server relayed from one of its users (m.direct_to_device), stored for our
   * users' devices like local ones; a repeated message_id from the same sender is stored once.
   */
  async receiveRemote(sender: string, messageId: string, type: string, messages: Record<string, Record<string, JsonObject>>): Promise<void> {
    await this.d.db.write((tx) => {
      if (this.d.store.toDeviceTxnSeen(sender, FEDERATION_TXN_DEVICE, messageId)) return;
      this.storeLocal(tx, sender, type, messages, FEDERATION_TXN_DEVICE, messageId);
    });
  }

  /** Inside a write: one inbox entry per addressed device of each local user; records the transaction. */
  private storeLocal(tx: WriteTx, sender: string, type: string, messages: Record<string, Record<string, JsonObject>>, txnDevice: string, txnId: string): void {
    const s = this.d.store;
    let pos: number | null = null;
    const recipients = new Set<string>();
    for (const [userId, byDevice] of Object.entries(messages)) {
      if (!this.d.isLocalUser(userId)) continue;
      const known = this.d.devices.listDevices(userId).map((x) => x.device_id);
      for (const [deviceId, content] of Object.entries(byDevice)) {
        const targets = deviceId === '*' ? known : known.includes(deviceId) ? [deviceId] : [];
        if (targets.length === 0) continue;
        const json = JSON.stringify(content);
        pos ??= this.d.streams.next();
        for (const t of targets) s.insertToDevice(userId, t, pos, sender, type, json);
        recipients.add(userId);
      }
    }
    const now = this.d.clock.now();
    s.recordToDeviceTxn(sender, txnDevice, txnId, now, now - TXN_TTL_MS);
    tx.afterCommit(() => this.d.notifier.notify(recipients));
  }

  /**
   * The device's messages for a sync response covering up to `upTo`. Records them as delivered in
   * that batch and drops those the `since` token acknowledges; both in the background, since the
   * response must not wait for a commit (a lost mark only means a message is delivered again).
   */
  forSync(userId: string, deviceId: string, since: number | null, upTo: number): JsonObject[] {
    const s = this.d.store;
    const rows = s.pendingToDevice(userId, deviceId, since ?? Number.MIN_SAFE_INTEGER, upTo, TO_DEVICE_LIMIT);
    const acknowledged = since !== null && s.hasAcknowledgedToDevice(userId, deviceId, since);
    if (rows.length > 0 || acknowledged) {
      const ids = rows.map((r) => r.id);
      void this.d.db.write(() => {
        if (acknowledged) s.deleteAcknowledgedToDevice(userId, deviceId, since);
        s.markToDeviceDelivered(ids, upTo);
      }).catch((e: unknown) => this.d.logger.warn('recording to-device delivery failed', { error: (e as Error).message }));
    }
    return rows.map((r) => ({ sender: r.sender, type: r.type, content: JSON.parse(r.content) as JsonObject }));
  }

  hasPending(userId: string, deviceId: string, since: number, upTo: number): boolean {
    return this.d.store.hasPendingToDevice(userId, deviceId, since, upTo);
  }
}
