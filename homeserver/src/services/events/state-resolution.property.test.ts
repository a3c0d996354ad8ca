// Property-based tests (fast-check) of state resolution v2: random forks of a small room, each fork a
// chain of events that passed the auth rules on their own branch (power level changes, join rule
// changes, kicks, bans, joins, leaves, topics), plus forged events from a stranger. Resolution must be
// deterministic whatever order its inputs come in, return a lone state as it is, keep what is
// unconflicted, and never let an event that fails the auth rules into the result.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeEventId } from '../../core/event-hash.ts';
import type { JsonObject, Pdu, RoomVersion, StateKey } from '../../core/pdu.ts';
import { stateKeyOf } from '../../core/pdu.ts';
import { authStateKeysFor, checkEventAuth } from './auth-rules.ts';
import { resolveStateV2 } from './state-resolution.ts';

// Bounded in `npm test`; `npm run fuzz` raises it with PEERLINE_PROPERTY_RUNS.
const RUNS = Number(process.env['PEERLINE_PROPERTY_RUNS']) || 60;

const ROOM = '!room:a.example';
const ALICE = '@alice:a.example';
const USERS = [ALICE, '@bob:b.example', '@carol:a.example', '@dan:c.example'];
const STRANGER = '@stranger:d.example';

type State = Map<StateKey, string>;

interface Draft {
  type: string;
  sender: string;
  content: JsonObject;
  state_key: string;
}

/** One step a branch tries; it is kept only when the auth rules allow it on that branch (unless forged). */
type Step =
  | { kind: 'power'; sender: number; user: number; level: number }
  | { kind: 'rule'; sender: number; rule: string }
  | { kind: 'member'; sender: number; target: number; membership: string }
  | { kind: 'topic'; sender: number; text: string }
  | { kind: 'forged'; type: string };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('power' as const), sender: fc.nat(3), user: fc.nat(3), level: fc.constantFrom(0, 25, 50, 75, 100) }),
  fc.record({ kind: fc.constant('rule' as const), sender: fc.nat(3), rule: fc.constantFrom('public', 'invite') }),
  fc.record({ kind: fc.constant('member' as const), sender: fc.nat(3), target: fc.nat(3), membership: fc.constantFrom('join', 'leave', 'ban', 'invite') }),
  fc.record({ kind: fc.constant('topic' as const), sender: fc.nat(3), text: fc.string({ maxLength: 3 }) }),
  fc.record({ kind: fc.constant('forged' as const), type: fc.constantFrom('m.room.power_levels', 'm.room.topic', 'm.room.join_rules', 'm.room.member') }),
);

const scenario = fc.record({
  version: fc.constantFrom<RoomVersion>('10', '11'),
  /** Steps on the common trunk, then on each branch (each branch forks from the trunk's end or a point on it). */
  trunk: fc.array(step, { maxLength: 4 }),
  branches: fc.array(fc.record({ from: fc.nat(), steps: fc.array(step, { minLength: 1, maxLength: 5 }) }), { minLength: 2, maxLength: 3 }),
  /** Timestamps drawn per event, so ties and reorderings happen. */
  tsSeed: fc.integer({ min: 0, max: 1000 }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function buildRoom(s: Scenario) {
  const v = s.version;
  const events = new Map<string, Pdu>();
  const forged = new Set<string>();
  let clock = s.tsSeed;

  const append = (from: { state: State; last: string | null }, d: Draft, force: boolean): { state: State; last: string | null } => {
    const auth = authStateKeysFor(d, v).map((k) => from.state.get(k)).filter((x): x is string => x !== undefined);
    // Timestamps mostly increase but collide now and then, to exercise the tie-breaks.
    clock += (clock * 7 + 3) % 3;
    // Each forged event is distinct (redaction drops most content, so its depth tells them apart): one
    // forged event shared by every branch would be unconflicted, and unconflicted state is kept as it is.
    const pdu: Pdu = {
      auth_events: auth, content: d.content, depth: force ? 1000 + forged.size : 1, hashes: { sha256: 'fakehash' }, origin_server_ts: clock,
      prev_events: from.last ? [from.last] : [], room_id: ROOM, sender: d.sender, signatures: {}, type: d.type, state_key: d.state_key,
    };
    const authState = new Map([...from.state].map(([k, id]) => [k, events.get(id)!]));
    if (!force && !checkEventAuth(pdu, authState, v).ok) return from;
    const id = computeEventId(pdu, v);
    events.set(id, pdu);
    if (force) forged.add(id);
    const state = new Map(from.state);
    state.set(stateKeyOf(d.type, d.state_key), id);
    return { state, last: id };
  };

  const draftOf = (st: Step, state: State): Draft => {
    switch (st.kind) {
      case 'power': {
        const plId = state.get(stateKeyOf('m.room.power_levels', ''));
        const current = (plId ? events.get(plId)!.content : { users: {} }) as JsonObject;
        const users = { ...(current['users'] as JsonObject), [USERS[st.user]!]: st.level };
        return { type: 'm.room.power_levels', sender: USERS[st.sender]!, content: { ...current, users }, state_key: '' };
      }
      case 'rule':
        return { type: 'm.room.join_rules', sender: USERS[st.sender]!, content: { join_rule: st.rule }, state_key: '' };
      case 'member': {
        // Joins and leaves are by the user themselves; invites, kicks and bans by the sender.
        const self = st.membership === 'join';
        return { type: 'm.room.member', sender: USERS[self ? st.target : st.sender]!, content: { membership: st.membership }, state_key: USERS[st.target]! };
      }
      case 'topic':
        return { type: 'm.room.topic', sender: USERS[st.sender]!, content: { topic: st.text }, state_key: '' };
      case 'forged': {
        // A stranger who never joined: no fork can make any of these pass (a join would, so none is a join).
        const content: JsonObject = st.type === 'm.room.power_levels' ? { users: { [STRANGER]: 100 } } : st.type === 'm.room.member' ? { membership: 'ban' } : { topic: 'forged', join_rule: 'public' };
        return { type: st.type, sender: STRANGER, content, state_key: st.type === 'm.room.member' ? ALICE : '' };
      }
    }
  };

  const run = (from: { state: State; last: string | null }, steps: Step[]): { state: State; last: string | null } => {
    let at = from;
    for (const st of steps) at = append(at, draftOf(st, at.state), st.kind === 'forged');
    return at;
  };

  const createContent: JsonObject = v === '10' ? { creator: ALICE, room_version: v } : { room_version: v };
  let trunk = append({ state: new Map(), last: null }, { type: 'm.room.create', sender: ALICE, content: createContent, state_key: '' }, false);
  trunk = append(trunk, { type: 'm.room.member', sender: ALICE, content: { membership: 'join' }, state_key: ALICE }, false);
  trunk = append(trunk, { type: 'm.room.power_levels', sender: ALICE, content: { users: { [ALICE]: 100, [USERS[1]!]: 50 } }, state_key: '' }, false);
  trunk = append(trunk, { type: 'm.room.join_rules', sender: ALICE, content: { join_rule: 'public' }, state_key: '' }, false);
  for (const u of USERS.slice(1)) trunk = append(trunk, { type: 'm.room.member', sender: u, content: { membership: 'join' }, state_key: u }, false);
  const points = [trunk];
  // Forged events stay off the trunk: an event every state set agrees on is unconflicted, kept as it is.
  for (const st of s.trunk) if (st.kind !== 'forged') points.push(run(points[points.length - 1]!, [st]));
  const stateSets = s.branches.map((b) => run(points[b.from % points.length]!, b.steps).state);

  const loadAuthChain = (start: string[]): Set<string> => {
    const seen = new Set<string>();
    const queue = start.flatMap((id) => events.get(id)?.auth_events ?? []);
    for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(...(events.get(next)?.auth_events ?? []));
    }
    return seen;
  };
  const resolve = (sets: State[]): State => resolveStateV2(sets, (id) => events.get(id), loadAuthChain, v);
  return { events, forged, stateSets, resolve, version: v };
}

const sorted = (s: State): [string, string][] => [...s].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

describe('state resolution v2 properties (fast-check)', () => {
  it('is deterministic and does not depend on the order of the state sets or of their entries', () => {
    fc.assert(fc.property(scenario, fc.nat(), (s, rot) => {
      const room = buildRoom(s);
      const first = sorted(room.resolve(room.stateSets));
      const k = rot % room.stateSets.length;
      const rotated = [...room.stateSets.slice(k), ...room.stateSets.slice(0, k)].reverse();
      const reinserted = rotated.map((m) => new Map([...m].reverse()));
      expect(sorted(room.resolve(reinserted))).toEqual(first);
      expect(sorted(room.resolve(room.stateSets))).toEqual(first);
    }), { numRuns: RUNS });
  });

  it('returns a single state set, or several identical ones, unchanged', () => {
    fc.assert(fc.property(scenario, (s) => {
      const room = buildRoom(s);
      const one = room.stateSets[0]!;
      expect(sorted(room.resolve([one]))).toEqual(sorted(one));
      expect(sorted(room.resolve([one, new Map(one), one]))).toEqual(sorted(one));
    }), { numRuns: RUNS });
  });

  it('keeps every unconflicted entry, and files only known events under their own keys', () => {
    fc.assert(fc.property(scenario, (s) => {
      const room = buildRoom(s);
      const resolved = room.resolve(room.stateSets);
      const keys = new Set(room.stateSets.flatMap((m) => [...m.keys()]));
      for (const key of keys) {
        const values = room.stateSets.map((m) => m.get(key));
        if (values.every((x) => x !== undefined && x === values[0])) expect(resolved.get(key)).toBe(values[0]);
      }
      for (const [key, id] of resolved) {
        expect(keys.has(key)).toBe(true);
        // From a state set or the auth difference (the spec resolves both), and filed under its own key.
        const e = room.events.get(id)!;
        expect(stateKeyOf(e.type, e.state_key!)).toBe(key);
      }
    }), { numRuns: RUNS });
  });

  it('never lets a forged event in, and the resolved power levels pass the auth rules against their auth events', () => {
    fc.assert(fc.property(scenario, (s) => {
      const room = buildRoom(s);
      const resolved = room.resolve(room.stateSets);
      for (const id of resolved.values()) expect(room.forged.has(id)).toBe(false);
      const plId = resolved.get(stateKeyOf('m.room.power_levels', ''));
      // Every candidate may fail (forks holding only forged power levels): then the key is left out.
      if (plId === undefined) return;
      const pl = room.events.get(plId)!;
      const authState = new Map(pl.auth_events.map((id) => room.events.get(id)!).map((e) => [stateKeyOf(e.type, e.state_key!), e] as const));
      expect(checkEventAuth(pl, authState, room.version).ok).toBe(true);
    }), { numRuns: RUNS });
  });
});
