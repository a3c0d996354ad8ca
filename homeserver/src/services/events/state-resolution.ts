// State resolution version 2 (spec: room versions 10/11, "State resolution"): merges the room states at
// several points of the DAG into one, deterministically, so every server reaches the same current state.
import type { Pdu, RoomVersion, StateKey } from '../../core/pdu.ts';
import { stateKeyOf } from '../../core/pdu.ts';
import { authStateKeysFor, checkEventAuth } from './auth-rules.ts';
import { userPowerLevel } from './power-levels.ts';

export interface StateResolutionOptions {
  /**
   * Events rejected on receipt. The spec keeps them out of the auth state used by the iterative auth
   * checks; without this hook every loadable event is treated as accepted.
   */
  isRejected?: (eventId: string) => boolean;
}

interface Ctx {
  load: (eventId: string) => Pdu | undefined;
  roomVersion: RoomVersion;
  isRejected: (eventId: string) => boolean;
}

// Synapse counts each state event as part of its own chain, which keeps events common to every state
// set out of the auth difference; a loadAuthChain that includes its inputs reproduces that behaviour.
/**
 * Resolves several room states into one with state resolution v2. `loadAuthChain(ids)` returns the union
 * of the auth chains of `ids`: their auth events, recursively, per the spec not the ids themselves.
 */
export function resolveStateV2(
  stateSets: ReadonlyArray<ReadonlyMap<StateKey, string>>,
  loadEvent: (eventId: string) => Pdu | undefined,
  loadAuthChain: (eventIds: string[]) => Set<string>,
  roomVersion: RoomVersion,
  options: StateResolutionOptions = {},
): Map<StateKey, string> {
  const { unconflicted, conflicted } = splitConflicts(stateSets);
  // Identical states have identical auth chains, so there is nothing to resolve.
  if (conflicted.size === 0) return unconflicted;

  const cache = new Map<string, Pdu | undefined>();
  const ctx: Ctx = {
    load: (id) => {
      if (!cache.has(id)) cache.set(id, loadEvent(id));
      return cache.get(id);
    },
    roomVersion,
    isRejected: options.isRejected ?? (() => false),
  };

  const fullConflicted = new Set([...conflicted, ...authDifference(stateSets, loadAuthChain)]);
  // An event we cannot load can be neither ordered nor authorised, so it cannot enter the state.
  for (const id of fullConflicted) if (!ctx.load(id)) fullConflicted.delete(id);

  // Step 1. The auth chain of a set is the union of its members' chains, so one lookup serves them all.
  const powerEvents = [...fullConflicted].filter((id) => isPowerEvent(ctx.load(id)!));
  const powerSet = new Set(powerEvents);
  for (const id of loadAuthChain(powerEvents)) if (fullConflicted.has(id)) powerSet.add(id);
  const powerOrder = reverseTopologicalPowerOrder(powerSet, ctx);

  // Step 2.
  const partial = iterativeAuthChecks(powerOrder, new Map(unconflicted), ctx);

  // Steps 3 and 4.
  const others = [...fullConflicted].filter((id) => !powerSet.has(id));
  const resolved = iterativeAuthChecks(mainlineOrder(others, partial.get(PL_KEY), ctx), partial, ctx);

  // Step 5.
  for (const [key, id] of unconflicted) resolved.set(key, id);
  return resolved;
}

const PL_KEY = stateKeyOf('m.room.power_levels', '');

function splitConflicts(stateSets: ReadonlyArray<ReadonlyMap<StateKey, string>>): {
  unconflicted: Map<StateKey, string>;
  conflicted: Set<string>;
} {
  const unconflicted = new Map<StateKey, string>();
  const conflicted = new Set<string>();
  const keys = new Set<StateKey>();
  for (const s of stateSets) for (const k of s.keys()) keys.add(k);
  for (const key of keys) {
    const values = stateSets.map((s) => s.get(key));
    const first = values[0];
    // A key missing from any one state counts as conflicted, as the spec's definition requires.
    if (first !== undefined && values.every((v) => v === first)) {
      unconflicted.set(key, first);
    } else {
      for (const v of values) if (v !== undefined) conflicted.add(v);
    }
  }
  return { unconflicted, conflicted };
}

function authDifference(
  stateSets: ReadonlyArray<ReadonlyMap<StateKey, string>>,
  loadAuthChain: (eventIds: string[]) => Set<string>,
): Set<string> {
  const chains = stateSets.map((s) => loadAuthChain([...s.values()]));
  const diff = new Set<string>();
  for (const chain of chains) {
    for (const id of chain) if (!chains.every((c) => c.has(id))) diff.add(id);
  }
  return diff;
}

function isPowerEvent(pdu: Pdu): boolean {
  if (pdu.state_key === undefined) return false;
  if (pdu.type === 'm.room.power_levels' || pdu.type === 'm.room.join_rules') return true;
  if (pdu.type !== 'm.room.member') return false;
  const membership = pdu.content['membership'];
  return (membership === 'leave' || membership === 'ban') && pdu.sender !== pdu.state_key;
}

/** The event's auth events as a state map, leaving out those we lack or that were rejected. */
function authEventsAsState(pdu: Pdu, ctx: Ctx): Map<StateKey, Pdu> {
  const state = new Map<StateKey, Pdu>();
  for (const id of pdu.auth_events) {
    const ev = ctx.load(id);
    if (ev && ev.state_key !== undefined && !ctx.isRejected(id)) state.set(stateKeyOf(ev.type, ev.state_key), ev);
  }
  return state;
}

interface PowerSortKey {
  id: string;
  power: number;
  ts: number;
}

function powerSortLess(a: PowerSortKey, b: PowerSortKey): boolean {
  if (a.power !== b.power) return a.power > b.power;
  if (a.ts !== b.ts) return a.ts < b.ts;
  return a.id < b.id;
}

/** Kahn's algorithm over the auth DAG within `ids`, always taking the smallest ready event. */
function reverseTopologicalPowerOrder(ids: ReadonlySet<string>, ctx: Ctx): string[] {
  const waitingOn = new Map<string, number>();
  const dependants = new Map<string, string[]>();
  const keys = new Map<string, PowerSortKey>();
  for (const id of ids) {
    const pdu = ctx.load(id)!;
    // The sender's level as its own auth events saw it, not as the resolved state sees it.
    const power = userPowerLevel(pdu.sender, authEventsAsState(pdu, ctx), ctx.roomVersion);
    keys.set(id, { id, power, ts: pdu.origin_server_ts });
    let n = 0;
    for (const parent of new Set(pdu.auth_events)) {
      if (!ids.has(parent)) continue;
      n++;
      const list = dependants.get(parent);
      if (list) list.push(id);
      else dependants.set(parent, [id]);
    }
    waitingOn.set(id, n);
  }
  const heap = new MinHeap<PowerSortKey>(powerSortLess);
  for (const [id, n] of waitingOn) if (n === 0) heap.push(keys.get(id)!);
  const out: string[] = [];
  for (let next = heap.pop(); next; next = heap.pop()) {
    out.push(next.id);
    for (const child of dependants.get(next.id) ?? []) {
      const n = waitingOn.get(child)! - 1;
      waitingOn.set(child, n);
      if (n === 0) heap.push(keys.get(child)!);
    }
  }
  return out;
}

function iterativeAuthChecks(ordered: readonly string[], state: Map<StateKey, string>, ctx: Ctx): Map<StateKey, string> {
  for (const id of ordered) {
    const pdu = ctx.load(id);
    if (!pdu || pdu.state_key === undefined) continue;
    // Start from the event's own auth events and let the state being built override them for every
    // key the rules look at: the spec's "use the auth event when the key is not in the state".
    const authState = authEventsAsState(pdu, ctx);
    for (const key of authStateKeysFor(pdu, ctx.roomVersion)) {
      const stateId = state.get(key);
      const ev = stateId === undefined || ctx.isRejected(stateId) ? undefined : ctx.load(stateId);
      if (ev) authState.set(key, ev);
    }
    if (checkEventAuth(pdu, authState, ctx.roomVersion).ok) state.set(stateKeyOf(pdu.type, pdu.state_key), id);
  }
  return state;
}

function powerLevelsAuthEventOf(pdu: Pdu, ctx: Ctx): string | undefined {
  return pdu.auth_events.find((id) => {
    const ev = ctx.load(id);
    return ev?.type === 'm.room.power_levels' && ev.state_key === '';
  });
}

/** Orders non-power events by where their power levels ancestry meets the mainline of `powerLevelsId`. */
function mainlineOrder(ids: readonly string[], powerLevelsId: string | undefined, ctx: Ctx): string[] {
  const mainline = new Map<string, number>();
  for (let cur = powerLevelsId, i = 0; cur !== undefined && !mainline.has(cur); i++) {
    mainline.set(cur, i);
    const pdu = ctx.load(cur);
    cur = pdu && powerLevelsAuthEventOf(pdu, ctx);
  }
  const position = (id: string): number => {
    const seen = new Set<string>();
    let cur = powerLevelsAuthEventOf(ctx.load(id)!, ctx);
    while (cur !== undefined && !seen.has(cur)) {
      const i = mainline.get(cur);
      if (i !== undefined) return i;
      seen.add(cur);
      const pdu = ctx.load(cur);
      cur = pdu && powerLevelsAuthEventOf(pdu, ctx);
    }
    return Infinity;
  };
  const keyed = ids.map((id) => ({ id, pos: position(id), ts: ctx.load(id)!.origin_server_ts }));
  keyed.sort((a, b) => {
    // A greater position means an older power levels ancestor, which sorts first.
    if (a.pos !== b.pos) return a.pos > b.pos ? -1 : 1;
    if (a.ts !== b.ts) return a.ts - b.ts;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
  return keyed.map((k) => k.id);
}

class MinHeap<T> {
  private readonly items: T[] = [];
  private readonly less: (a: T, b: T) => boolean;

  constructor(less: (a: T, b: T) => boolean) {
    this.less = less;
  }

  push(item: T): void {
    const a = this.items;
    a.push(item);
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    a[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
      if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
      if (m === i) break;
      [a[i], a[m]] = [a[m]!, a[i]!];
      i = m;
    }
    return top;
  }
}
