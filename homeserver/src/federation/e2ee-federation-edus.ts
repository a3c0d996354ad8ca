// The E2EE EDUs other servers send us (spec: Server-Server API "Device Management", "End-to-End
// Encryption", "Send-to-device messaging"): reading and checking m.device_list_update,
// m.signing_key_update and m.direct_to_device, and deciding from a device-list update's stream_id
// and prev_id whether it applies to our cached copy of the list or whether updates were lost and
// the list must be fetched again. Pure functions; the services around them do the I/O.
import type { JsonObject } from '../core/pdu.ts';
import { isValidUserId, serverNameOf } from '../core/ids.ts';
import { isObject } from '../api/validate.ts';
import { canonicalJson, CanonicalJsonError } from '../core/canonical-json.ts';

export const DEVICE_LIST_UPDATE = 'm.device_list_update';
export const SIGNING_KEY_UPDATE = 'm.signing_key_update';
export const DIRECT_TO_DEVICE = 'm.direct_to_device';

/** An EDU we refuse: malformed, or about a user the sending server does not host. */
export class EduRejected extends Error {}

export interface DeviceListUpdate {
  userId: string;
  deviceId: string;
  streamId: number;
  prevIds: number[];
  deleted: boolean;
  displayName: string | null;
  keys: JsonObject | null;
}

export interface SigningKeyUpdate {
  userId: string;
  master: JsonObject | null;
  selfSigning: JsonObject | null;
}

export interface DirectToDevice {
  sender: string;
  type: string;
  messageId: string;
  messages: Record<string, Record<string, JsonObject>>;
}

const MAX_MESSAGE_ID_LENGTH = 255;

function content(v: unknown, eduType: string): JsonObject {
  if (!isObject(v)) throw new EduRejected(`${eduType} content must be an object`);
  return v;
}

/** The user an EDU is about: a valid user id of the origin server (a server speaks only for its own users). */
function originUser(v: unknown, origin: string, field: string): string {
  if (typeof v !== 'string' || !isValidUserId(v)) throw new EduRejected(`'${field}' must be a user id`);
  if (serverNameOf(v) !== origin) throw new EduRejected(`'${field}' ${v} is not a user of the sending server ${origin}`);
  return v;
}

function streamInteger(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new EduRejected(`'${field}' must be a non-negative integer`);
  return v;
}

function signable(v: JsonObject, field: string): void {
  try {
    canonicalJson(v);
  } catch (e) {
    if (e instanceof CanonicalJsonError) throw new EduRejected(`'${field}' is not valid canonical JSON`);
    throw e;
  }
}

/** `signatures`, when present, must be user id → key id → string (we merge our own into it). */
function checkSignatures(v: JsonObject, field: string): void {
  const sigs = v['signatures'];
  if (sigs === undefined) return;
  const ok = isObject(sigs) && Object.values(sigs).every((byKey) => isObject(byKey) && Object.values(byKey).every((x) => typeof x === 'string'));
  if (!ok) throw new EduRejected(`'${field}.signatures' must map user ids to key ids to signatures`);
}

/** Device keys as a server relays them: must describe the device the update is about. */
export function checkDeviceKeys(v: unknown, userId: string, deviceId: string, field: string): JsonObject {
  if (!isObject(v)) throw new EduRejected(`'${field}' must be an object`);
  if (v['user_id'] !== userId || v['device_id'] !== deviceId) throw new EduRejected(`'${field}' must describe device ${deviceId} of ${userId}`);
  if (!isObject(v['keys'])) throw new EduRejected(`'${field}.keys' must be an object`);
  checkSignatures(v, field);
  signable(v, field);
  return v;
}

/** A cross-signing key as a server relays it: the user's, with the given usage. */
export function checkCrossSigningKey(v: unknown, userId: string, usage: 'master' | 'self_signing', field: string): JsonObject {
  if (!isObject(v)) throw new EduRejected(`'${field}' must be an object`);
  if (v['user_id'] !== userId) throw new EduRejected(`'${field}.user_id' must be ${userId}`);
  const usages = v['usage'];
  if (!Array.isArray(usages) || !usages.includes(usage)) throw new EduRejected(`'${field}.usage' must include '${usage}'`);
  const keys = v['keys'];
  if (!isObject(keys) || Object.keys(keys).length !== 1 || typeof Object.values(keys)[0] !== 'string') throw new EduRejected(`'${field}.keys' must hold exactly one key`);
  checkSignatures(v, field);
  signable(v, field);
  return v;
}

/** The public key of a cross-signing key object (already checked). */
export function crossSigningPublicKey(v: JsonObject): string {
  return Object.values(v['keys'] as Record<string, string>)[0]!;
}

export function readDeviceListUpdate(origin: string, raw: unknown): DeviceListUpdate {
  const c = content(raw, DEVICE_LIST_UPDATE);
  const userId = originUser(c['user_id'], origin, 'user_id');
  const deviceId = c['device_id'];
  if (typeof deviceId !== 'string' || deviceId === '') throw new EduRejected("'device_id' must be a non-empty string");
  const streamId = streamInteger(c['stream_id'], 'stream_id');
  const prev = c['prev_id'] ?? [];
  if (!Array.isArray(prev)) throw new EduRejected("'prev_id' must be an array of integers");
  const prevIds = prev.map((p, i) => streamInteger(p, `prev_id[${i}]`));
  const deleted = c['deleted'] ?? false;
  if (typeof deleted !== 'boolean') throw new EduRejected("'deleted' must be a boolean");
  const name = c['device_display_name'] ?? null;
  if (name !== null && typeof name !== 'string') throw new EduRejected("'device_display_name' must be a string");
  const keys = c['keys'] === undefined || c['keys'] === null || deleted ? null : checkDeviceKeys(c['keys'], userId, deviceId, 'keys');
  return { userId, deviceId, streamId, prevIds, deleted, displayName: name, keys };
}

export function readSigningKeyUpdate(origin: string, raw: unknown): SigningKeyUpdate {
  const c = content(raw, SIGNING_KEY_UPDATE);
  const userId = originUser(c['user_id'], origin, 'user_id');
  const opt = (field: string, usage: 'master' | 'self_signing'): JsonObject | null =>
    c[field] === undefined || c[field] === null ? null : checkCrossSigningKey(c[field], userId, usage, field);
  return { userId, master: opt('master_key', 'master'), selfSigning: opt('self_signing_key', 'self_signing') };
}

export function readDirectToDevice(origin: string, raw: unknown): DirectToDevice {
  const c = content(raw, DIRECT_TO_DEVICE);
  const sender = originUser(c['sender'], origin, 'sender');
  const type = c['type'];
  if (typeof type !== 'string' || type === '') throw new EduRejected("'type' must be a non-empty string");
  const messageId = c['message_id'];
  if (typeof messageId !== 'string' || messageId === '' || messageId.length > MAX_MESSAGE_ID_LENGTH) {
    throw new EduRejected(`'message_id' must be a non-empty string of at most ${MAX_MESSAGE_ID_LENGTH} characters`);
  }
  const messages = c['messages'];
  if (!isObject(messages)) throw new EduRejected("'messages' must be an object");
  for (const [user, devices] of Object.entries(messages)) {
    if (!isValidUserId(user)) throw new EduRejected(`'messages' key ${user} is not a user id`);
    if (!isObject(devices)) throw new EduRejected(`'messages.${user}' must map device ids to message contents`);
    for (const [device, body] of Object.entries(devices)) {
      if (!isObject(body)) throw new EduRejected(`'messages.${user}.${device}' must be an object`);
    }
  }
  return { sender, type, messageId, messages: messages as Record<string, Record<string, JsonObject>> };
}

/** What we know of a cached remote list's update sequence. */
export interface RemoteListPosition {
  /** The latest stream_id applied or returned by the last full fetch. */
  streamId: number;
  /** Recent stream ids applied (a prev_id may name any of them). */
  seen: number[];
}

export type UpdateDecision = 'apply' | 'skip' | 'resync';

/** How many recent stream ids we remember per remote user. */
export const SEEN_LIMIT = 50;

/**
 * Whether a device-list update can be applied to our copy of the list. Without a copy, or when a
 * prev_id names an update we never saw (one was lost), the list must be fetched again; an update we
 * already have is skipped. An update older than our copy that we have not seen cannot be placed
 * (the server may have reset its stream), so it also leads to a fresh fetch rather than being lost.
 */
export function decideUpdate(known: RemoteListPosition | null, u: { streamId: number; prevIds: number[] }): UpdateDecision {
  if (!known) return 'resync';
  if (u.streamId === known.streamId || known.seen.includes(u.streamId)) return 'skip';
  if (u.streamId < known.streamId) return 'resync';
  // No prev_id: the first update of a sequence, which says nothing about what we hold.
  if (u.prevIds.length === 0) return 'resync';
  const have = (id: number): boolean => id === known.streamId || known.seen.includes(id);
  return u.prevIds.every(have) ? 'apply' : 'resync';
}

/** The position after applying an update. */
export function advance(known: RemoteListPosition, streamId: number): RemoteListPosition {
  return { streamId: Math.max(known.streamId, streamId), seen: [...known.seen, streamId].slice(-SEEN_LIMIT) };
}
