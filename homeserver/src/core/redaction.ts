// The redaction algorithm of room versions 10 and 11 (spec: "Redactions" in each room version's page).
// Used for redacting events, and as the first step of event signing and reference hashing.
import type { JsonObject, Pdu, RoomVersion } from './pdu.ts';

const TOP_LEVEL_KEPT_V11 = [
  'event_id', 'type', 'room_id', 'sender', 'state_key', 'content', 'hashes', 'signatures', 'depth',
  'prev_events', 'auth_events', 'origin_server_ts',
];
// Room versions up to 10 also keep origin, membership and prev_state.
const TOP_LEVEL_KEPT_V10 = [...TOP_LEVEL_KEPT_V11, 'origin', 'membership', 'prev_state'];

function keepContentKeys(content: JsonObject, keys: string[]): JsonObject {
  const out: JsonObject = {};
  for (const k of keys) if (k in content) out[k] = content[k]!;
  return out;
}

/** The content an event keeps when redacted (the room version's rules). */
export function redactContent(type: string, content: JsonObject, version: RoomVersion): JsonObject {
  const v11 = version === '11';
  switch (type) {
    case 'm.room.member': {
      const out = keepContentKeys(content, ['membership', 'join_authorised_via_users_server']);
      if (v11) {
        const tpi = content['third_party_invite'];
        if (tpi && typeof tpi === 'object' && !Array.isArray(tpi) && 'signed' in tpi) {
          out['third_party_invite'] = { signed: tpi['signed']! };
        }
      }
      return out;
    }
    case 'm.room.create':
      return v11 ? { ...content } : keepContentKeys(content, ['creator']);
    case 'm.room.join_rules':
      return keepContentKeys(content, ['join_rule', 'allow']);
    case 'm.room.power_levels':
      return keepContentKeys(content, [
        'ban', 'events', 'events_default', 'kick', 'redact', 'state_default', 'users', 'users_default',
        ...(v11 ? ['invite'] : []),
      ]);
    case 'm.room.history_visibility':
      return keepContentKeys(content, ['history_visibility']);
    case 'm.room.redaction':
      return v11 ? keepContentKeys(content, ['redacts']) : {};
    default:
      return {};
  }
}

/** Returns the redacted form of an event (a new object; the input is not changed). */
export function redactEvent<T extends Partial<Pdu> & { type: string; content: JsonObject }>(
  event: T,
  version: RoomVersion,
): T {
  const kept = version === '11' ? TOP_LEVEL_KEPT_V11 : TOP_LEVEL_KEPT_V10;
  const out: Record<string, unknown> = {};
  for (const k of kept) if (k in event) out[k] = (event as Record<string, unknown>)[k];
  out['content'] = redactContent(event.type, event.content, version);
  return out as T;
}
