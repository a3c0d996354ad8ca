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
import { wireE2eeFederation } from '../../federation/e2ee-federation.ts';

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

  // In the same write as the new device: a room-mate's next sync after the login sees the change.
  s.accounts.onDeviceAddedInTx((tx, userId) => e2ee.deviceLists.markChanged(tx, [userId]));
  s.accounts.onDeviceDeleted((userId, deviceId) => void e2ee.keys.deviceDeleted(userId, deviceId).catch(failed('removing a deleted device\'s keys')));
  // A renamed device changes what other users see of the device list. AccountsService has no rename
  // hook yet; this picks it up once it has one.
  const renames = (s.accounts as { onDeviceRenamed?: (fn: (userId: string, deviceId: string) => void) => void }).onDeviceRenamed;
  renames?.call(s.accounts, (userId) => void e2ee.deviceLists.deviceChanged(userId).catch(failed('device-list update for a renamed device')));
  // Users of other servers: keys/query and keys/claim forwarded, device lists and to-device over
  // EDUs (the federation routes themselves are in api/federation/user-keys.ts).
  wireE2eeFederation(s, e2ee);
}
