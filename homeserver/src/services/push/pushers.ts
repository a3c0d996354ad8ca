// Pushers (spec: "Push Notifications", POST /pushers/set): per-user registrations of push gateways.
// They are stored, listed and removed with their device; this server does not yet deliver to
// push gateways (no POST /_matrix/push/v1/notify is made).
import type { Database } from '../../storage/database.ts';
import type { PushStore, PusherRow } from '../../storage/push-store.ts';
import type { Clock } from '../users/accounts.ts';
import type { JsonObject } from '../../core/pdu.ts';
import { invalidParam, missingParam } from '../../api/errors.ts';
import { optBool, optString, reqString, requireObject } from '../../api/validate.ts';

export interface PusherJson {
  pushkey: string;
  kind: string;
  app_id: string;
  app_display_name: string;
  device_display_name: string;
  profile_tag: string;
  lang: string;
  data: JsonObject;
}

const MAX_APP_ID_CHARS = 64;
const MAX_PUSHKEY_BYTES = 512;
const NOTIFY_PATH = '/_matrix/push/v1/notify';

export class PushersService {
  private readonly db: Database;
  private readonly store: PushStore;
  private readonly clock: Clock;

  constructor(opts: { db: Database; store: PushStore; clock: Clock }) {
    this.db = opts.db;
    this.store = opts.store;
    this.clock = opts.clock;
  }

  list(userId: string): PusherJson[] {
    return this.store.pushersOfUser(userId).map(toJson);
  }

  /** POST /pushers/set: creates, updates or (with `kind: null`) deletes a pusher of `userId`. */
  async set(userId: string, deviceId: string | null, rawBody: unknown): Promise<void> {
    const body = requireObject(rawBody, 'request body');
    if (!Object.hasOwn(body, 'kind')) throw missingParam(`'kind' is required`);
    const appId = reqString(body, 'app_id');
    const pushkey = reqString(body, 'pushkey');
    if (appId === '' || [...appId].length > MAX_APP_ID_CHARS) throw invalidParam(`'app_id' must be 1 to ${MAX_APP_ID_CHARS} characters`);
    if (pushkey === '' || Buffer.byteLength(pushkey, 'utf8') > MAX_PUSHKEY_BYTES) throw invalidParam(`'pushkey' must be 1 to ${MAX_PUSHKEY_BYTES} bytes`);

    if (body['kind'] === null) {
      await this.db.write(() => { this.store.deletePusher(userId, appId, pushkey); });
      return;
    }
    const kind = reqString(body, 'kind');
    if (kind === 'email') throw invalidParam('email pushers are not supported by this server');
    if (kind !== 'http') throw invalidParam(`unknown pusher kind '${kind}'`);
    const appDisplayName = reqString(body, 'app_display_name');
    const deviceDisplayName = reqString(body, 'device_display_name');
    const lang = reqString(body, 'lang');
    if (body['data'] === undefined || body['data'] === null) throw missingParam(`'data' is required`);
    const data = requireObject(body['data'], `'data'`);
    checkGatewayUrl(data);
    const profileTag = optString(body, 'profile_tag') ?? '';
    const append = optBool(body, 'append') ?? false;

    await this.db.write(() => {
      // Without `append`, a pushkey belongs to one user: the device now signs in as `userId`.
      if (!append) this.store.deletePushersOfOtherUsers(appId, pushkey, userId);
      this.store.upsertPusher({
        user_id: userId, app_id: appId, pushkey, kind, app_display_name: appDisplayName,
        device_display_name: deviceDisplayName, profile_tag: profileTag, lang, data: JSON.stringify(data),
        device_id: deviceId, created_ts: this.clock.now(),
      });
    });
  }

  /** A deleted device's pushers go with it (its access token can no longer be the push target). */
  async removeForDevice(userId: string, deviceId: string): Promise<void> {
    await this.db.write(() => this.store.deletePushersOfDevice(userId, deviceId));
  }
}

/** `data.url` of an http pusher: an http(s) URL whose path is /_matrix/push/v1/notify (as Synapse requires). */
function checkGatewayUrl(data: JsonObject): void {
  const url = data['url'];
  if (url === undefined || url === null) throw missingParam(`'data.url' is required for http pushers`);
  if (typeof url !== 'string') throw invalidParam(`'data.url' must be a string`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidParam(`'data.url' must be an absolute URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw invalidParam(`'data.url' must be an http(s) URL`);
  if (parsed.pathname !== NOTIFY_PATH) throw invalidParam(`'data.url' must have the path ${NOTIFY_PATH}`);
  if (data['format'] !== undefined && typeof data['format'] !== 'string') throw invalidParam(`'data.format' must be a string`);
}

function toJson(r: PusherRow): PusherJson {
  return {
    pushkey: r.pushkey, kind: r.kind, app_id: r.app_id, app_display_name: r.app_display_name,
    device_display_name: r.device_display_name, profile_tag: r.profile_tag, lang: r.lang,
    data: JSON.parse(r.data) as JsonObject,
  };
}
