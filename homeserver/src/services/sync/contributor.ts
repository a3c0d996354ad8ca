// How modules outside the room core (E2EE, push rules, …) add their sections to /sync responses.
import type { JsonObject } from '../../core/pdu.ts';

/** The /sync response body (spec: GET /_matrix/client/v3/sync), filled section by section. */
export interface SyncResponse {
  next_batch: string;
  rooms: {
    join: Record<string, JsonObject>;
    invite: Record<string, JsonObject>;
    leave: Record<string, JsonObject>;
    knock: Record<string, JsonObject>;
  };
  account_data: { events: JsonObject[] };
  presence: { events: JsonObject[] };
  to_device: { events: JsonObject[] };
  device_lists: { changed: string[]; left: string[] };
  device_one_time_keys_count: Record<string, number>;
  device_unused_fallback_key_types: string[];
}

export interface SyncRequestInfo {
  userId: string;
  deviceId: string | null;
  /** Stream position of the `since` token; null for an initial sync. */
  since: number | null;
  /** Stream position this response covers up to (inclusive); becomes next_batch. */
  upTo: number;
}

export interface SyncContributor {
  /** Adds this module's sections to the response. Called once per response, after rooms are built. */
  contribute(req: SyncRequestInfo, response: SyncResponse): void;
  /** True when the module has something for this user/device in (since, upTo]: the sync returns at once. */
  hasNews(req: SyncRequestInfo & { since: number }): boolean;
}
