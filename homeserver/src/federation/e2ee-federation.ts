// End-to-end encryption across servers (spec: Server-Server API "Device Management", "End-to-End
// Encryption", "Send-to-device messaging"), plugged into the e2ee module: keys of remote users for
// our clients (RemoteE2ee), our users' device lists announced to the servers that share rooms with
// them and to-device messages relayed to other servers (OutboundE2ee), and the EDUs other servers
// send us. The routes that serve our users' keys to other servers are in api/federation/user-keys.ts.
import type { HomeserverServices } from '../app.ts';
import type { JsonObject } from '../core/pdu.ts';
import type { E2eeServices } from '../services/e2ee/wire.ts';
import { E2eeFederationStore, e2eeFederationMigrations } from '../storage/e2ee-federation-store.ts';
import { serverNameOf } from '../core/ids.ts';
import { federationOf } from './wire.ts';
import { onEdu } from './edus.ts';
import { federationSenderOf } from './sender-wire.ts';
import { OutboundE2ee, type EduSender } from './e2ee-federation-outbound.ts';
import { RemoteE2ee } from './e2ee-federation-remote.ts';
import { DEVICE_LIST_UPDATE, DIRECT_TO_DEVICE, EduRejected, SIGNING_KEY_UPDATE, readDirectToDevice } from './e2ee-federation-edus.ts';

export type { EduSender } from './e2ee-federation-outbound.ts';

export interface E2eeFederation {
  e2ee: E2eeServices;
  store: E2eeFederationStore;
  remote: RemoteE2ee;
  outbound: OutboundE2ee;
}

const built = new WeakMap<object, E2eeFederation>();

/** The homeserver's E2EE federation, once the e2ee module has wired it. */
export function e2eeFederationOf(s: HomeserverServices): E2eeFederation | undefined {
  return built.get(s);
}

export interface E2eeFederationOptions {
  /** What queues EDUs (default: the homeserver's transaction sender); null drops them, with a warning. */
  edus?: EduSender | null;
}

/** Called by the e2ee module's wiring: migrations, services, EDU handlers and hooks. */
export function wireE2eeFederation(s: HomeserverServices, e2ee: E2eeServices, opts: E2eeFederationOptions = {}): E2eeFederation {
  s.db.migrate(e2eeFederationMigrations);
  const federation = federationOf(s);
  // Built now, not on first use: that migrates tables, which cannot happen inside the writes that queue EDUs.
  const edus = opts.edus === undefined ? federationSenderOf(s) : opts.edus;
  const log = s.logger.child({ module: 'e2ee-federation' });
  const store = new E2eeFederationStore(s.db);
  const isLocalUser = (u: string): boolean => s.accounts.isLocalUser(u);
  const usersSharingRoomWith = (u: string): string[] => s.eventsStore.usersSharingRoomWith(u);

  const outbound = new OutboundE2ee({
    store, e2eeStore: e2ee.store, devices: s.usersStore, usersSharingRoomWith,
    serverName: s.config.server_name, isAllowed: (x) => federation.isAllowed(x), edus: () => edus, logger: log,
    shareDeviceNames: s.config.allow_device_name_lookup_over_federation,
  });
  const remote = new RemoteE2ee({
    db: s.db, store, e2eeStore: e2ee.store, deviceLists: e2ee.deviceLists, client: federation.client,
    usersSharingRoomWith, isLocalUser, now: () => s.clock.now(), logger: log,
  });

  e2ee.keys.setRemote(remote);
  e2ee.toDevice.setRemote({ queueInTx: (tx, sender, type, messages) => outbound.queueToDevice(tx, sender, type, messages) });
  e2ee.deviceLists.onLocalChange((tx, users) => {
    try {
      outbound.announceChanges(tx, users);
    } catch (e) {
      // Never fail the user's own change for it; the next change announces what differs.
      log.error('announcing a device-list change failed', { error: (e as Error).message });
    }
  });

  const handle = (eduType: string, fn: (origin: string, content: JsonObject) => Promise<unknown>): void => {
    onEdu(s, eduType, async (origin, content) => {
      try {
        await fn(origin, content);
      } catch (e) {
        if (!(e instanceof EduRejected)) throw e;
        log.info('ignoring an EDU', { origin, edu_type: eduType, reason: e.message });
      }
    });
  };
  handle(DEVICE_LIST_UPDATE, (origin, content) => remote.deviceListUpdate(origin, content));
  handle(SIGNING_KEY_UPDATE, (origin, content) => remote.signingKeyUpdate(origin, content));
  handle(DIRECT_TO_DEVICE, async (origin, content) => {
    const m = readDirectToDevice(origin, content);
    const local: Record<string, Record<string, JsonObject>> = {};
    for (const [userId, byDevice] of Object.entries(m.messages)) if (isLocalUser(userId)) local[userId] = byDevice;
    if (Object.keys(local).length > 0) await e2ee.toDevice.receiveRemote(m.sender, m.messageId, m.type, local);
  });

  // A remote user's cached list is dropped once none of our users shares a room with them.
  s.persister.onPersisted((e) => {
    if (e.pdu.type !== 'm.room.member' || e.pdu.state_key === undefined) return;
    if (e.prevMembership !== 'join' || e.pdu.content['membership'] === 'join') return;
    const who = e.pdu.state_key;
    const candidates = isLocalUser(who)
      ? s.eventsStore.membersOfRoom(e.pdu.room_id, 'join').map((m) => m.user_id).filter((u) => serverNameOf(u) !== s.config.server_name)
      : [who];
    void remote.forgetIfUnshared(candidates).catch((err: unknown) => log.warn('forgetting remote device lists failed', { error: (err as Error).message }));
  });

  const f: E2eeFederation = { e2ee, store, remote, outbound };
  built.set(s, f);
  return f;
}
