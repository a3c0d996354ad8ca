// The authorisation rules of room versions 10 and 11 (spec: "Authorisation rules" on each version's page)
// and the server-server "auth events selection": which state an event needs, and whether it passes.
import { computeEventId } from '../../core/event-hash.ts';
import type { JsonObject, Pdu, RoomVersion, StateKey } from '../../core/pdu.ts';
import { isSupportedRoomVersion, stateKeyOf } from '../../core/pdu.ts';
import {
  asObject,
  type AuthState,
  CREATE_KEY,
  creatorOf,
  domainOf,
  POWER_LEVELS_KEY,
  powerLevelFor,
  powerLevelsChangeProblem,
  powerLevelsContentProblem,
  requiredPowerLevelForEvent,
  userPowerLevel,
} from './power-levels.ts';

export type { AuthState, PowerAction } from './power-levels.ts';
export { isCreator, powerLevelFor, redactionMayApply, requiredPowerLevelForEvent, userPowerLevel } from './power-levels.ts';

export type AuthResult = { ok: true } | { ok: false; reason: string };

const OK: AuthResult = { ok: true };
const JOIN_RULES_KEY = stateKeyOf('m.room.join_rules', '');

function deny(reason: string): AuthResult {
  return { ok: false, reason };
}

function membershipOf(authState: AuthState, userId: string): string | undefined {
  const m = authState.get(stateKeyOf('m.room.member', userId))?.content['membership'];
  return typeof m === 'string' ? m : undefined;
}

function shown(membership: string | undefined): string {
  return membership ?? 'none';
}

// Reference hashes are costly and the same create event is consulted for every creator-join check.
const eventIdCache = new WeakMap<Pdu, string>();
function eventIdOf(pdu: Pdu, roomVersion: RoomVersion): string {
  let id = eventIdCache.get(pdu);
  if (id === undefined) {
    id = computeEventId(pdu, roomVersion);
    eventIdCache.set(pdu, id);
  }
  return id;
}

/** Which (type, state_key) entries the spec's "auth events selection" puts into an event's auth_events. */
export function authStateKeysFor(
  event: { type: string; sender: string; state_key?: string; content: JsonObject },
  _roomVersion: RoomVersion,
): StateKey[] {
  // Both supported versions have restricted joins, so the selection does not depend on the version.
  if (event.type === 'm.room.create') return [];
  const keys = new Set<StateKey>([CREATE_KEY, POWER_LEVELS_KEY, stateKeyOf('m.room.member', event.sender)]);
  if (event.type === 'm.room.member' && event.state_key !== undefined) {
    const membership = event.content['membership'];
    keys.add(stateKeyOf('m.room.member', event.state_key));
    if (membership === 'join' || membership === 'invite' || membership === 'knock') keys.add(JOIN_RULES_KEY);
    if (membership === 'invite') {
      const token = asObject(asObject(event.content['third_party_invite'])?.['signed'])?.['token'];
      if (typeof token === 'string') keys.add(stateKeyOf('m.room.third_party_invite', token));
    }
    const authoriser = event.content['join_authorised_via_users_server'];
    if (membership === 'join' && typeof authoriser === 'string') keys.add(stateKeyOf('m.room.member', authoriser));
  }
  return [...keys];
}

/**
 * Runs the room version 10/11 authorisation rules for `event` against `authState` (its auth events or
 * the room state before it). Signature checks and the shape of auth_events are the caller's job.
 */
export function checkEventAuth(event: Pdu, authState: AuthState, roomVersion: RoomVersion): AuthResult {
  if (event.type === 'm.room.create') return checkCreate(event, roomVersion);

  // Rule 2.4.
  const create = authState.get(CREATE_KEY);
  if (!create) return deny('no m.room.create event in the auth state');
  // Rule 2.5, applied to the entries the rules consult (authState may be a whole room's state), so
  // powers held in another room never count.
  for (const key of authStateKeysFor(event, roomVersion)) {
    const authEvent = authState.get(key);
    if (authEvent && authEvent.room_id !== event.room_id) {
      return deny(`auth event ${authEvent.type} belongs to room ${authEvent.room_id}, not ${event.room_id}`);
    }
  }
  // Rule 3.
  if (create.content['m.federate'] === false && domainOf(event.sender) !== domainOf(create.sender)) {
    return deny(`room is not federated (m.federate is false) and ${event.sender} is not on ${domainOf(create.sender)}`);
  }

  if (event.type === 'm.room.member') return checkMember(event, authState, roomVersion, create);

  // Rule 5.
  const senderMembership = membershipOf(authState, event.sender);
  if (senderMembership !== 'join') {
    return deny(`sender ${event.sender} is not joined (membership ${shown(senderMembership)})`);
  }
  const senderLevel = userPowerLevel(event.sender, authState, roomVersion);

  // Rule 6: third-party invite placeholders need the invite level, not the event's own level.
  if (event.type === 'm.room.third_party_invite') {
    const invite = powerLevelFor('invite', authState);
    if (senderLevel >= invite) return OK;
    return deny(
      `sender ${event.sender} has power ${senderLevel}, needs invite level ${invite} to send m.room.third_party_invite`,
    );
  }

  // Rule 7. The redact level is deliberately absent: since room version 3 a redaction is authorised
  // like any other event, and whether it is applied is decided later (see redactionMayApply).
  const isState = event.state_key !== undefined;
  const required = requiredPowerLevelForEvent(event.type, isState, authState);
  if (senderLevel < required) {
    return deny(`sender ${event.sender} has power ${senderLevel}, needs ${required} to send ${event.type}`);
  }

  // Rule 8.
  if (event.state_key !== undefined && event.state_key.startsWith('@') && event.state_key !== event.sender) {
    return deny(`state_key ${event.state_key} is a user id other than the sender ${event.sender}`);
  }

  // Rule 9.
  if (event.type === 'm.room.power_levels') {
    const malformed = powerLevelsContentProblem(event.content);
    if (malformed) return deny(malformed);
    const current = authState.get(POWER_LEVELS_KEY);
    if (!current) return OK;
    const problem = powerLevelsChangeProblem(current.content, event.content, event.sender, senderLevel);
    if (problem) return deny(problem);
  }
  return OK;
}

function checkCreate(event: Pdu, roomVersion: RoomVersion): AuthResult {
  if (event.prev_events.length > 0) return deny('m.room.create must not have prev_events');
  if (domainOf(event.room_id) !== domainOf(event.sender)) {
    return deny(`m.room.create: room id ${event.room_id} is not on the sender's server ${domainOf(event.sender)}`);
  }
  const declared = event.content['room_version'];
  if (declared !== undefined) {
    if (!isSupportedRoomVersion(declared)) {
      return deny(`m.room.create: room_version ${JSON.stringify(declared)} is not a recognised version`);
    }
    if (declared !== roomVersion) {
      return deny(`m.room.create: declares room version ${declared} but is checked as version ${roomVersion}`);
    }
  }
  if (roomVersion === '10' && !('creator' in event.content)) {
    return deny('m.room.create: room version 10 requires content.creator');
  }
  return OK;
}

function checkMember(event: Pdu, authState: AuthState, roomVersion: RoomVersion, create: Pdu): AuthResult {
  const target = event.state_key;
  const membership = event.content['membership'];
  if (target === undefined) return deny('m.room.member has no state_key');
  if (membership === undefined) return deny('m.room.member has no content.membership');
  // Rule 4.2 (the join_authorised_via_users_server server's signature) is verified with the other
  // signatures by the caller.
  switch (membership) {
    case 'join':
      return checkJoin(event, target, authState, roomVersion, create);
    case 'invite':
      return checkInvite(event, target, authState, roomVersion);
    case 'leave':
      return checkLeave(event, target, authState, roomVersion);
    case 'ban':
      return checkBan(event, target, authState, roomVersion);
    case 'knock':
      return checkKnock(event, target, authState);
    default:
      return deny(`m.room.member: unknown membership ${JSON.stringify(membership)}`);
  }
}

// The spec does not say what an absent join_rules event means; Synapse and ruma treat it as "invite",
// and state resolution must agree with them, so we do the same.
function joinRuleOf(authState: AuthState): string {
  const rule = authState.get(JOIN_RULES_KEY)?.content['join_rule'];
  return typeof rule === 'string' ? rule : 'invite';
}

function checkJoin(event: Pdu, target: string, authState: AuthState, roomVersion: RoomVersion, create: Pdu): AuthResult {
  // Rule 4.3.1: the creator's own join right after the create event.
  if (
    event.prev_events.length === 1 &&
    event.prev_events[0] === eventIdOf(create, roomVersion) &&
    target === creatorOf(create, roomVersion)
  ) {
    return OK;
  }
  if (event.sender !== target) return deny(`join: sender ${event.sender} cannot join on behalf of ${target}`);
  const current = membershipOf(authState, target);
  if (current === 'ban') return deny(`join: ${target} is banned`);
  const rule = joinRuleOf(authState);
  switch (rule) {
    case 'public':
      return OK;
    case 'invite':
    case 'knock':
      if (current === 'invite' || current === 'join') return OK;
      return deny(`join: join_rule is ${rule} and ${target} has membership ${shown(current)}, needs invite or join`);
    case 'restricted':
    case 'knock_restricted':
      return checkRestrictedJoin(event, target, current, rule, authState, roomVersion);
    default:
      return deny(`join: join_rule ${JSON.stringify(rule)} does not allow joining`);
  }
}

function checkRestrictedJoin(
  event: Pdu,
  target: string,
  current: string | undefined,
  rule: string,
  authState: AuthState,
  roomVersion: RoomVersion,
): AuthResult {
  if (current === 'invite' || current === 'join') return OK;
  const authoriser = event.content['join_authorised_via_users_server'];
  if (typeof authoriser !== 'string') {
    return deny(`join: join_rule is ${rule} and ${target} is not invited, but no join_authorised_via_users_server is given`);
  }
  const authoriserMembership = membershipOf(authState, authoriser);
  if (authoriserMembership !== 'join') {
    return deny(`join: authorising user ${authoriser} is not joined (membership ${shown(authoriserMembership)})`);
  }
  const level = userPowerLevel(authoriser, authState, roomVersion);
  const invite = powerLevelFor('invite', authState);
  if (level < invite) {
    return deny(`join: authorising user ${authoriser} has power ${level}, needs invite level ${invite}`);
  }
  return OK;
}

function checkInvite(event: Pdu, target: string, authState: AuthState, roomVersion: RoomVersion): AuthResult {
  // Rule 4.4.1 needs ed25519 verification against identity-server keys; this server does not support
  // 3PID invites, so it never accepts one rather than half-checking it.
  if ('third_party_invite' in event.content) {
    return deny('invite: third-party (3PID) invites are not supported by this server');
  }
  const senderMembership = membershipOf(authState, event.sender);
  if (senderMembership !== 'join') {
    return deny(`invite: sender ${event.sender} is not joined (membership ${shown(senderMembership)})`);
  }
  const current = membershipOf(authState, target);
  if (current === 'join' || current === 'ban') return deny(`invite: target ${target} has membership ${current}`);
  const level = userPowerLevel(event.sender, authState, roomVersion);
  const invite = powerLevelFor('invite', authState);
  if (level < invite) return deny(`invite: sender ${event.sender} has power ${level}, needs invite level ${invite}`);
  return OK;
}

function checkLeave(event: Pdu, target: string, authState: AuthState, roomVersion: RoomVersion): AuthResult {
  if (event.sender === target) {
    const current = membershipOf(authState, target);
    if (current === 'invite' || current === 'join' || current === 'knock') return OK;
    return deny(`leave: ${target} cannot leave with membership ${shown(current)}`);
  }
  const senderMembership = membershipOf(authState, event.sender);
  if (senderMembership !== 'join') {
    return deny(`kick: sender ${event.sender} is not joined (membership ${shown(senderMembership)})`);
  }
  const senderLevel = userPowerLevel(event.sender, authState, roomVersion);
  const targetLevel = userPowerLevel(target, authState, roomVersion);
  const ban = powerLevelFor('ban', authState);
  if (membershipOf(authState, target) === 'ban' && senderLevel < ban) {
    return deny(`unban: sender ${event.sender} has power ${senderLevel}, needs ban level ${ban}`);
  }
  const kick = powerLevelFor('kick', authState);
  if (senderLevel < kick) return deny(`kick: sender ${event.sender} has power ${senderLevel}, needs kick level ${kick}`);
  if (targetLevel >= senderLevel) {
    return deny(`kick: sender ${event.sender} has power ${senderLevel}, not above ${target} who has ${targetLevel}`);
  }
  return OK;
}

function checkBan(event: Pdu, target: string, authState: AuthState, roomVersion: RoomVersion): AuthResult {
  const senderMembership = membershipOf(authState, event.sender);
  if (senderMembership !== 'join') {
    return deny(`ban: sender ${event.sender} is not joined (membership ${shown(senderMembership)})`);
  }
  const senderLevel = userPowerLevel(event.sender, authState, roomVersion);
  const targetLevel = userPowerLevel(target, authState, roomVersion);
  const ban = powerLevelFor('ban', authState);
  if (senderLevel < ban) return deny(`ban: sender ${event.sender} has power ${senderLevel}, needs ban level ${ban}`);
  if (targetLevel >= senderLevel) {
    return deny(`ban: sender ${event.sender} has power ${senderLevel}, not above ${target} who has ${targetLevel}`);
  }
  return OK;
}

function checkKnock(event: Pdu, target: string, authState: AuthState): AuthResult {
  const rule = joinRuleOf(authState);
  if (rule !== 'knock' && rule !== 'knock_restricted') {
    return deny(`knock: join_rule is ${rule}, not knock or knock_restricted`);
  }
  if (event.sender !== target) return deny(`knock: sender ${event.sender} cannot knock on behalf of ${target}`);
  const current = membershipOf(authState, target);
  if (current === 'ban' || current === 'invite' || current === 'join') {
    return deny(`knock: ${target} already has membership ${current}`);
  }
  return OK;
}
