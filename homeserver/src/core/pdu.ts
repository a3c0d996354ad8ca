// The shape of a persistent data unit (room event) for the room versions this server speaks (10, 11).
// Event ids are not part of the PDU: they are the reference hash, computed by event-hash.ts.

export type JsonObject = { [key: string]: JsonValue };
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

export const SUPPORTED_ROOM_VERSIONS = ['10', '11'] as const;
export type RoomVersion = (typeof SUPPORTED_ROOM_VERSIONS)[number];
export const DEFAULT_ROOM_VERSION: RoomVersion = '10';

export function isSupportedRoomVersion(v: unknown): v is RoomVersion {
  return typeof v === 'string' && (SUPPORTED_ROOM_VERSIONS as readonly string[]).includes(v);
}

/** A PDU as sent over federation and stored (room versions 10 and 11). */
export interface Pdu {
  auth_events: string[];
  content: JsonObject;
  depth: number;
  hashes: { sha256: string };
  origin_server_ts: number;
  prev_events: string[];
  room_id: string;
  sender: string;
  signatures: Record<string, Record<string, string>>;
  type: string;
  state_key?: string;
  /** Top-level in room versions up to 10; moved into content in 11. */
  redacts?: string;
  unsigned?: JsonObject;
  /** Present in events created by older servers; not covered by v11's redaction algorithm. */
  origin?: string;
}

/** A PDU together with its id (the reference hash), as the rest of the server handles it. */
export interface StoredEvent {
  eventId: string;
  pdu: Pdu;
}

/** The key of a piece of room state. */
export type StateKey = `${string}\u0000${string}`;

export function stateKeyOf(type: string, stateKey: string): StateKey {
  return `${type}\u0000${stateKey}`;
}

export function splitStateKey(key: StateKey): [type: string, stateKey: string] {
  const i = key.indexOf('\u0000');
  return [key.slice(0, i), key.slice(i + 1)];
}

/** A room's state: (type, state_key) → event id. */
export type StateMap = Map<StateKey, string>;
