// The power levels of every room the bot creates: the bot (and a partner bridge's bot) at 100,
// members at 0. Members talk; only the bot changes state, invites or removes anyone.
import { SESSION_EVENT_TYPE } from '../../../protocol/src/event-types.ts';

/** State event types only the bot may send, in every Peerline room. */
export const BOT_ONLY_EVENTS: readonly string[] = [
  'm.room.power_levels', 'm.room.encryption', 'm.room.history_visibility', 'm.room.server_acl', 'm.room.join_rules', 'm.room.retention',
  'm.room.guest_access', 'm.room.name', 'm.room.topic', 'm.room.avatar', 'm.room.canonical_alias', 'm.room.tombstone',
  'm.room.pinned_events', SESSION_EVENT_TYPE,
];

/** m.room.power_levels content: `admins` at 100; `readOnly` stops messages (an ended session). */
export function botOwnedPowerLevels(admins: readonly string[], opts: { readOnly?: boolean; botOnlyEvents?: readonly string[] } = {}): Record<string, unknown> {
  return {
    users: Object.fromEntries(admins.map((u) => [u, 100])),
    users_default: 0,
    events_default: opts.readOnly ? 100 : 0,
    state_default: 100,
    invite: 100,
    kick: 100,
    ban: 100,
    redact: 100,
    historical: 100,
    events: Object.fromEntries([...BOT_ONLY_EVENTS, ...(opts.botOnlyEvents ?? [])].map((t) => [t, 100])),
    notifications: { room: 100 },
  };
}
