// Scenarios for state resolution v2 in the spirit of the spec's examples and Synapse's suite: forks of a
// small room built as real PDUs (ids are reference hashes) whose states are resolved and named back.
import { describe, expect, it } from 'vitest';
import { computeEventId } from '../../core/event-hash.ts';
import type { JsonObject, Pdu, RoomVersion, StateKey } from '../../core/pdu.ts';
import { splitStateKey, stateKeyOf } from '../../core/pdu.ts';
import { authStateKeysFor } from './auth-rules.ts';
import { resolveStateV2, type StateResolutionOptions } from './state-resolution.ts';

const ROOM = '!room:a.example';
const ALICE = '@alice:a.example';
const BOB = '@bob:b.example';
const CAROL = '@carol:c.example';
const VERSIONS: RoomVersion[] = ['10', '11'];

interface Draft {
  type: string;
  sender: string;
  content: JsonObject;
  state_key?: string;
  ts?: number;
}

const member = (sender: string, target: string, membership: string): Draft =>
  ({ type: 'm.room.member', sender, state_key: target, content: { membership } });
const powerLevels = (sender: string, users: Record<string, number>, extra: JsonObject = {}): Draft =>
  ({ type: 'm.room.power_levels', sender, state_key: '', content: { users, ...extra } });
const joinRules = (sender: string, rule: string): Draft =>
  ({ type: 'm.room.join_rules', sender, state_key: '', content: { join_rule: rule } });
const topic = (sender: string, text: string): Draft =>
  ({ type: 'm.room.topic', sender, state_key: '', content: { topic: text } });
const named = (sender: string, name: string): Draft =>
  ({ type: 'm.room.name', sender, state_key: '', content: { name } });

const at = (d: Draft, ts: number): Draft => ({ ...d, ts });

type State = Map<StateKey, string>;

/** A room DAG under construction: each branch is a chain of events whose auth events come from its state. */
function roomDag(v: RoomVersion) {
  const events = new Map<string, Pdu>();
  const ids = new Map<string, string>();
  const names = new Map<string, string>();
  let clock = 100;

  const id = (name: string): string => {
    const found = ids.get(name);
    if (!found) throw new Error(`no event named ${name}`);
    return found;
  };

  /** Appends events to a branch whose state and last event are given, returning the new state. */
  function extend(from: { state: State; last?: string }, steps: Array<[string, Draft]>): { state: State; last?: string } {
    const state = new Map(from.state);
    let last = from.last;
    for (const [name, d] of steps) {
      const auth = authStateKeysFor(d, v).map((k) => state.get(k)).filter((x): x is string => x !== undefined);
      const pdu: Pdu = {
        auth_events: auth,
        content: d.content,
        depth: state.size + 1,
        hashes: { sha256: 'fakehashfakehashfakehash' },
        origin_server_ts: d.ts ?? clock++,
        prev_events: last ? [last] : [],
        room_id: ROOM,
        sender: d.sender,
        signatures: { 'a.example': { 'ed25519:k': 'fakesig' } },
        type: d.type,
        ...(d.state_key !== undefined ? { state_key: d.state_key } : {}),
      };
      const eventId = computeEventId(pdu, v);
      events.set(eventId, pdu);
      ids.set(name, eventId);
      names.set(eventId, name);
      if (d.state_key !== undefined) state.set(stateKeyOf(d.type, d.state_key), eventId);
      last = eventId;
    }
    return { state, last };
  }

  const loadEvent = (eventId: string) => events.get(eventId);
  const loadAuthChain = (start: string[]): Set<string> => {
    const seen = new Set<string>();
    const queue = start.flatMap((s) => events.get(s)?.auth_events ?? []);
    for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(...(events.get(next)?.auth_events ?? []));
    }
    return seen;
  };

  /** Resolves the states and returns them as `type|state_key` → event name. */
  function resolve(states: Array<{ state: State }>, options?: StateResolutionOptions): Record<string, string> {
    const out: Record<string, string> = {};
    const resolved = resolveStateV2(states.map((s) => s.state), loadEvent, loadAuthChain, v, options);
    for (const [key, eventId] of resolved) {
      const [type, stateKey] = splitStateKey(key);
      out[`${type}|${stateKey}`] = names.get(eventId) ?? eventId;
    }
    return out;
  }

  const createContent: JsonObject = v === '10' ? { creator: ALICE, room_version: v } : { room_version: v };
  /** Alice's room: Alice 100, Bob 50; join rule as given; Bob joined. */
  function initial(rule = 'public', users: Record<string, number> = { [ALICE]: 100, [BOB]: 50 }) {
    return extend({ state: new Map() }, [
      ['CREATE', { type: 'm.room.create', sender: ALICE, state_key: '', content: createContent }],
      ['IMA', member(ALICE, ALICE, 'join')],
      ['IPOWER', powerLevels(ALICE, users)],
      ['IJR', joinRules(ALICE, rule)],
      ['IMB', member(BOB, BOB, 'join')],
    ]);
  }

  return { extend, resolve, initial, id };
}

/** Every order of the given items, to show the result does not depend on the order of the state sets. */
function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [x, ...rest]));
}

describe.each(VERSIONS)('state resolution v2, room version %s', (v) => {
  it('returns the shared state unchanged when the states do not conflict', () => {
    const r = roomDag(v);
    const init = r.initial();
    expect(r.resolve([init, init])).toEqual(r.resolve([init]));
    expect(r.resolve([init])['m.room.member|' + BOB]).toBe('IMB');
  });

  it('returns an empty state for no state sets', () => {
    expect(roomDag(v).resolve([])).toEqual({});
  });

  it('drops a state change by a user who is concurrently banned', () => {
    const r = roomDag(v);
    const init = r.initial('public', { [ALICE]: 100, [BOB]: 50 });
    // The topic is older than the ban; the ban still wins because bans are resolved first.
    const banned = r.extend(init, [['BAN', at(member(ALICE, BOB, 'ban'), 2)]]);
    const topicked = r.extend(init, [['TOPIC', at(topic(BOB, 'bob was here'), 1)]]);
    const out = r.resolve([banned, topicked]);
    expect(out['m.room.member|' + BOB]).toBe('BAN');
    expect(out['m.room.topic|']).toBeUndefined();
  });

  it('keeps a user banned when the ban races their join', () => {
    const r = roomDag(v);
    const init = r.initial();
    const banned = r.extend(init, [['BAN', member(ALICE, CAROL, 'ban')]]);
    const joined = r.extend(init, [['JOIN', member(CAROL, CAROL, 'join')]]);
    for (const order of permutations([banned, joined])) {
      expect(r.resolve(order)['m.room.member|' + CAROL]).toBe('BAN');
    }
  });

  it('drops a join that the concurrently changed join rules no longer allow', () => {
    const r = roomDag(v);
    const init = r.initial('public');
    const closed = r.extend(init, [['JR', joinRules(ALICE, 'invite')]]);
    const joined = r.extend(init, [['JOIN', member(CAROL, CAROL, 'join')]]);
    const out = r.resolve([closed, joined]);
    expect(out['m.room.join_rules|']).toBe('JR');
    expect(out['m.room.member|' + CAROL]).toBeUndefined();
  });

  it('falls back to the invite from the auth difference when the join it authorised is dropped', () => {
    const r = roomDag(v);
    const init = r.initial('invite');
    // INVITE is in no state set, only in the auth chain of JOIN, so only the auth difference brings it in.
    const joined = r.extend(init, [['INVITE', member(ALICE, CAROL, 'invite')], ['JOIN', member(CAROL, CAROL, 'join')]]);
    const closed = r.extend(init, [['JR', joinRules(ALICE, 'private')]]);
    const out = r.resolve([joined, closed]);
    expect(out['m.room.join_rules|']).toBe('JR');
    expect(out['m.room.member|' + CAROL]).toBe('INVITE');
  });

  it('orders a non-power event that a power event depends on before that power event', () => {
    const r = roomDag(v);
    const init = r.initial('public');
    // JOIN is not a power event, but it is in KICK's auth chain; were it left to the mainline step it
    // would be replayed after KICK and silently undo it.
    const kicked = r.extend(init, [['JOIN', member(CAROL, CAROL, 'join')], ['KICK', member(ALICE, CAROL, 'leave')]]);
    const other = r.extend(init, [['TOPIC', topic(ALICE, 'elsewhere')]]);
    for (const order of permutations([kicked, other])) {
      expect(r.resolve(order)['m.room.member|' + CAROL]).toBe('KICK');
    }
  });

  it('keeps a join that the concurrently changed join rules still allow', () => {
    const r = roomDag(v);
    const init = r.initial('invite');
    const opened = r.extend(init, [['JR', joinRules(ALICE, 'public')]]);
    const invited = r.extend(init, [['INVITE', member(ALICE, CAROL, 'invite')], ['JOIN', member(CAROL, CAROL, 'join')]]);
    const out = r.resolve([opened, invited]);
    expect(out['m.room.join_rules|']).toBe('JR');
    expect(out['m.room.member|' + CAROL]).toBe('JOIN');
  });

  it('drops a power levels change by a user whom a higher-powered user concurrently demoted', () => {
    const r = roomDag(v);
    const init = r.initial('public', { [ALICE]: 100, [BOB]: 50 });
    // Bob's change is earlier in time; the ordering by sender power must still put Alice's first.
    const bobs = r.extend(init, [['PB', at(powerLevels(BOB, { [ALICE]: 100, [BOB]: 50, [CAROL]: 50 }), 1)]]);
    const alices = r.extend(init, [['PA', at(powerLevels(ALICE, { [ALICE]: 100, [BOB]: 0 }), 2)]]);
    for (const order of permutations([bobs, alices])) expect(r.resolve(order)['m.room.power_levels|']).toBe('PA');
  });

  it('applies concurrent power level changes in order of sender power, not timestamp', () => {
    const r = roomDag(v);
    const init = r.initial('public', { [ALICE]: 100, [BOB]: 50 });
    // Both changes survive the auth checks, so whichever is applied last wins: the lower-powered
    // sender's, although it was sent first.
    const bobs = r.extend(init, [['PB', at(powerLevels(BOB, { [ALICE]: 100, [BOB]: 50, [CAROL]: 20 }), 1)]]);
    const alices = r.extend(init, [['PA', at(powerLevels(ALICE, { [ALICE]: 100, [BOB]: 50 }, { users_default: 10 }), 2)]]);
    expect(r.resolve([bobs, alices])['m.room.power_levels|']).toBe('PB');
  });

  it('breaks a tie between equally powered power events by timestamp', () => {
    const r = roomDag(v);
    const init = r.initial('public', { [ALICE]: 100, [BOB]: 50 });
    const early = r.extend(init, [['P1', at(powerLevels(ALICE, { [ALICE]: 100, [BOB]: 50 }, { state_default: 40 }), 1)]]);
    const late = r.extend(init, [['P2', at(powerLevels(ALICE, { [ALICE]: 100, [BOB]: 50 }, { state_default: 60 }), 2)]]);
    expect(r.resolve([late, early])['m.room.power_levels|']).toBe('P2');
  });

  it('breaks a full tie of power and timestamp by event id, for power events and others alike', () => {
    const r = roomDag(v);
    const init = r.initial('public', { [ALICE]: 100, [BOB]: 100 });
    // Bob's join is referenced only by his own branch, so it is in the auth difference too and, being
    // an auth event of PB, is ordered first; the timestamps are later than it so the tie stays a tie.
    const users = { [ALICE]: 100, [BOB]: 100 };
    const a = r.extend(init, [
      ['PA', at(powerLevels(ALICE, users, { kick: 40 }), 9_000)],
      ['TA', at(topic(ALICE, 'a'), 9_001)],
    ]);
    const b = r.extend(init, [
      ['PB', at(powerLevels(BOB, users, { kick: 60 }), 9_000)],
      ['TB', at(topic(BOB, 'b'), 9_001)],
    ]);
    // The greater id sorts last, so it is applied last and wins.
    const out = r.resolve([a, b]);
    expect(out['m.room.power_levels|']).toBe(r.id('PA') > r.id('PB') ? 'PA' : 'PB');
    const winner = out['m.room.power_levels|'] === 'PA' ? 'TA' : 'TB';
    // Each topic cites its own branch's levels, so only the one on the winning mainline is nearer the top.
    expect(out['m.room.topic|']).toBe(winner);
  });

  it('breaks a tie of mainline position and timestamp by event id', () => {
    const r = roomDag(v);
    const init = r.initial();
    const a = r.extend(init, [['TA', at(topic(ALICE, 'a'), 9)]]);
    const b = r.extend(init, [['TB', at(topic(BOB, 'b'), 9)]]);
    expect(r.resolve([a, b])['m.room.topic|']).toBe(r.id('TA') > r.id('TB') ? 'TA' : 'TB');
  });

  it('drops a name set by a user whose power was concurrently removed', () => {
    const r = roomDag(v);
    const init = r.initial('public', { [ALICE]: 100, [BOB]: 50 });
    const demoted = r.extend(init, [['PA', powerLevels(ALICE, { [ALICE]: 100 })]]);
    const renamed = r.extend(init, [['NAME', named(BOB, "bob's room")]]);
    const out = r.resolve([demoted, renamed]);
    expect(out['m.room.power_levels|']).toBe('PA');
    expect(out['m.room.name|']).toBeUndefined();
  });

  it('drops an event whose auth only held under a power level change that lost resolution', () => {
    const r = roomDag(v);
    const init = r.initial('public', { [ALICE]: 100 });
    // Branch 1 grants Bob power and he uses it; branch 2 (later) locks the topic down.
    const granted = r.extend(init, [
      ['P1', at(powerLevels(ALICE, { [ALICE]: 100, [BOB]: 50 }), 1)],
      ['TOPIC', at(topic(BOB, 'mine'), 3)],
    ]);
    const locked = r.extend(init, [['P2', at(powerLevels(ALICE, { [ALICE]: 100 }, { events: { 'm.room.topic': 100 } }), 2)]]);
    const out = r.resolve([granted, locked]);
    expect(out['m.room.power_levels|']).toBe('P2');
    expect(out['m.room.topic|']).toBeUndefined();
  });

  it('resolves concurrent topics with the same power ancestry by timestamp', () => {
    const r = roomDag(v);
    const init = r.initial();
    const t1 = r.extend(init, [['T1', at(topic(ALICE, 'one'), 20)]]);
    const t2 = r.extend(init, [['T2', at(topic(BOB, 'two'), 10)]]);
    expect(r.resolve([t1, t2])['m.room.topic|']).toBe('T1');
    expect(r.resolve([t2, t1])['m.room.topic|']).toBe('T1');
  });

  it('prefers a topic set under newer power levels over a later-timestamped one under older levels', () => {
    const r = roomDag(v);
    const init = r.initial();
    const newer = r.extend(init, [
      ['PA', at(powerLevels(ALICE, { [ALICE]: 100, [BOB]: 50 }, { users_default: 1 }), 1)],
      ['TA', at(topic(ALICE, 'from the newer levels'), 2)],
    ]);
    const older = r.extend(init, [['TB', at(topic(BOB, 'from the older levels'), 50)]]);
    const out = r.resolve([newer, older]);
    expect(out['m.room.power_levels|']).toBe('PA');
    expect(out['m.room.topic|']).toBe('TA');
  });

  it('orders topics along a longer mainline by the power levels they were sent under', () => {
    const r = roomDag(v);
    const afterP1 = r.extend(r.initial(), [['P1', powerLevels(ALICE, { [ALICE]: 100, [BOB]: 50 }, { users_default: 1 })]]);
    const main = r.extend(afterP1, [
      ['T1', topic(ALICE, 'one')],
      ['P2', powerLevels(ALICE, { [ALICE]: 100, [BOB]: 50 }, { users_default: 2 })],
      ['T3', at(topic(ALICE, 'three'), 5)],
    ]);
    // Bob's fork left at P1, so his topic sits further down the mainline than T3 (sent under P2),
    // and loses although its timestamp is far later.
    const fork = r.extend(afterP1, [['TB', at(topic(BOB, 'bob'), 10_000)]]);
    for (const order of permutations([main, fork])) {
      const out = r.resolve(order);
      expect(out['m.room.power_levels|']).toBe('P2');
      expect(out['m.room.topic|']).toBe('T3');
    }
  });

  it('keeps unconflicted state even when it would no longer pass the auth checks', () => {
    const r = roomDag(v);
    const shared = r.extend(r.initial('public', { [ALICE]: 100, [BOB]: 50 }), [['TOPIC', topic(BOB, 'agreed')]]);
    const a = r.extend(shared, [['BAN', member(ALICE, BOB, 'ban')]]);
    const b = r.extend(shared, [['NAME', named(ALICE, 'a name')]]);
    const out = r.resolve([a, b]);
    expect(out['m.room.member|' + BOB]).toBe('BAN');
    expect(out['m.room.topic|']).toBe('TOPIC');
    expect(out['m.room.name|']).toBe('NAME');
  });

  it('restores an unconflicted entry that an older event from the auth difference overwrote', () => {
    const r = roomDag(v);
    const init = r.initial('public', { [ALICE]: 100, [BOB]: 50 });
    // A previous resolution chose P2 over its sibling P1 but kept T1, which P1 authorised, so P1 is
    // in the auth difference and is replayed over the agreed P2 during the iterative checks.
    const withP1 = r.extend(init, [['P1', at(powerLevels(ALICE, { [ALICE]: 100 }), 1)], ['T1', topic(ALICE, 't')]]);
    const withP2 = r.extend(init, [['P2', at(powerLevels(ALICE, { [ALICE]: 100, [BOB]: 60 }), 2)]]);
    const merged = { state: new Map(withP1.state).set(stateKeyOf('m.room.power_levels', ''), r.id('P2')) };
    const out = r.resolve([merged, withP2]);
    expect(out['m.room.power_levels|']).toBe('P2');
    expect(out['m.room.topic|']).toBe('T1');
  });

  it('re-checks a conflicted key missing from one state set', () => {
    const r = roomDag(v);
    const init = r.initial();
    const joined = r.extend(init, [['JOIN', member(CAROL, CAROL, 'join')]]);
    expect(r.resolve([init, joined])['m.room.member|' + CAROL]).toBe('JOIN');
  });

  it('ignores rejected events when building the auth state of the iterative checks', () => {
    const r = roomDag(v);
    const init = r.initial('invite');
    const opened = r.extend(init, [['JR', joinRules(ALICE, 'public')], ['JOIN', member(CAROL, CAROL, 'join')]]);
    expect(r.resolve([init, opened])['m.room.member|' + CAROL]).toBe('JOIN');
    const out = r.resolve([init, opened], { isRejected: (eventId) => eventId === r.id('JR') });
    expect(out['m.room.member|' + CAROL]).toBeUndefined();
  });

  it('gives the same result for every order of three forked state sets', () => {
    const r = roomDag(v);
    const init = r.initial('public', { [ALICE]: 100, [BOB]: 50 });
    const a = r.extend(init, [['BAN', member(ALICE, CAROL, 'ban')], ['TA', topic(ALICE, 'a')]]);
    const b = r.extend(init, [
      ['JOIN', member(CAROL, CAROL, 'join')],
      ['PB', powerLevels(BOB, { [ALICE]: 100, [BOB]: 50, [CAROL]: 50 })],
    ]);
    const c = r.extend(init, [['TC', topic(BOB, 'c')], ['JRC', joinRules(BOB, 'invite')]]);
    const results = permutations([a, b, c]).map((order) => r.resolve(order));
    for (const result of results) expect(result).toEqual(results[0]);
    expect(results[0]!['m.room.member|' + CAROL]).toBe('BAN');
    expect(results[0]!['m.room.power_levels|']).toBe('PB');
  });
});
