// Behaviour of the room version 10/11 authorisation rules, one rule per test, against small hand-built
// rooms whose events are plain PDUs with fake hashes and signatures.
import { describe, expect, it } from 'vitest';
import { computeEventId } from '../../core/event-hash.ts';
import type { JsonObject, Pdu, RoomVersion, StateKey } from '../../core/pdu.ts';
import { stateKeyOf } from '../../core/pdu.ts';
import {
  type AuthResult,
  authStateKeysFor,
  checkEventAuth,
  isCreator,
  powerLevelFor,
  redactionMayApply,
  requiredPowerLevelForEvent,
  userPowerLevel,
} from './auth-rules.ts';

const ROOM = '!room:a.example';
const ALICE = '@alice:a.example'; // creator, power 100
const MOD = '@mod:a.example'; // power 50
const BOB = '@bob:b.example'; // joined, power 0
const CAROL = '@carol:c.example'; // not in the room
const VERSIONS: RoomVersion[] = ['10', '11'];

let clock = 1_000;

interface EventFields {
  type: string;
  sender: string;
  content: JsonObject;
  state_key?: string;
  prev_events?: string[];
  room_id?: string;
}

function pdu(f: EventFields): Pdu {
  const server = f.sender.slice(f.sender.indexOf(':') + 1);
  return {
    auth_events: [],
    depth: 2,
    hashes: { sha256: 'fakehashfakehashfakehash' },
    origin_server_ts: clock++,
    prev_events: ['$previous'],
    room_id: ROOM,
    signatures: { [server]: { 'ed25519:k': 'fakesig' } },
    ...f,
  };
}

function createEvent(v: RoomVersion, content: JsonObject = {}, sender = ALICE): Pdu {
  const base: JsonObject = v === '10' ? { creator: sender, room_version: v } : { room_version: v };
  return pdu({ type: 'm.room.create', sender, state_key: '', content: { ...base, ...content }, prev_events: [] });
}

function member(sender: string, target: string, membership: string, extra: JsonObject = {}): Pdu {
  return pdu({ type: 'm.room.member', sender, state_key: target, content: { membership, ...extra } });
}

function stateEvent(sender: string, type: string, content: JsonObject, stateKey = ''): Pdu {
  return pdu({ type, sender, state_key: stateKey, content });
}

function message(sender: string, type = 'm.room.message', content: JsonObject = { body: 'hi' }): Pdu {
  return pdu({ type, sender, content });
}

const DEFAULT_POWER: JsonObject = {
  users: { [ALICE]: 100, [MOD]: 50 },
  users_default: 0,
  events: { 'm.room.name': 50, 'm.room.power_levels': 50 },
  events_default: 0,
  state_default: 50,
  ban: 50,
  kick: 50,
  redact: 50,
  invite: 0,
};

interface RoomSpec {
  joinRule?: string | null;
  power?: JsonObject | null;
  members?: Record<string, string>;
  createContent?: JsonObject;
}

/** A room created by Alice, with Mod and Bob joined unless `members` says otherwise. */
function room(v: RoomVersion, spec: RoomSpec = {}): Map<StateKey, Pdu> {
  const state = new Map<StateKey, Pdu>();
  const put = (e: Pdu) => state.set(stateKeyOf(e.type, e.state_key!), e);
  put(createEvent(v, spec.createContent));
  put(member(ALICE, ALICE, 'join'));
  if (spec.power !== null) put(stateEvent(ALICE, 'm.room.power_levels', spec.power ?? DEFAULT_POWER));
  if (spec.joinRule !== null) put(stateEvent(ALICE, 'm.room.join_rules', { join_rule: spec.joinRule ?? 'invite' }));
  for (const [user, m] of Object.entries(spec.members ?? { [MOD]: 'join', [BOB]: 'join' })) {
    put(member(m === 'join' || m === 'leave' || m === 'knock' ? user : ALICE, user, m));
  }
  return state;
}

function allowed(r: AuthResult): void {
  expect(r).toEqual({ ok: true });
}

function denied(r: AuthResult, reason: RegExp): void {
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.reason).toMatch(reason);
}

function withPower(overrides: JsonObject): JsonObject {
  return { ...DEFAULT_POWER, ...overrides };
}

describe.each(VERSIONS)('room version %s', (v) => {
  const check = (e: Pdu, state: Map<StateKey, Pdu>) => checkEventAuth(e, state, v);

  describe('m.room.create', () => {
    it('allows a create event with no prev_events sent from the room id server', () => {
      allowed(check(createEvent(v), new Map()));
    });
    it('rejects a create event that has prev_events', () => {
      denied(check({ ...createEvent(v), prev_events: ['$x'] }, new Map()), /must not have prev_events/);
    });
    it('rejects a create event whose room id is on another server', () => {
      denied(check(createEvent(v, {}, BOB), new Map()), /not on the sender's server b\.example/);
    });
    it('rejects a create event declaring an unrecognised room version', () => {
      denied(check(createEvent(v, { room_version: '999' }), new Map()), /"999" is not a recognised version/);
    });
    it('rejects a create event declaring a different version than the one it is checked as', () => {
      denied(check(createEvent(v, { room_version: v === '10' ? '11' : '10' }), new Map()), /declares room version/);
    });
    it(v === '10' ? 'rejects a create event without content.creator' : 'allows a create event without content.creator', () => {
      const e = pdu({ type: 'm.room.create', sender: ALICE, state_key: '', content: { room_version: v }, prev_events: [] });
      if (v === '10') denied(check(e, new Map()), /requires content\.creator/);
      else allowed(check(e, new Map()));
    });
  });

  describe('auth state', () => {
    it('rejects any other event when there is no m.room.create in the auth state', () => {
      const state = room(v);
      state.delete(stateKeyOf('m.room.create', ''));
      denied(check(message(BOB), state), /no m\.room\.create/);
    });
    it('rejects an event authorised by state from another room', () => {
      const state = room(v);
      state.set(stateKeyOf('m.room.member', BOB), { ...member(BOB, BOB, 'join'), room_id: '!other:a.example' });
      denied(check(message(BOB), state), /belongs to room !other:a\.example/);
    });
    it('rejects a remote sender in a room created with m.federate false', () => {
      denied(check(message(BOB), room(v, { createContent: { 'm.federate': false } })), /not federated/);
    });
    it('allows a local sender in a room created with m.federate false', () => {
      allowed(check(message(MOD), room(v, { createContent: { 'm.federate': false } })));
    });
  });

  describe('joins', () => {
    it("allows the creator's first join whose only prev event is the create event", () => {
      const create = createEvent(v);
      const state = new Map<StateKey, Pdu>([[stateKeyOf('m.room.create', ''), create]]);
      const join = { ...member(ALICE, ALICE, 'join'), prev_events: [computeEventId(create, v)] };
      allowed(check(join, state));
    });
    it('rejects a non-creator join that follows only the create event', () => {
      const create = createEvent(v);
      const state = new Map<StateKey, Pdu>([[stateKeyOf('m.room.create', ''), create]]);
      const join = { ...member(BOB, BOB, 'join'), prev_events: [computeEventId(create, v)] };
      denied(check(join, state), /join_rule is invite/);
    });
    it("rejects the creator's join without the create event as its only prev event in an invite-only room", () => {
      const create = createEvent(v);
      const state = new Map<StateKey, Pdu>([[stateKeyOf('m.room.create', ''), create]]);
      denied(check(member(ALICE, ALICE, 'join'), state), /join_rule is invite/);
    });
    it('rejects a join sent on behalf of another user', () => {
      denied(check(member(BOB, CAROL, 'join'), room(v, { joinRule: 'public' })), /cannot join on behalf of/);
    });
    it('rejects a banned user joining even a public room', () => {
      denied(check(member(CAROL, CAROL, 'join'), room(v, { joinRule: 'public', members: { [CAROL]: 'ban' } })), /is banned/);
    });
    it('allows anyone to join a public room', () => {
      allowed(check(member(CAROL, CAROL, 'join'), room(v, { joinRule: 'public' })));
    });
    it('rejects an uninvited user joining an invite-only room', () => {
      denied(check(member(CAROL, CAROL, 'join'), room(v)), /join_rule is invite and @carol:c\.example has membership none/);
    });
    it('allows an invited user to join an invite-only room', () => {
      allowed(check(member(CAROL, CAROL, 'join'), room(v, { members: { [CAROL]: 'invite' } })));
    });
    it('allows a joined member to send another join, such as a profile change', () => {
      allowed(check(member(BOB, BOB, 'join', { displayname: 'Bob' }), room(v)));
    });
    it('rejects an uninvited join to a knock room but allows an invited one', () => {
      denied(check(member(CAROL, CAROL, 'join'), room(v, { joinRule: 'knock' })), /join_rule is knock/);
      allowed(check(member(CAROL, CAROL, 'join'), room(v, { joinRule: 'knock', members: { [CAROL]: 'invite' } })));
    });
    it('treats a room without join rules as invite-only', () => {
      denied(check(member(CAROL, CAROL, 'join'), room(v, { joinRule: null })), /join_rule is invite/);
      allowed(check(member(CAROL, CAROL, 'join'), room(v, { joinRule: null, members: { [CAROL]: 'invite' } })));
    });
    it('rejects joins under an unknown join rule such as private', () => {
      denied(check(member(CAROL, CAROL, 'join'), room(v, { joinRule: 'private' })), /"private" does not allow joining/);
    });
  });

  describe('restricted joins', () => {
    const restricted = (extra: RoomSpec = {}) => room(v, { joinRule: 'restricted', ...extra });
    it('allows an invited user to join a restricted room without an authorising user', () => {
      allowed(check(member(CAROL, CAROL, 'join'), restricted({ members: { [MOD]: 'join', [CAROL]: 'invite' } })));
    });
    it('allows a join authorised by a joined member with invite power', () => {
      allowed(check(member(CAROL, CAROL, 'join', { join_authorised_via_users_server: MOD }), restricted()));
    });
    it('rejects a join without join_authorised_via_users_server', () => {
      denied(check(member(CAROL, CAROL, 'join'), restricted()), /no join_authorised_via_users_server/);
    });
    it('rejects a join authorised by a user who is not joined', () => {
      const e = member(CAROL, CAROL, 'join', { join_authorised_via_users_server: '@dave:a.example' });
      denied(check(e, restricted()), /authorising user @dave:a\.example is not joined/);
    });
    it('rejects a join authorised by a joined user below the invite level', () => {
      const e = member(CAROL, CAROL, 'join', { join_authorised_via_users_server: BOB });
      denied(check(e, restricted({ power: withPower({ invite: 50 }) })), /@bob:b\.example has power 0, needs invite level 50/);
    });
    it('allows an authorised join to a knock_restricted room', () => {
      const e = member(CAROL, CAROL, 'join', { join_authorised_via_users_server: MOD });
      allowed(check(e, room(v, { joinRule: 'knock_restricted' })));
    });
  });

  describe('invites', () => {
    it('allows a joined member to invite when the invite level is 0', () => {
      allowed(check(member(BOB, CAROL, 'invite'), room(v)));
    });
    it('rejects an invite from a sender who is not joined', () => {
      denied(check(member(CAROL, '@dave:a.example', 'invite'), room(v)), /sender @carol:c\.example is not joined/);
    });
    it('rejects inviting a user who is already joined', () => {
      denied(check(member(MOD, BOB, 'invite'), room(v)), /target @bob:b\.example has membership join/);
    });
    it('rejects inviting a banned user', () => {
      const state = room(v, { members: { [MOD]: 'join', [CAROL]: 'ban' } });
      denied(check(member(MOD, CAROL, 'invite'), state), /has membership ban/);
    });
    it('rejects an invite from a member below the invite level', () => {
      denied(check(member(BOB, CAROL, 'invite'), room(v, { power: withPower({ invite: 50 }) })), /needs invite level 50/);
    });
    it('rejects third-party invites because this server does not support them', () => {
      const thirdParty = { display_name: 'c', signed: { mxid: CAROL, token: 't' } };
      const e = member(MOD, CAROL, 'invite', { third_party_invite: thirdParty });
      denied(check(e, room(v)), /third-party \(3PID\) invites are not supported/);
    });
  });

  describe('leaves, kicks and unbans', () => {
    it('allows a joined member to leave', () => {
      allowed(check(member(BOB, BOB, 'leave'), room(v)));
    });
    it('allows an invited user to reject the invite', () => {
      allowed(check(member(CAROL, CAROL, 'leave'), room(v, { members: { [CAROL]: 'invite' } })));
    });
    it('allows a knocking user to withdraw the knock', () => {
      allowed(check(member(CAROL, CAROL, 'leave'), room(v, { joinRule: 'knock', members: { [CAROL]: 'knock' } })));
    });
    it('rejects leaving a room one has already left', () => {
      denied(check(member(CAROL, CAROL, 'leave'), room(v, { members: { [CAROL]: 'leave' } })), /membership leave/);
    });
    it('rejects a banned user lifting their own ban by leaving', () => {
      const state = room(v, { members: { [CAROL]: 'ban' } });
      denied(check(member(CAROL, CAROL, 'leave'), state), /cannot leave with membership ban/);
    });
    it('allows a moderator to kick a member with lower power', () => {
      allowed(check(member(MOD, BOB, 'leave'), room(v)));
    });
    it('rejects a kick from a member below the kick level', () => {
      denied(check(member(BOB, MOD, 'leave'), room(v)), /has power 0, needs kick level 50/);
    });
    it('rejects kicking a user with equal power', () => {
      const power = withPower({ users: { [ALICE]: 100, [MOD]: 50, [BOB]: 50 } });
      denied(check(member(MOD, BOB, 'leave'), room(v, { power })), /not above @bob:b\.example who has 50/);
    });
    it('rejects a kick from a sender who is not joined', () => {
      const state = room(v, { members: { [MOD]: 'leave', [BOB]: 'join' } });
      denied(check(member(MOD, BOB, 'leave'), state), /kick: sender @mod:a\.example is not joined/);
    });
    it('rejects an unban from a member with the kick level but below the ban level', () => {
      const state = room(v, { power: withPower({ ban: 75 }), members: { [MOD]: 'join', [CAROL]: 'ban' } });
      denied(check(member(MOD, CAROL, 'leave'), state), /unban: .* needs ban level 75/);
    });
    it('allows an admin to unban', () => {
      allowed(check(member(ALICE, CAROL, 'leave'), room(v, { members: { [CAROL]: 'ban' } })));
    });
  });

  describe('bans', () => {
    it('allows a moderator to ban a member with lower power', () => {
      allowed(check(member(MOD, BOB, 'ban'), room(v)));
    });
    it('allows banning a user who never joined', () => {
      allowed(check(member(MOD, CAROL, 'ban'), room(v)));
    });
    it('rejects a ban from a member below the ban level', () => {
      denied(check(member(BOB, CAROL, 'ban'), room(v)), /ban: sender @bob:b\.example has power 0, needs ban level 50/);
    });
    it('rejects banning a user with higher power', () => {
      denied(check(member(MOD, ALICE, 'ban'), room(v)), /not above @alice:a\.example who has 100/);
    });
    it('rejects a ban from a sender who is not joined', () => {
      const state = room(v, { members: { [MOD]: 'invite', [BOB]: 'join' } });
      denied(check(member(MOD, BOB, 'ban'), state), /ban: sender .* is not joined/);
    });
  });

  describe('knocks', () => {
    it('allows a stranger to knock on a knock room', () => {
      allowed(check(member(CAROL, CAROL, 'knock'), room(v, { joinRule: 'knock' })));
    });
    it('allows a stranger to knock on a knock_restricted room', () => {
      allowed(check(member(CAROL, CAROL, 'knock'), room(v, { joinRule: 'knock_restricted' })));
    });
    it('rejects a knock on an invite-only room', () => {
      denied(check(member(CAROL, CAROL, 'knock'), room(v)), /join_rule is invite, not knock/);
    });
    it('rejects knocking on behalf of another user', () => {
      denied(check(member(BOB, CAROL, 'knock'), room(v, { joinRule: 'knock' })), /cannot knock on behalf of/);
    });
    it.each(['join', 'invite', 'ban'])('rejects a knock from a user whose membership is %s', (m) => {
      const state = room(v, { joinRule: 'knock', members: { [CAROL]: m } });
      denied(check(member(CAROL, CAROL, 'knock'), state), new RegExp(`already has membership ${m}`));
    });
  });

  describe('malformed membership', () => {
    it('rejects an unknown membership value', () => {
      denied(check(member(BOB, BOB, 'lurk'), room(v)), /unknown membership "lurk"/);
    });
    it('rejects a member event without content.membership', () => {
      const e = pdu({ type: 'm.room.member', sender: BOB, state_key: BOB, content: {} });
      denied(check(e, room(v)), /no content\.membership/);
    });
    it('rejects a member event without a state_key', () => {
      denied(check(pdu({ type: 'm.room.member', sender: BOB, content: { membership: 'join' } }), room(v)), /no state_key/);
    });
  });

  describe('sending events', () => {
    it('rejects a message from a user who is not in the room', () => {
      denied(check(message(CAROL), room(v)), /sender @carol:c\.example is not joined \(membership none\)/);
    });
    it('rejects a message from a user who is only invited', () => {
      denied(check(message(CAROL), room(v, { members: { [CAROL]: 'invite' } })), /membership invite/);
    });
    it('allows a joined member to send a message at events_default 0', () => {
      allowed(check(message(BOB), room(v)));
    });
    it('rejects a message when events_default is above the sender level', () => {
      const state = room(v, { power: withPower({ events_default: 10 }) });
      denied(check(message(BOB), state), /sender @bob:b\.example has power 0, needs 10 to send m\.room\.message/);
    });
    it('rejects a state event from a member below state_default', () => {
      denied(check(stateEvent(BOB, 'm.room.topic', { topic: 't' }), room(v)), /has power 0, needs 50 to send m\.room\.topic/);
    });
    it('lets an events entry lower the level of one state event type', () => {
      const power = withPower({ events: { 'm.room.topic': 0 } });
      allowed(check(stateEvent(BOB, 'm.room.topic', { topic: 't' }), room(v, { power })));
    });
    it('lets an events entry raise the level of one message type', () => {
      const power = withPower({ events: { 'm.reaction': 20 } });
      denied(check(message(BOB, 'm.reaction', {}), room(v, { power })), /needs 20 to send m\.reaction/);
    });
    it('gives the creator power 100 and others 0 when there is no power levels event', () => {
      allowed(check(stateEvent(ALICE, 'm.room.name', { name: 'n' }), room(v, { power: null })));
      denied(check(stateEvent(BOB, 'm.room.name', { name: 'n' }), room(v, { power: null })), /has power 0, needs 50/);
    });
    it('allows a power-0 member to send a redaction: the redact level is not an auth rule', () => {
      const redaction = v === '10'
        ? { ...message(BOB, 'm.room.redaction', {}), redacts: '$target' }
        : message(BOB, 'm.room.redaction', { redacts: '$target' });
      allowed(check(redaction, room(v)));
    });
    it('rejects a redaction when events raises the m.room.redaction level above the sender', () => {
      const power = withPower({ events: { 'm.room.redaction': 50 } });
      const redaction = message(BOB, 'm.room.redaction', { redacts: '$t' });
      denied(check(redaction, room(v, { power })), /needs 50 to send m\.room\.redaction/);
    });
    it("rejects a state event keyed by another user's id", () => {
      const power = withPower({ events: { 'org.example.status': 0 } });
      const e = stateEvent(BOB, 'org.example.status', {}, CAROL);
      denied(check(e, room(v, { power })), /state_key @carol:c\.example is a user id other than the sender/);
    });
    it("allows a state event keyed by the sender's own id", () => {
      const power = withPower({ events: { 'org.example.status': 0 } });
      allowed(check(stateEvent(BOB, 'org.example.status', {}, BOB), room(v, { power })));
    });
    it('allows m.room.third_party_invite at the invite level and rejects it below', () => {
      allowed(check(stateEvent(BOB, 'm.room.third_party_invite', { display_name: 'x' }, 'tok'), room(v)));
      const state = room(v, { power: withPower({ invite: 50 }) });
      const e = stateEvent(BOB, 'm.room.third_party_invite', {}, 'tok');
      denied(check(e, state), /needs invite level 50 to send m\.room\.third_party_invite/);
    });
  });

  describe('m.room.power_levels', () => {
    const pl = (sender: string, content: JsonObject) => stateEvent(sender, 'm.room.power_levels', content);
    it('allows the first power levels event of a room', () => {
      allowed(check(pl(ALICE, { users: { [ALICE]: 100 } }), room(v, { power: null })));
    });
    it.each([
      ['a string level', { ban: '50' }, /"ban" must be an integer/],
      ['a fractional level', { kick: 1.5 }, /"kick" must be an integer/],
      ['a non-integer events entry', { events: { 'm.room.name': '50' } }, /"events\.m\.room\.name" must be an integer/],
      ['a non-integer notifications entry', { notifications: { room: true } }, /"notifications\.room" must be an integer/],
      ['an events value that is not an object', { events: [] }, /"events" must be an object/],
      ['a users key that is not a user id', { users: { alice: 10 } }, /"alice" is not a valid user id/],
      ['a string users value', { users: { [ALICE]: '100' } }, /"users\.@alice:a\.example" must be an integer/],
    ])('rejects %s', (_name, content, reason) => {
      denied(check(pl(ALICE, withPower(content as JsonObject)), room(v)), reason);
    });
    it('rejects granting a user more power than the sender has', () => {
      const content = withPower({ users: { [ALICE]: 100, [MOD]: 50, [BOB]: 60 } });
      denied(check(pl(MOD, content), room(v)), /cannot grant @bob:b\.example power 60/);
    });
    it("allows raising another user up to the sender's own level", () => {
      allowed(check(pl(MOD, withPower({ users: { [ALICE]: 100, [MOD]: 50, [BOB]: 50 } })), room(v)));
    });
    it('rejects changing a user whose level equals the sender level', () => {
      const state = room(v, { power: withPower({ users: { [ALICE]: 100, [MOD]: 50, [BOB]: 50 } }) });
      const next = withPower({ users: { [ALICE]: 100, [MOD]: 50, [BOB]: 0 } });
      denied(check(pl(MOD, next), state), /cannot change @bob:b\.example who has 50/);
    });
    it('rejects removing a user entry at the sender level', () => {
      const state = room(v, { power: withPower({ users: { [ALICE]: 100, [MOD]: 50, [BOB]: 50 } }) });
      denied(check(pl(MOD, withPower({ users: { [ALICE]: 100, [MOD]: 50 } })), state), /cannot change @bob:b\.example/);
    });
    it('allows a user to demote themselves', () => {
      allowed(check(pl(MOD, withPower({ users: { [ALICE]: 100, [MOD]: 10 } })), room(v)));
    });
    it('leaves unchanged entries above the sender level alone', () => {
      allowed(check(pl(MOD, withPower({ users: { [ALICE]: 100, [MOD]: 50, [BOB]: 20 }, redact: 40 })), room(v)));
    });
    it('rejects raising a named level above the sender level', () => {
      denied(check(pl(MOD, withPower({ ban: 60 })), room(v)), /cannot set "ban" to 60/);
    });
    it('rejects changing a named level whose current value is above the sender level', () => {
      const state = room(v, { power: withPower({ kick: 75 }) });
      denied(check(pl(MOD, withPower({ kick: 40 })), state), /cannot change "kick" from 75/);
    });
    it('rejects removing a named level whose current value is above the sender level', () => {
      const { invite: _invite, ...withoutInvite } = withPower({});
      const state = room(v, { power: withPower({ invite: 75 }) });
      denied(check(pl(MOD, withoutInvite), state), /cannot change "invite" from 75/);
    });
    it('rejects changing an events entry currently above the sender level', () => {
      const events = { 'm.room.name': 50, 'm.room.power_levels': 50 };
      const state = room(v, { power: withPower({ events: { ...events, 'm.room.tombstone': 100 } }) });
      const next = withPower({ events: { ...events, 'm.room.tombstone': 0 } });
      denied(check(pl(MOD, next), state), /cannot change "events\.m\.room\.tombstone" from 100/);
    });
    it('allows adding an events entry at the sender level', () => {
      const events = { 'm.room.name': 50, 'm.room.power_levels': 50, 'm.room.topic': 50 };
      allowed(check(pl(MOD, withPower({ events })), room(v)));
    });
    it('rejects a power levels change from a sender below its required level', () => {
      denied(check(pl(BOB, withPower({})), room(v)), /has power 0, needs 50 to send m\.room\.power_levels/);
    });
  });

  describe('power level helpers', () => {
    it('uses users_default for users without an entry', () => {
      expect(userPowerLevel(CAROL, room(v, { power: withPower({ users_default: 7 }) }))).toBe(7);
      expect(userPowerLevel(MOD, room(v))).toBe(50);
    });
    it('names the creator and gives them 100 only while there is no power levels event', () => {
      const state = room(v, { power: null });
      expect(isCreator(ALICE, state, v)).toBe(true);
      expect(userPowerLevel(ALICE, state, v)).toBe(100);
      expect(userPowerLevel(BOB, state, v)).toBe(0);
    });
    it('applies spec defaults when the power levels event or its keys are missing', () => {
      const none = room(v, { power: null });
      expect(requiredPowerLevelForEvent('m.room.topic', true, none)).toBe(50);
      expect(requiredPowerLevelForEvent('m.room.message', false, none)).toBe(0);
      const actions = ['invite', 'kick', 'ban', 'redact'] as const;
      expect(actions.map((a) => powerLevelFor(a, none))).toEqual([0, 50, 50, 50]);
      expect(powerLevelFor('kick', room(v, { power: withPower({ kick: 20 }) }))).toBe(20);
    });
    it('applies a redaction when the redacter has the redact level or shares the original sender server', () => {
      const state = room(v);
      expect(redactionMayApply(MOD, BOB, state)).toBe(true);
      expect(redactionMayApply(BOB, '@bob2:b.example', state)).toBe(true);
      expect(redactionMayApply(BOB, CAROL, state)).toBe(false);
    });
  });
});

describe('room version differences', () => {
  it('in v11 the creator is the create sender, whatever content.creator says', () => {
    const create = createEvent('11', { creator: BOB });
    const state = new Map<StateKey, Pdu>([[stateKeyOf('m.room.create', ''), create]]);
    expect(isCreator(ALICE, state, '11')).toBe(true);
    expect(isCreator(BOB, state, '11')).toBe(false);
    const prev = [computeEventId(create, '11')];
    allowed(checkEventAuth({ ...member(ALICE, ALICE, 'join'), prev_events: prev }, state, '11'));
    denied(checkEventAuth({ ...member(BOB, BOB, 'join'), prev_events: prev }, state, '11'), /join_rule is invite/);
  });
  it('in v10 the creator is content.creator', () => {
    const create = createEvent('10', { creator: ALICE });
    const state = new Map<StateKey, Pdu>([[stateKeyOf('m.room.create', ''), create]]);
    expect(isCreator(ALICE, state, '10')).toBe(true);
    expect(userPowerLevel(ALICE, state)).toBe(100);
  });
  it('without an explicit version the create event room_version decides who the creator is', () => {
    const state = new Map<StateKey, Pdu>([[stateKeyOf('m.room.create', ''), createEvent('11', { creator: BOB })]]);
    expect(userPowerLevel(BOB, state)).toBe(0);
    expect(userPowerLevel(ALICE, state)).toBe(100);
  });
});

describe('authStateKeysFor', () => {
  const k = stateKeyOf;
  const base = [k('m.room.create', ''), k('m.room.power_levels', '')];
  it('selects nothing for the create event', () => {
    expect(authStateKeysFor({ type: 'm.room.create', sender: ALICE, state_key: '', content: {} }, '10')).toEqual([]);
  });
  it("selects create, power levels and the sender's membership for a message", () => {
    const keys = authStateKeysFor({ type: 'm.room.message', sender: BOB, content: {} }, '11');
    expect(keys).toEqual([...base, k('m.room.member', BOB)]);
  });
  it('selects the join rules but no second member entry for a self-join', () => {
    const join = { type: 'm.room.member', sender: BOB, state_key: BOB, content: { membership: 'join' } };
    const keys = authStateKeysFor(join, '10');
    expect(keys).toEqual([...base, k('m.room.member', BOB), k('m.room.join_rules', '')]);
  });
  it("adds the authorising user's membership to a restricted join", () => {
    const content = { membership: 'join', join_authorised_via_users_server: MOD };
    const keys = authStateKeysFor({ type: 'm.room.member', sender: CAROL, state_key: CAROL, content }, '11');
    expect(keys).toEqual([...base, k('m.room.member', CAROL), k('m.room.join_rules', ''), k('m.room.member', MOD)]);
  });
  it("adds the target's membership, the join rules and the third-party invite token to an invite", () => {
    const content = { membership: 'invite', third_party_invite: { signed: { mxid: CAROL, token: 'tok' } } };
    const keys = authStateKeysFor({ type: 'm.room.member', sender: BOB, state_key: CAROL, content }, '10');
    expect(keys).toEqual([
      ...base,
      k('m.room.member', BOB),
      k('m.room.member', CAROL),
      k('m.room.join_rules', ''),
      k('m.room.third_party_invite', 'tok'),
    ]);
  });
  it('selects no join rules for a kick', () => {
    const kick = { type: 'm.room.member', sender: MOD, state_key: BOB, content: { membership: 'leave' } };
    const keys = authStateKeysFor(kick, '10');
    expect(keys).toEqual([...base, k('m.room.member', MOD), k('m.room.member', BOB)]);
  });
});
