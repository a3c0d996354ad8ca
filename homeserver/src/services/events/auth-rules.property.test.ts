// Property-based tests (fast-check) of the room version 10/11 authorisation rules: random room states
// (power levels, memberships, join rules, bans) and random events, checked against a small model of the
// rules written from the spec's text (rules 4–10 of "Authorisation rules"), and against the invariants
// the rules exist for: nobody below the required level sends state, a ban holds, nobody raises anyone
// above themselves, and the create event's own rules.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonObject, JsonValue, Pdu, RoomVersion, StateKey } from '../../core/pdu.ts';
import { stateKeyOf } from '../../core/pdu.ts';
import { checkEventAuth } from './auth-rules.ts';

// Bounded in `npm test`; `npm run fuzz` raises it with PEERLINE_PROPERTY_RUNS.
const RUNS = Number(process.env['PEERLINE_PROPERTY_RUNS']) || 300;

const ROOM = '!room:a.example';
const CREATOR = '@creator:a.example';
const USERS = [CREATOR, '@u1:a.example', '@u2:b.example', '@u3:a.example', '@u4:b.example'];
const MEMBERSHIPS = ['join', 'invite', 'leave', 'ban', 'knock'];
const JOIN_RULES = ['public', 'invite', 'knock', 'restricted', 'knock_restricted', 'private'];
const STATE_TYPES = ['m.room.name', 'm.room.topic', 'm.room.power_levels', 'm.room.join_rules', 'm.room.history_visibility', 'org.peerline.session'];

function pdu(type: string, sender: string, content: JsonObject, stateKey?: string, prev: string[] = ['$previous']): Pdu {
  return {
    auth_events: [], content, depth: 3, hashes: { sha256: 'fakehash' }, origin_server_ts: 1, prev_events: prev,
    room_id: ROOM, sender, signatures: {}, type, ...(stateKey !== undefined ? { state_key: stateKey } : {}),
  };
}

interface Room {
  version: RoomVersion;
  powerLevels: JsonObject | null;
  joinRule: string | null;
  members: Record<string, string | null>;
  federate: boolean;
}

const level = fc.oneof(fc.constantFrom(0, 50, 100), fc.integer({ min: -10, max: 110 }));
const levelsContent = fc.record({
  users: fc.dictionary(fc.constantFrom(...USERS), level, { maxKeys: 5 }),
  users_default: level, events_default: level, state_default: level, ban: level, kick: level, invite: level, redact: level,
  events: fc.dictionary(fc.constantFrom(...STATE_TYPES, 'm.room.message'), level, { maxKeys: 3 }),
}, { requiredKeys: ['users'] }) as fc.Arbitrary<JsonObject>;

const room: fc.Arbitrary<Room> = fc.record({
  version: fc.constantFrom<RoomVersion>('10', '11'),
  powerLevels: fc.option(levelsContent, { freq: 5 }),
  joinRule: fc.option(fc.constantFrom(...JOIN_RULES), { freq: 5 }),
  // Mostly joined, mostly federated: otherwise nearly every event is refused for the same dull reason.
  members: fc.record(Object.fromEntries(USERS.map((u) => [u, fc.option(fc.oneof({ weight: 3, arbitrary: fc.constant('join') }, { weight: 2, arbitrary: fc.constantFrom(...MEMBERSHIPS) }), { freq: 6 })]))),
  federate: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
});

function authStateOf(r: Room): Map<StateKey, Pdu> {
  const state = new Map<StateKey, Pdu>();
  const createContent: JsonObject = { room_version: r.version, ...(r.version === '10' ? { creator: CREATOR } : {}), ...(r.federate ? {} : { 'm.federate': false }) };
  state.set(stateKeyOf('m.room.create', ''), pdu('m.room.create', CREATOR, createContent, '', []));
  if (r.powerLevels) state.set(stateKeyOf('m.room.power_levels', ''), pdu('m.room.power_levels', CREATOR, r.powerLevels, ''));
  if (r.joinRule) state.set(stateKeyOf('m.room.join_rules', ''), pdu('m.room.join_rules', CREATOR, { join_rule: r.joinRule }, ''));
  for (const [u, m] of Object.entries(r.members)) if (m) state.set(stateKeyOf('m.room.member', u), pdu('m.room.member', u, { membership: m }, u));
  return state;
}

// ---- the model, from the spec's text --------------------------------------------------------------

const int = (v: JsonValue | undefined): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);

function levelOf(r: Room, user: string): number {
  if (!r.powerLevels) return user === CREATOR ? 100 : 0;
  return int((r.powerLevels['users'] as JsonObject)[user]) ?? int(r.powerLevels['users_default']) ?? 0;
}
function actionLevel(r: Room, action: 'ban' | 'kick' | 'invite'): number {
  return int(r.powerLevels?.[action]) ?? (action === 'invite' ? 0 : 50);
}
function requiredLevel(r: Room, type: string, isState: boolean): number {
  const events = (r.powerLevels?.['events'] ?? {}) as JsonObject;
  return int(events[type]) ?? (isState ? int(r.powerLevels?.['state_default']) ?? 50 : int(r.powerLevels?.['events_default']) ?? 0);
}
const domain = (id: string): string => id.slice(id.indexOf(':') + 1);

/** Rules 4 (membership, no 3PID) and 5–10, for a room whose create event is in the auth state. */
function modelAllows(r: Room, e: Pdu): boolean {
  if (!r.federate && domain(e.sender) !== domain(CREATOR)) return false;
  const m = (u: string): string | null => r.members[u] ?? null;
  const sl = levelOf(r, e.sender);
  if (e.type === 'm.room.member') {
    const target = e.state_key!;
    const tl = levelOf(r, target);
    const rule = r.joinRule ?? 'invite';
    switch (e.content['membership']) {
      case 'join': {
        if (e.sender !== target || m(target) === 'ban') return false;
        if (rule === 'public') return true;
        if (rule === 'invite' || rule === 'knock') return m(target) === 'invite' || m(target) === 'join';
        if (rule === 'restricted' || rule === 'knock_restricted') {
          if (m(target) === 'invite' || m(target) === 'join') return true;
          const via = e.content['join_authorised_via_users_server'];
          return typeof via === 'string' && m(via) === 'join' && levelOf(r, via) >= actionLevel(r, 'invite');
        }
        return false;
      }
      case 'invite':
        return m(e.sender) === 'join' && m(target) !== 'join' && m(target) !== 'ban' && sl >= actionLevel(r, 'invite');
      case 'leave':
        if (e.sender === target) return ['invite', 'join', 'knock'].includes(m(target) ?? '');
        if (m(e.sender) !== 'join') return false;
        if (m(target) === 'ban' && sl < actionLevel(r, 'ban')) return false;
        return sl >= actionLevel(r, 'kick') && tl < sl;
      case 'ban':
        return m(e.sender) === 'join' && sl >= actionLevel(r, 'ban') && tl < sl;
      case 'knock':
        return (rule === 'knock' || rule === 'knock_restricted') && e.sender === target && !['ban', 'invite', 'join'].includes(m(target) ?? '');
      default:
        return false;
    }
  }
  if (m(e.sender) !== 'join') return false;
  if (sl < requiredLevel(r, e.type, e.state_key !== undefined)) return false;
  if (e.state_key?.startsWith('@') && e.state_key !== e.sender) return false;
  return true; // power levels changes are checked by their own property below
}

// ---- events ---------------------------------------------------------------------------------------

const user = fc.constantFrom(...USERS);
const memberEvent = fc.record({
  sender: user, target: user, membership: fc.constantFrom(...MEMBERSHIPS, 'bogus'), via: fc.option(user, { freq: 3 }),
}).map(({ sender, target, membership, via }) =>
  pdu('m.room.member', sender, { membership, ...(via && membership === 'join' ? { join_authorised_via_users_server: via } : {}) }, target));
const otherEvent = fc.record({
  sender: user, type: fc.constantFrom(...STATE_TYPES.filter((t) => t !== 'm.room.power_levels'), 'm.room.message'),
  stateKey: fc.option(fc.oneof(fc.constant(''), user, fc.constant('x')), { freq: 4, nil: undefined }),
}).map(({ sender, type, stateKey }) => pdu(type, sender, { body: 'x' }, stateKey));

describe('authorisation rules properties (fast-check)', () => {
  it('agree with a model of the spec\'s rules on every membership change and every non-power-levels event', () => {
    fc.assert(fc.property(room, fc.oneof(memberEvent, otherEvent), (r, e) => {
      const result = checkEventAuth(e, authStateOf(r), r.version);
      expect(result.ok, JSON.stringify(result)).toBe(modelAllows(r, e));
    }), { numRuns: RUNS });
  });

  it('refuse every state event from a sender below the required power level, or not joined', () => {
    fc.assert(fc.property(room, user, fc.constantFrom(...STATE_TYPES), (r, sender, type) => {
      const content = type === 'm.room.power_levels' ? (r.powerLevels ?? { users: {} }) : { x: 1 };
      const e = pdu(type, sender, content, '');
      const below = levelOf(r, sender) < requiredLevel(r, type, true);
      if (below || r.members[sender] !== 'join') expect(checkEventAuth(e, authStateOf(r), r.version).ok).toBe(false);
    }), { numRuns: RUNS });
  });

  it('refuse every join of a banned user, whatever the join rule or authoriser', () => {
    fc.assert(fc.property(room, user, fc.option(user), (r, u, via) => {
      const banned = { ...r, members: { ...r.members, [u]: 'ban' } };
      const e = pdu('m.room.member', u, { membership: 'join', ...(via ? { join_authorised_via_users_server: via } : {}) }, u);
      expect(checkEventAuth(e, authStateOf(banned), r.version).ok).toBe(false);
    }), { numRuns: RUNS });
  });

  it('allow a power levels change exactly when it raises nothing above the sender and touches nobody at or above them', () => {
    const edit = fc.record({
      user, to: fc.option(level), field: fc.constantFrom('users_default', 'events_default', 'state_default', 'ban', 'kick', 'invite', 'redact'), fieldTo: fc.option(level),
      eventType: fc.constantFrom(...STATE_TYPES), eventTo: fc.option(level),
    });
    fc.assert(fc.property(room.filter((r) => r.powerLevels !== null), user, fc.array(edit, { minLength: 1, maxLength: 3 }), (r, sender, edits) => {
      const before = r.powerLevels!;
      const next = structuredClone(before) as JsonObject & { users: JsonObject; events?: JsonObject };
      next.events = { ...((before['events'] as JsonObject | undefined) ?? {}) };
      for (const x of edits) {
        if (x.to === null) delete next.users[x.user]; else next.users[x.user] = x.to;
        if (x.fieldTo === null) delete next[x.field]; else next[x.field] = x.fieldTo;
        if (x.eventTo === null) delete next.events[x.eventType]; else next.events[x.eventType] = x.eventTo;
      }
      const result = checkEventAuth(pdu('m.room.power_levels', sender, next, ''), authStateOf(r), r.version);
      // Rules 3, 5, 7 and 9 (a power levels event has state_key "", so rule 8 never applies).
      const sl = levelOf(r, sender);
      const problems: string[] = [];
      if (!r.federate && domain(sender) !== domain(CREATOR)) problems.push('not federated');
      if (r.members[sender] !== 'join') problems.push('not joined');
      if (sl < requiredLevel(r, 'm.room.power_levels', true)) problems.push('below the power levels level');
      const beforeUsers = before['users'] as JsonObject;
      for (const u of new Set([...Object.keys(beforeUsers), ...Object.keys(next.users)])) {
        if (beforeUsers[u] === next.users[u]) continue;
        if (next.users[u] !== undefined && (next.users[u] as number) > sl) problems.push(`raises ${u} above the sender`);
        if (u !== sender && beforeUsers[u] !== undefined && (beforeUsers[u] as number) >= sl) problems.push(`changes ${u}, not below the sender`);
      }
      for (const f of ['users_default', 'events_default', 'state_default', 'ban', 'kick', 'invite', 'redact']) {
        if (before[f] === next[f]) continue;
        for (const v of [before[f], next[f]]) if (v !== undefined && (v as number) > sl) problems.push(`changes ${f} above the sender`);
      }
      const beforeEvents = (before['events'] as JsonObject | undefined) ?? {};
      for (const t of new Set([...Object.keys(beforeEvents), ...Object.keys(next.events)])) {
        if (beforeEvents[t] === next.events[t]) continue;
        for (const v of [beforeEvents[t], next.events[t]]) if (v !== undefined && (v as number) > sl) problems.push(`changes events.${t} above the sender`);
      }
      expect(result.ok, `${JSON.stringify(result)} vs model ${JSON.stringify(problems)}`).toBe(problems.length === 0);
    }), { numRuns: RUNS });
  });

  it('accept a create event exactly when it has no prev_events, is on its sender\'s server and declares this version (with a creator in v10)', () => {
    const create = fc.record({
      version: fc.constantFrom<RoomVersion>('10', '11'), sender: user, roomServer: fc.constantFrom('a.example', 'b.example'),
      prev: fc.array(fc.constant('$p'), { maxLength: 1 }), declared: fc.option(fc.constantFrom('1', '9', '10', '11', 'x', 11 as unknown as string), { nil: undefined }),
      creator: fc.option(user, { nil: undefined }),
    });
    fc.assert(fc.property(create, (c) => {
      const content: JsonObject = { ...(c.declared !== undefined ? { room_version: c.declared } : {}), ...(c.creator ? { creator: c.creator } : {}) };
      const e = { ...pdu('m.room.create', c.sender, content, '', c.prev), room_id: `!r:${c.roomServer}` };
      const expected = c.prev.length === 0 && domain(c.sender) === c.roomServer &&
        (c.declared === undefined || c.declared === c.version) && (c.version === '11' || c.creator !== undefined);
      expect(checkEventAuth(e, new Map(), c.version).ok).toBe(expected);
    }), { numRuns: RUNS });
  });
});
