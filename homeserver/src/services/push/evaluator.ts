// The push rule evaluator (spec: "Push Rules", "Conditions"): runs a user's ruleset against one event
// and returns the actions of the first enabled rule that matches. Pure — the caller supplies what the
// conditions need about the room (member count, power levels, the user's display name), so it can be
// used for unread notification counts and, later, for push gateway delivery.
import type { JsonObject, JsonValue } from '../../core/pdu.ts';
import { LEGACY_MENTION_RULES, RULE_KINDS, type PushAction, type PushCondition, type PushRule, type PushRuleset, type RuleKind } from './rules.ts';

/** The parts of an event (PDU or client format) that rules can look at. */
export interface PushableEvent {
  type: string;
  sender: string;
  content: object;
  room_id?: string;
  state_key?: string;
}

export interface PushContext {
  /** The user whose rules these are. */
  userId: string;
  /** The user's display name in the room (their m.room.member `displayname`), if any. */
  displayName: string | null | undefined;
  /** Number of joined members of the room. */
  memberCount: number;
  /** Content of the room's current m.room.power_levels event; null/undefined when there is none. */
  powerLevels: JsonObject | null | undefined;
  roomVersion: string;
  /**
   * Users with the creator's implicit power: without a power levels event they hold 100 (v10/v11);
   * from room version 12 they outrank every level. Empty when unknown.
   */
  roomCreators?: readonly string[];
}

/** What a list of actions means for counting and delivery. */
export interface PushOutcome {
  notify: boolean;
  highlight: boolean;
  sound?: string;
}

/**
 * Evaluates `ruleset` for `event` on behalf of `ctx.userId`: the actions of the first matching rule
 * (override, content, room, sender, underride), without the legacy `dont_notify`/`coalesce` actions
 * the spec says to ignore; `[]` when nothing matches. Events the user sent themselves never notify.
 */
export function evaluatePushRules(ruleset: PushRuleset, event: PushableEvent, ctx: PushContext): PushAction[] {
  if (event.sender === ctx.userId) return [];
  const content = asObject(event.content) ?? {};
  // From v1.7 the body-based mention rules only apply to events without `m.mentions`.
  const hasMentions = asObject(content['m.mentions']) !== undefined;
  for (const kind of RULE_KINDS) {
    for (const rule of ruleset[kind] ?? []) {
      if (!rule.enabled) continue;
      if (hasMentions && LEGACY_MENTION_RULES.has(`${kind}/${rule.rule_id}`)) continue;
      if (!ruleMatches(kind, rule, event, content, ctx)) continue;
      return rule.actions.filter((a) => a !== 'dont_notify' && a !== 'coalesce');
    }
  }
  return [];
}

/** Interprets actions: `notify`, and the `highlight` (value defaults to true) and `sound` tweaks. */
export function pushOutcome(actions: readonly PushAction[]): PushOutcome {
  const out: PushOutcome = { notify: false, highlight: false };
  for (const a of actions) {
    if (a === 'notify') out.notify = true;
    if (typeof a !== 'object') continue;
    if (a['set_tweak'] === 'highlight') out.highlight = a['value'] === undefined || a['value'] === true;
    if (a['set_tweak'] === 'sound' && typeof a['value'] === 'string') out.sound = a['value'];
  }
  return out;
}

function ruleMatches(kind: RuleKind, rule: PushRule, event: PushableEvent, content: JsonObject, ctx: PushContext): boolean {
  switch (kind) {
    case 'override':
    case 'underride':
      return (rule.conditions ?? []).every((c) => conditionMatches(c, event, content, ctx));
    case 'content': {
      const body = content['body'];
      return typeof rule.pattern === 'string' && typeof body === 'string' && globMatches(rule.pattern, body, 'word');
    }
    case 'room':
      return event.room_id === rule.rule_id;
    case 'sender':
      return event.sender === rule.rule_id;
  }
}

/** Whether one condition holds; unknown kinds and malformed conditions never match (spec). */
export function conditionMatches(c: PushCondition, event: PushableEvent, content: JsonObject, ctx: PushContext): boolean {
  switch (c.kind) {
    case 'event_match': {
      const { key, pattern } = c;
      if (typeof key !== 'string' || typeof pattern !== 'string') return false;
      const v = lookupPath(event, key);
      return typeof v === 'string' && globMatches(pattern, v, key === 'content.body' ? 'word' : 'whole');
    }
    case 'event_property_is': {
      if (typeof c.key !== 'string' || !isSimpleValue(c['value'])) return false;
      const v = lookupPath(event, c.key);
      return isSimpleValue(v) && v === c['value'];
    }
    case 'event_property_contains': {
      if (typeof c.key !== 'string' || !isSimpleValue(c['value'])) return false;
      const v = lookupPath(event, c.key);
      return Array.isArray(v) && v.some((x) => isSimpleValue(x) && x === c['value']);
    }
    case 'contains_display_name': {
      const body = content['body'];
      const name = ctx.displayName;
      // An empty display name would match every message.
      return typeof body === 'string' && typeof name === 'string' && name !== '' && literalWordMatches(name, body);
    }
    case 'room_member_count':
      return typeof c['is'] === 'string' && memberCountMatches(c['is'], ctx.memberCount);
    case 'sender_notification_permission': {
      if (typeof c.key !== 'string') return false;
      const required = asObject(ctx.powerLevels?.['notifications'])?.[c.key];
      return senderPowerLevel(event.sender, ctx) >= (isSafeInt(required) ? required : 50);
    }
    default:
      return false;
  }
}

function memberCountMatches(is: string, count: number): boolean {
  const m = /^(==|<=|>=|<|>)?([0-9]+)$/.exec(is);
  if (!m) return false;
  const n = Number(m[2]);
  switch (m[1] ?? '==') {
    case '==': return count === n;
    case '<': return count < n;
    case '>': return count > n;
    case '<=': return count <= n;
    case '>=': return count >= n;
    default: return false;
  }
}

function senderPowerLevel(sender: string, ctx: PushContext): number {
  const creators = ctx.roomCreators ?? [];
  // Room version 12 (MSC4289) gives creators a level above any power levels entry.
  if (ctx.roomVersion === '12' && creators.includes(sender)) return Number.POSITIVE_INFINITY;
  const pl = ctx.powerLevels;
  if (!pl) return creators.includes(sender) ? 100 : 0;
  const own = asObject(pl['users'])?.[sender];
  if (isSafeInt(own)) return own;
  const dflt = pl['users_default'];
  return isSafeInt(dflt) ? dflt : 0;
}

// ---- dot-separated property paths (spec appendix "Dot-separated property paths") ----

const pathCache = new Map<string, string[]>();

/** Splits a path at unescaped dots; `\.` and `\\` are a literal dot and backslash, other escapes stay as-is. */
export function parseDottedPath(key: string): string[] {
  const cached = pathCache.get(key);
  if (cached) return cached;
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < key.length; i++) {
    const ch = key[i]!;
    if (ch === '\\') {
      const next = key[i + 1];
      if (next === '.' || next === '\\') {
        cur += next;
        i++;
      } else {
        cur += '\\';
      }
    } else if (ch === '.') {
      parts.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  parts.push(cur);
  if (pathCache.size > 1000) pathCache.clear();
  pathCache.set(key, parts);
  return parts;
}

/** The value at a dotted path of the event; undefined when any step is missing or not an object. */
export function lookupPath(event: object, key: string): JsonValue | undefined {
  let cur: unknown = event;
  for (const part of parseDottedPath(key)) {
    const obj = asObject(cur);
    if (!obj || !Object.hasOwn(obj, part)) return undefined;
    cur = obj[part];
  }
  return cur as JsonValue | undefined;
}

// ---- glob matching (spec appendix "Glob-style matching") ----

// Word characters for content.body matching: the spec's [A-Z], [a-z], [0-9] and _.
const W = 'A-Za-z0-9_';
// A word boundary where the match may start or end. Like Synapse, a pattern that itself begins or ends
// with a non-word character supplies its own boundary ("@room" matches in "hi@room").
const BOUNDARY = `(?:(?<![${W}])|(?![${W}]))`;
const regexCache = new Map<string, RegExp>();

function escapeRegex(s: string): string {
  // Only syntax characters: in unicode mode escaping anything else (e.g. '-') is a syntax error.
  return s.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}

/** Regex source for a glob: `*` any run of characters, `?` exactly one; wildcard runs collapsed. */
function globSource(glob: string): string {
  let out = '';
  const chars = Array.from(glob);
  for (let i = 0; i < chars.length;) {
    if (chars[i] === '*' || chars[i] === '?') {
      let ones = 0;
      let star = false;
      for (; i < chars.length && (chars[i] === '*' || chars[i] === '?'); i++) {
        if (chars[i] === '?') ones++;
        else star = true;
      }
      out += star ? `.{${ones},}` : `.{${ones}}`;
    } else {
      out += escapeRegex(chars[i]!);
      i++;
    }
  }
  return out;
}

function compiled(cacheKey: string, source: string): RegExp {
  let re = regexCache.get(cacheKey);
  if (!re) {
    re = new RegExp(source, 'su');
    if (regexCache.size > 2000) regexCache.clear();
    regexCache.set(cacheKey, re);
  }
  return re;
}

/**
 * Case-insensitive glob match: of the whole value, or ('word') of any substring of it that starts and
 * ends at a word boundary — the spec's rule for `content.body`.
 */
export function globMatches(glob: string, value: string, mode: 'whole' | 'word'): boolean {
  const g = glob.toLowerCase();
  const src = globSource(g);
  const re = mode === 'whole'
    ? compiled(`w\u0000${g}`, `^(?:${src})$`)
    : compiled(`b\u0000${g}`, `${BOUNDARY}(?:${src})${BOUNDARY}`);
  return re.test(value.toLowerCase());
}

/** Case-insensitive match of a literal string (a display name) at word boundaries. */
function literalWordMatches(literal: string, value: string): boolean {
  const l = literal.toLowerCase();
  const re = compiled(`l\u0000${l}`, `${BOUNDARY}${escapeRegex(l)}${BOUNDARY}`);
  return re.test(value.toLowerCase());
}

// ---- JSON helpers ----

function asObject(v: unknown): JsonObject | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonObject) : undefined;
}

function isSafeInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/** The non-compound canonical JSON values event_property_is/contains compare: strings, integers, booleans, null. */
function isSimpleValue(v: unknown): v is string | number | boolean | null {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || isSafeInt(v);
}
