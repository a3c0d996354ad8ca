// Shared set-up for the e2ee unit tests: an in-memory database with the real schema, the module's
// services, and helpers to make devices, rooms and correctly signed keys. Not used by the server.
import { generateSigningKey, signJson, signingKeyFromSeed, type SigningKey } from '../../core/signing.ts';
import type { JsonObject } from '../../core/pdu.ts';
import { Database } from '../../storage/database.ts';
import { allMigrations, streamTables } from '../../storage/migrations.ts';
import { StreamCounter } from '../../storage/streams.ts';
import { UsersStore } from '../../storage/users-store.ts';
import { EventsStore } from '../../storage/events-store.ts';
import { e2eeMigrations, e2eeStreamTables } from '../../storage/e2ee-store.ts';
import { AccountsService } from '../users/accounts.ts';
import { Notifier } from '../sync/notifier.ts';
import { createLogger } from '../../logger.ts';
import { createE2eeServices, type E2eeServices } from './wire.ts';

export const SERVER = 'hs.test';
export const ALICE = `@alice:${SERVER}`;
export const BOB = `@bob:${SERVER}`;
export const CAROL = `@carol:${SERVER}`;
export const REMOTE = '@dave:elsewhere.test';

/** A Notifier that remembers whom it woke. */
class RecordingNotifier extends Notifier {
  readonly woken: string[] = [];
  override notify(userIds: Iterable<string>): void {
    const list = [...userIds];
    this.woken.push(...list);
    super.notify(list);
  }
}

export interface TestDevice {
  userId: string;
  deviceId: string;
  key: SigningKey;
  deviceKeys: JsonObject;
}

export interface Fixture {
  db: Database;
  streams: StreamCounter;
  notifier: RecordingNotifier;
  usersStore: UsersStore;
  eventsStore: EventsStore;
  e2ee: E2eeServices;
  /** Creates a device (no keys) for a user. */
  addDevice(userId: string, deviceId: string, displayName?: string): Promise<void>;
  /** Creates a device and uploads its signed device keys. */
  deviceWithKeys(userId: string, deviceId: string): Promise<TestDevice>;
  /** Sets a membership directly and reports it to the device-list service as the persister would. */
  setMembership(roomId: string, userId: string, membership: 'join' | 'leave'): Promise<void>;
  /** Waits for background writes queued so far to commit. */
  settle(): Promise<void>;
}

export async function makeFixture(): Promise<Fixture> {
  const db = new Database(':memory:');
  db.migrate(allMigrations);
  db.migrate(e2eeMigrations);
  const streams = new StreamCounter(db, [...streamTables, ...e2eeStreamTables]);
  const notifier = new RecordingNotifier();
  const usersStore = new UsersStore(db);
  const eventsStore = new EventsStore(db);
  const clock = { now: () => Date.now() };
  const accounts = new AccountsService({ db, store: usersStore, clock, serverName: SERVER, tokenLifetimeMs: null });
  const logger = createLogger('error', {}, () => {});
  const e2ee = createE2eeServices({ db, streams, notifier, eventsStore, usersStore, accounts, clock, logger });
  const fx: Fixture = {
    db, streams, notifier, usersStore, eventsStore, e2ee,
    async addDevice(userId, deviceId, displayName) {
      await db.write(() => usersStore.upsertDevice(userId, deviceId, displayName ?? null, clock.now(), null));
    },
    async deviceWithKeys(userId, deviceId) {
      await fx.addDevice(userId, deviceId);
      const d = signedDevice(userId, deviceId);
      await e2ee.keys.upload(userId, deviceId, { device_keys: d.deviceKeys });
      return d;
    },
    async setMembership(roomId, userId, membership) {
      // Membership-driven device-list changes are read from the membership table at sync time.
      await db.write(() => {
        const pos = streams.next();
        const eventId = `$${roomId}-${userId}-${membership}-${pos}`;
        const pdu = { type: 'm.room.member', room_id: roomId, sender: userId, state_key: userId, content: { membership }, depth: pos, origin_server_ts: clock.now(), prev_events: [], auth_events: [], hashes: { sha256: '' }, signatures: {} };
        eventsStore.insertEvent({ stream_pos: pos, event_id: eventId, room_id: roomId, type: 'm.room.member', state_key: userId, sender: userId, depth: pos, origin_server_ts: pdu.origin_server_ts, json: JSON.stringify(pdu), state_group_before: null, state_group_after: null, txn_user: null, txn_device: null, txn_id: null });
        eventsStore.setMembership({ room_id: roomId, user_id: userId, membership, event_id: eventId, stream_pos: pos });
      });
    },
    async settle() {
      await db.write(() => undefined);
    },
  };
  return fx;
}

/** An ed25519 key whose key id is `ed25519:<public key>`, as cross-signing keys are named. */
export function crossSigningKey(): SigningKey {
  const k = generateSigningKey();
  return signingKeyFromSeed(`ed25519:${k.publicKeyBase64}`, k.seed);
}

/** Device keys signed by the device's own ed25519 key. */
export function signedDevice(userId: string, deviceId: string): TestDevice {
  const g = generateSigningKey();
  const key = signingKeyFromSeed(`ed25519:${deviceId}`, g.seed);
  const deviceKeys = signJson({
    user_id: userId, device_id: deviceId,
    algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
    keys: { [`curve25519:${deviceId}`]: `curve-${deviceId}`, [`ed25519:${deviceId}`]: key.publicKeyBase64 },
  }, userId, key) as unknown as JsonObject;
  return { userId, deviceId, key, deviceKeys };
}

/** The public cross-signing key object for `key`, signed by `signer` when given. */
export function crossSigningKeyObject(userId: string, usage: string, key: SigningKey, signer?: SigningKey): JsonObject {
  const obj = { user_id: userId, usage: [usage], keys: { [key.keyId]: key.publicKeyBase64 } };
  return (signer ? signJson(obj, userId, signer) : obj) as unknown as JsonObject;
}

export { signJson };
