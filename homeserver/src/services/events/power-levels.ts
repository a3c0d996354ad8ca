// Power-level arithmetic for the authorisation rules of room versions 10 and 11: who holds which level,
// what an action or event type requires, and whether an m.room.power_levels change is permitted.
import { isValidUserId } from '../../core/ids.ts';
import type { JsonObject, JsonValue, Pdu, RoomVersion, StateKey } from '../../core/pdu.ts';
import { stateKeyOf } from '../../core/pdu.ts';

/** The state an event is authorised against: (type, state_key) → event. */
export type AuthState = ReadonlyMap<StateKey, Pdu>;

export type PowerAction = 'invite' | 'kick' | 'ban' | 'redact';

export const CREATE_KEY = stateKeyOf('m.room.create', '');
export const POWER_LEVELS_KEY = stateKeyOf('m.room.power_levels', '');

// Spec, server-server API "Definitions": invite defaults to 0, the others to 50, with or without a
// power levels event.
const ACTION_DEFAULTS: Record<PowerAction, number> = { invite: 0, kick: 50, ban: 50, redact: 50 };
const NAMED_LEVELS = ['users_default', 'events_default', 'state_default', 'ban', 'redact', 'kick', 'invite'];
const LEVEL_MAPS = ['events', 'notifications'];

export function asObject(v: JsonValue | undefined): JsonObject | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
}

// v10 made string levels invalid, so an accepted power levels event only holds canonical-JSON integers;
// anything else is treated as absent rather than coerced, so a malformed auth event cannot grant power.
function isLevel(v: JsonValue | undefined): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

function levelOr(v: JsonValue | undefined, fallback: number): number {
  return isLevel(v) ? v : fallback;
}

function powerLevelsContent(authState: AuthState): JsonObject | undefined {
  return authState.get(POWER_LEVELS_KEY)?.content;
}

/** The room creator per the create event: `content.creator` in v10, the `sender` from v11 on. */
export function creatorOf(create: Pdu, roomVersion?: RoomVersion): string | undefined {
  // Without an explicit version, the create event's own room_version decides; trusting a v11
  // `content.creator` would let the creator name anyone as the implicit 100-level user.
  const version = roomVersion ?? (create.content['room_version'] === '11' ? '11' : '10');
  if (version === '11') return create.sender;
  const creator = create.content['creator'];
  return typeof creator === 'string' ? creator : undefined;
}

/** Whether `userId` created the room whose create event is in `authState`. */
export function isCreator(userId: string, authState: AuthState, roomVersion?: RoomVersion): boolean {
  const create = authState.get(CREATE_KEY);
  return create !== undefined && creatorOf(create, roomVersion) === userId;
}

/** A user's power level: `users` then `users_default`; without a power levels event, 100 for the creator and 0 otherwise. */
export function userPowerLevel(userId: string, authState: AuthState, roomVersion?: RoomVersion): number {
  const pl = powerLevelsContent(authState);
  if (!pl) return isCreator(userId, authState, roomVersion) ? 100 : 0;
  const users = asObject(pl['users']);
  const own = users?.[userId];
  return isLevel(own) ? own : levelOr(pl['users_default'], 0);
}

/** The "required power level" to send an event of `type`: `events[type]`, else `state_default` (50) or `events_default` (0). */
export function requiredPowerLevelForEvent(type: string, isState: boolean, authState: AuthState): number {
  const pl = powerLevelsContent(authState);
  const explicit = asObject(pl?.['events'])?.[type];
  if (isLevel(explicit)) return explicit;
  return isState ? levelOr(pl?.['state_default'], 50) : levelOr(pl?.['events_default'], 0);
}

/** The invite, kick, ban or redact level of the room. */
export function powerLevelFor(action: PowerAction, authState: AuthState): number {
  return levelOr(powerLevelsContent(authState)?.[action], ACTION_DEFAULTS[action]);
}

/**
 * Whether a redaction that passed the auth rules should actually be applied to its target (spec "Handling
 * redactions"): the redacter has the redact level, or shares a server with the original sender.
 */
export function redactionMayApply(
  redactionSender: string,
  originalSender: string,
  authState: AuthState,
  roomVersion?: RoomVersion,
): boolean {
  if (userPowerLevel(redactionSender, authState, roomVersion) >= powerLevelFor('redact', authState)) return true;
  return domainOf(redactionSender) === domainOf(originalSender);
}

export function domainOf(id: string): string {
  return id.slice(id.indexOf(':') + 1);
}

/** Rules 9.1–9.3: the shape of a new power levels event's content, or a reason it is malformed. */
export function powerLevelsContentProblem(content: JsonObject): string | undefined {
  for (const name of NAMED_LEVELS) {
    if (name in content && !isLevel(content[name])) {
      return `power levels: "${name}" must be an integer, got ${JSON.stringify(content[name])}`;
    }
  }
  for (const name of LEVEL_MAPS) {
    if (!(name in content)) continue;
    const map = asObject(content[name]);
    if (!map) return `power levels: "${name}" must be an object`;
    for (const [k, v] of Object.entries(map)) {
      if (!isLevel(v)) return `power levels: "${name}.${k}" must be an integer, got ${JSON.stringify(v)}`;
    }
  }
  // Absent `users` reads as an empty map (the spec's wording could be taken as requiring the key,
  // but every implementation accepts its absence and so must we to agree on state).
  if ('users' in content) {
    const users = asObject(content['users']);
    if (!users) return 'power levels: "users" must be an object';
    for (const [k, v] of Object.entries(users)) {
      if (!isValidUserId(k)) return `power levels: "users" key ${JSON.stringify(k)} is not a valid user id`;
      if (!isLevel(v)) return `power levels: "users.${k}" must be an integer, got ${JSON.stringify(v)}`;
    }
  }
  return undefined;
}

function levelOrUndefined(v: JsonValue | undefined): number | undefined {
  return isLevel(v) ? v : undefined;
}

/**
 * Rules 9.5–9.9: whether `sender` (at `senderLevel`) may turn the `current` power levels into `next`.
 * Returns a reason when the change is not allowed.
 */
export function powerLevelsChangeProblem(
  current: JsonObject,
  next: JsonObject,
  sender: string,
  senderLevel: number,
): string | undefined {
  for (const name of NAMED_LEVELS) {
    const before = levelOrUndefined(current[name]);
    const after = levelOrUndefined(next[name]);
    if (before === after) continue;
    if (before !== undefined && before > senderLevel) {
      return `power levels: sender ${sender} has power ${senderLevel}, cannot change "${name}" from ${before}`;
    }
    if (after !== undefined && after > senderLevel) {
      return `power levels: sender ${sender} has power ${senderLevel}, cannot set "${name}" to ${after}`;
    }
  }
  for (const name of LEVEL_MAPS) {
    const problem = mapChangeProblem(name, asObject(current[name]) ?? {}, asObject(next[name]) ?? {}, senderLevel);
    if (problem) return `power levels: sender ${sender} has power ${senderLevel}, ${problem}`;
  }
  const before = asObject(current['users']) ?? {};
  const after = asObject(next['users']) ?? {};
  for (const user of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const old = levelOrUndefined(before[user]);
    const neu = levelOrUndefined(after[user]);
    if (old === neu) continue;
    // Rule 9.8: a user may lower themselves, but nobody else at or above their own level.
    if (user !== sender && old !== undefined && old >= senderLevel) {
      return `power levels: sender ${sender} has power ${senderLevel}, cannot change ${user} who has ${old}`;
    }
    if (neu !== undefined && neu > senderLevel) {
      return `power levels: sender ${sender} has power ${senderLevel}, cannot grant ${user} power ${neu}`;
    }
  }
  return undefined;
}

function mapChangeProblem(name: string, before: JsonObject, after: JsonObject, senderLevel: number): string | undefined {
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const old = levelOrUndefined(before[key]);
    const neu = levelOrUndefined(after[key]);
    if (old === neu) continue;
    if (old !== undefined && old > senderLevel) return `cannot change "${name}.${key}" from ${old}`;
    if (neu !== undefined && neu > senderLevel) return `cannot set "${name}.${key}" to ${neu}`;
  }
  return undefined;
}
