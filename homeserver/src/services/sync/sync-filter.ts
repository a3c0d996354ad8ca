// The parts of a sync filter (spec: "Filtering") that this server applies.
import type { JsonObject } from '../../core/pdu.ts';
import { isObject } from '../../api/validate.ts';
import { badJson } from '../../api/errors.ts';

export interface EventFilter {
  limit?: number;
  types?: string[];
  not_types?: string[];
  senders?: string[];
  not_senders?: string[];
}

export interface SyncFilter {
  timeline: EventFilter & { limit: number };
  lazyLoadMembers: boolean;
  includeLeave: boolean;
  rooms?: string[];
  notRooms: string[];
  accountData: EventFilter;
  roomAccountData: EventFilter;
  ephemeral: EventFilter;
  state: EventFilter;
}

function strings(v: unknown, where: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw badJson(`filter: '${where}' must be a list of strings`);
  return v as string[];
}

function eventFilter(v: unknown, where: string): EventFilter {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw badJson(`filter: '${where}' must be an object`);
  const out: EventFilter = {};
  if (v['limit'] !== undefined) {
    if (typeof v['limit'] !== 'number' || !Number.isInteger(v['limit']) || v['limit'] < 0) throw badJson(`filter: '${where}.limit' must be a non-negative integer`);
    out.limit = v['limit'];
  }
  for (const k of ['types', 'not_types', 'senders', 'not_senders'] as const) {
    const s = strings(v[k], `${where}.${k}`);
    if (s) out[k] = s;
  }
  return out;
}

/** Checks a filter definition (POST /user/{userId}/filter) and returns it for storing. */
export function validateFilter(body: JsonObject): JsonObject {
  parseSyncFilter(body);
  return body;
}

export function parseSyncFilter(f: JsonObject | undefined): SyncFilter {
  const room = f && isObject(f['room']) ? f['room'] : {};
  if (f && f['room'] !== undefined && !isObject(f['room'])) throw badJson("filter: 'room' must be an object");
  const timeline = eventFilter(room['timeline'], 'room.timeline');
  const state = room['state'];
  const lazy = isObject(state) && state['lazy_load_members'] === true;
  const rooms = strings(room['rooms'], 'room.rooms');
  return {
    timeline: { ...timeline, limit: Math.min(timeline.limit ?? 10, 100) },
    lazyLoadMembers: lazy,
    includeLeave: room['include_leave'] === true,
    ...(rooms ? { rooms } : {}),
    notRooms: strings(room['not_rooms'], 'room.not_rooms') ?? [],
    accountData: eventFilter(f?.['account_data'], 'account_data'),
    roomAccountData: eventFilter(room['account_data'], 'room.account_data'),
    ephemeral: eventFilter(room['ephemeral'], 'room.ephemeral'),
    state: eventFilter(state, 'room.state'),
  };
}

function globMatch(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  const re = new RegExp('^' + pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  return re.test(value);
}

/** Whether an event passes an event filter's type and sender lists. */
export function passesEventFilter(f: EventFilter, type: string, sender: string | undefined): boolean {
  if (f.not_types?.some((p) => globMatch(p, type))) return false;
  if (f.types && !f.types.some((p) => globMatch(p, type))) return false;
  if (sender !== undefined) {
    if (f.not_senders?.includes(sender)) return false;
    if (f.senders && !f.senders.includes(sender)) return false;
  }
  return true;
}

export function passesRoomFilter(f: SyncFilter, roomId: string): boolean {
  if (f.notRooms.includes(roomId)) return false;
  return !f.rooms || f.rooms.includes(roomId);
}
