// The E2EE sections of /sync: to-device messages and key counts for the syncing device, and the
// device-list changes (changed / left) for the syncing user on incremental syncs.
import type { SyncContributor, SyncRequestInfo, SyncResponse } from '../sync/contributor.ts';
import type { E2eeStore } from '../../storage/e2ee-store.ts';
import type { DeviceKeysService } from './device-keys.ts';
import type { DeviceListService } from './device-lists.ts';
import type { ToDeviceService } from './to-device.ts';

export class E2eeSyncContributor implements SyncContributor {
  private readonly keys: DeviceKeysService;
  private readonly deviceLists: DeviceListService;
  private readonly toDevice: ToDeviceService;
  private readonly store: E2eeStore;

  constructor(opts: { keys: DeviceKeysService; deviceLists: DeviceListService; toDevice: ToDeviceService; store: E2eeStore }) {
    this.keys = opts.keys;
    this.deviceLists = opts.deviceLists;
    this.toDevice = opts.toDevice;
    this.store = opts.store;
  }

  contribute(req: SyncRequestInfo, res: SyncResponse): void {
    // The spec has device_lists only on incremental syncs: after an initial sync, clients query.
    if (req.since !== null) res.device_lists = this.deviceLists.changesFor(req.userId, req.since, req.upTo);
    if (req.deviceId === null) return;
    res.to_device = { events: this.toDevice.forSync(req.userId, req.deviceId, req.since, req.upTo) };
    res.device_one_time_keys_count = this.keys.oneTimeKeyCounts(req.userId, req.deviceId);
    res.device_unused_fallback_key_types = this.keys.unusedFallbackKeyTypes(req.userId, req.deviceId);
  }

  hasNews(req: SyncRequestInfo & { since: number }): boolean {
    if (this.deviceLists.hasChanges(req.userId, req.since, req.upTo)) return true;
    if (req.deviceId === null) return false;
    return this.toDevice.hasPending(req.userId, req.deviceId, req.since, req.upTo)
      || this.store.keyCountChangedBetween(req.userId, req.deviceId, req.since, req.upTo);
  }
}
