// Wires the e2ee module into a homeserver: migrations, services, routes, sync contributors, hooks.
import type { HomeserverServices } from '../../app.ts';
import type { Router } from '../../api/router.ts';
import { E2eeStore, e2eeMigrations, e2eeStreamTables } from '../../storage/e2ee-store.ts';
import { DeviceListService } from './device-lists.ts';
import { DeviceKeysService } from './device-keys.ts';
import { CrossSigningService } from './cross-signing.ts';
import { ToDeviceService } from './to-device.ts';
import { KeyBackupService } from './key-backup.ts';
import { E2eeSyncContributor } from './sync-contributor.ts';
import { register as registerKeys } from '../../api/client/keys.ts';
import { register as registerToDevice } from '../../api/client/to-device.ts';
import { register as registerRoomKeys } from '../../api/client/room-keys.ts';

export interface E2eeServices {
  store: E2eeStore;
  deviceLists: DeviceListService;
  keys: DeviceKeysService;
  crossSigning: CrossSigningService;
  toDevice: ToDeviceService;
  backup: KeyBackupService;
}

/** Builds the module's services over an already migrated database (tests use this directly). */
export function createE2eeServices(s: Pick<HomeserverServices, 'db' | 'streams' | 'notifier' | 'eventsStore' | 'usersStore' | 'accounts' | 'clock' | 'logger'>): E2eeServices {
  const store = new E2eeStore(s.db);
  const isLocalUser = (u: string): boolean => s.accounts.isLocalUser(u);
  const common = { db: s.db, store, streams: s.streams, notifier: s.notifier, isLocalUser };
  const deviceLists = new DeviceListService({ ...common, rooms: s.eventsStore, logger: s.logger });
  const devices = s.usersStore;
  const keys = new DeviceKeysService({ ...common, deviceLists, devices, remote: null });
  const crossSigning = new CrossSigningService({ db: s.db, store, deviceLists, devices, isLocalUser });
  const toDevice = new ToDeviceService({ ...common, devices, clock: s.clock, logger: s.logger });
  const backup = new KeyBackupService({ db: s.db, store });
  return { store, deviceLists, keys, crossSigning, toDevice, backup };
}

export function wireE2ee(s: HomeserverServices, routers: { client: Router; federation: Router }): void {
  s.db.migrate(e2eeMigrations);
  for (const t of e2eeStreamTables) s.streams.includeTable(s.db, t);
  const e2ee = createE2eeServices(s);
  const log = s.logger.child({ module: 'e2ee' });
  const failed = (what: string) => (e: unknown): void => log.error(`${what} failed`, { error: (e as Error).message });

  registerKeys(routers.client, s, e2ee);
  registerToDevice(routers.client, s, e2ee);
  registerRoomKeys(routers.client, s, e2ee);
  s.sync.addContributor(new E2eeSyncContributor({ keys: e2ee.keys, deviceLists: e2ee.deviceLists, toDevice: e2ee.toDevice, store: e2ee.store }));

  s.accounts.onDeviceAdded((userId) => void e2ee.deviceLists.deviceChanged(userId).catch(failed('device-list update for a new device')));
  s.accounts.onDeviceDeleted((userId, deviceId) => void e2ee.keys.deviceDeleted(userId, deviceId).catch(failed('removing a deleted device\'s keys')));
  s.persister.onPersisted((e) => {
    if (e.pdu.type !== 'm.room.member' || e.pdu.state_key === undefined) return;
    const joined = e.pdu.content['membership'] === 'join';
    if (joined === (e.prevMembership === 'join')) return; // profile changes and invites/leaves of non-members
    void e2ee.deviceLists.membershipChanged(e.pdu.room_id, e.pdu.state_key, joined).catch(failed('device-list update for a membership change'));
  });
  // TODO(federation): accept m.device_list_update / m.direct_to_device EDUs and answer
  // /user/keys/query, /user/keys/claim and /user/devices on routers.federation.
}
