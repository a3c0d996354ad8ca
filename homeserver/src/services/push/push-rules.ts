// Each user's push ruleset: the server-default rules (with the user's enabled/actions changes) merged
// with their own rules, and the operations of the Push Rules API. Every change takes a position on the
// shared stream and wakes the user's /sync, which then carries the new `m.push_rules` account data.
import type { Database, WriteTx } from '../../storage/database.ts';
import type { PushStore, UserRuleRow } from '../../storage/push-store.ts';
import type { StreamCounter } from '../../storage/streams.ts';
import type { Notifier } from '../sync/notifier.ts';
import type { JsonObject, JsonValue } from '../../core/pdu.ts';
import { MatrixError, badJson, invalidParam, missingParam, notFound } from '../../api/errors.ts';
import { isServerRuleId, serverDefaultRules, type PushAction, type PushCondition, type PushRule, type PushRuleset, type RuleKind } from './rules.ts';

/** The body of PUT /pushrules/global/{kind}/{ruleId}. */
export interface RuleInput {
  actions?: unknown;
  conditions?: unknown;
  pattern?: unknown;
}

export interface RulePlacement {
  before?: string | undefined;
  after?: string | undefined;
}

const MAX_CACHED_USERS = 10_000;

export class PushRulesService {
  private readonly db: Database;
  private readonly store: PushStore;
  private readonly streams: StreamCounter;
  private readonly notifier: Notifier;
  private readonly cache = new Map<string, PushRuleset>();

  constructor(opts: { db: Database; store: PushStore; streams: StreamCounter; notifier: Notifier }) {
    this.db = opts.db;
    this.store = opts.store;
    this.streams = opts.streams;
    this.notifier = opts.notifier;
  }

  /**
   * The user's `global` ruleset in evaluation order. Cached and shared between callers: treat it as
   * read-only. `.m.rule.master` leads the override rules; the other server-default rules follow the
   * user's own rules of their kind (spec "Predefined Rules").
   */
  ruleset(userId: string): PushRuleset {
    const cached = this.cache.get(userId);
    if (cached) return cached;
    const defaults = serverDefaultRules(userId);
    for (const o of this.store.defaultOverrides(userId)) {
      const r = defaults[o.kind as RuleKind]?.find((d) => d.rule_id === o.rule_id);
      if (!r) continue;
      if (o.enabled !== null) r.enabled = o.enabled === 1;
      if (o.actions !== null) r.actions = JSON.parse(o.actions) as PushAction[];
    }
    const own: PushRuleset = { override: [], content: [], room: [], sender: [], underride: [] };
    for (const row of this.store.userRules(userId)) own[row.kind as RuleKind]?.push(toClientRule(row));
    const master = defaults.override.filter((r) => r.rule_id === '.m.rule.master');
    const set: PushRuleset = {
      override: [...master, ...own.override, ...defaults.override.filter((r) => r.rule_id !== '.m.rule.master')],
      content: [...own.content, ...defaults.content],
      room: [...own.room, ...defaults.room],
      sender: [...own.sender, ...defaults.sender],
      underride: [...own.underride, ...defaults.underride],
    };
    if (this.cache.size >= MAX_CACHED_USERS) this.cache.clear();
    this.cache.set(userId, set);
    return set;
  }

  /** One rule, or 404 M_NOT_FOUND. */
  rule(userId: string, kind: RuleKind, ruleId: string): PushRule {
    const r = this.ruleset(userId)[kind].find((x) => x.rule_id === ruleId);
    if (!r) throw notFound(`No ${kind} push rule '${ruleId}'`);
    return r;
  }

  /** Whether the user's ruleset changed in (since, upTo] of the shared stream. */
  changedBetween(userId: string, since: number, upTo: number): boolean {
    return this.store.changedBetween(userId, since, upTo);
  }

  /**
   * Creates or replaces a user-defined rule. A new rule without before/after becomes the most
   * important of its kind; a replaced rule keeps its place (and its enabled state) unless moved.
   */
  async putRule(userId: string, kind: RuleKind, ruleId: string, input: RuleInput, placement: RulePlacement = {}): Promise<void> {
    if (ruleId === '') throw invalidParam('rule_id must not be empty');
    if (isServerRuleId(ruleId)) throw invalidParam(`rule ids starting with '.' are reserved for server-default rules`);
    if (ruleId.includes('/') || ruleId.includes('\\')) throw invalidParam('rule_id must not contain slashes or backslashes');
    const actions = parseActions(input.actions);
    let conditions: string | null = null;
    let pattern: string | null = null;
    if (kind === 'override' || kind === 'underride') {
      conditions = JSON.stringify(input.conditions === undefined || input.conditions === null ? [] : parseConditions(input.conditions));
    } else if (kind === 'content') {
      if (input.pattern === undefined || input.pattern === null) throw missingParam(`'pattern' is required for content rules`);
      if (typeof input.pattern !== 'string') throw badJson(`'pattern' must be a string`);
      pattern = input.pattern;
    }
    const relativeTo = placement.before ?? placement.after;
    await this.change(userId, () => {
      const existing = this.store.userRule(userId, kind, ruleId);
      let priority: number;
      if (relativeTo !== undefined) {
        if (relativeTo === ruleId) throw new MatrixError(400, 'M_UNKNOWN', 'a rule cannot be placed relative to itself');
        const rel = this.store.userRule(userId, kind, relativeTo);
        // Server-default rules have no place among user rules, so they cannot anchor one (spec).
        if (!rel) throw new MatrixError(400, 'M_UNKNOWN', `before/after rule not found: ${relativeTo}`);
        // `before` wins when both are given (spec: the rule goes next to `before`).
        priority = placement.before !== undefined ? rel.priority + 1 : rel.priority;
        this.store.shiftPriorities(userId, kind, priority);
      } else if (existing) {
        priority = existing.priority;
      } else {
        const max = this.store.maxPriority(userId, kind);
        priority = max === null ? 0 : max + 1;
      }
      if (existing) {
        this.store.updateUserRule(userId, kind, ruleId, priority, conditions, pattern, JSON.stringify(actions));
      } else {
        this.store.insertUserRule({ user_id: userId, kind, rule_id: ruleId, priority, conditions, pattern, actions: JSON.stringify(actions), enabled: 1 });
      }
    });
  }

  async deleteRule(userId: string, kind: RuleKind, ruleId: string): Promise<void> {
    if (isServerRuleId(ruleId)) {
      this.rule(userId, kind, ruleId);
      throw invalidParam(`server-default rule '${ruleId}' cannot be deleted; disable it instead`);
    }
    await this.change(userId, () => {
      if (!this.store.deleteUserRule(userId, kind, ruleId)) throw notFound(`No ${kind} push rule '${ruleId}'`);
    });
  }

  async setEnabled(userId: string, kind: RuleKind, ruleId: string, enabled: boolean): Promise<void> {
    await this.change(userId, () => {
      if (isServerRuleId(ruleId)) {
        this.requireServerRule(userId, kind, ruleId);
        this.store.setDefaultEnabled(userId, kind, ruleId, enabled);
      } else if (!this.store.setUserRuleEnabled(userId, kind, ruleId, enabled)) {
        throw notFound(`No ${kind} push rule '${ruleId}'`);
      }
    });
  }

  async setActions(userId: string, kind: RuleKind, ruleId: string, rawActions: unknown): Promise<void> {
    const actions = JSON.stringify(parseActions(rawActions));
    await this.change(userId, () => {
      if (isServerRuleId(ruleId)) {
        this.requireServerRule(userId, kind, ruleId);
        this.store.setDefaultActions(userId, kind, ruleId, actions);
      } else if (!this.store.setUserRuleActions(userId, kind, ruleId, actions)) {
        throw notFound(`No ${kind} push rule '${ruleId}'`);
      }
    });
  }

  private requireServerRule(userId: string, kind: RuleKind, ruleId: string): void {
    if (!serverDefaultRules(userId)[kind].some((r) => r.rule_id === ruleId)) throw notFound(`No ${kind} push rule '${ruleId}'`);
  }

  /** Runs a change in a write, records its stream position and wakes the user's /sync. */
  private async change(userId: string, fn: (tx: WriteTx) => void): Promise<void> {
    await this.db.write((tx) => {
      fn(tx);
      this.cache.delete(userId);
      tx.onRollback(() => this.cache.delete(userId));
      this.store.markChanged(userId, this.streams.next());
      tx.afterCommit(() => {
        this.cache.delete(userId);
        this.notifier.notify([userId]);
      });
    });
  }
}

function toClientRule(row: UserRuleRow): PushRule {
  const r: PushRule = { rule_id: row.rule_id, default: false, enabled: row.enabled === 1, actions: JSON.parse(row.actions) as PushAction[] };
  if (row.kind === 'override' || row.kind === 'underride') r.conditions = JSON.parse(row.conditions ?? '[]') as PushCondition[];
  if (row.kind === 'content' && row.pattern !== null) r.pattern = row.pattern;
  return r;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isSimpleValue(v: unknown): boolean {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isSafeInteger(v));
}

/** Validates an actions array: `notify`, the legacy `dont_notify`/`coalesce`, or `{set_tweak, value?}`. */
export function parseActions(v: unknown): PushAction[] {
  if (v === undefined || v === null) throw missingParam(`'actions' is required`);
  if (!Array.isArray(v)) throw badJson(`'actions' must be an array`);
  return v.map((a: JsonValue, i) => {
    if (typeof a === 'string') {
      if (a === 'notify' || a === 'dont_notify' || a === 'coalesce') return a;
      throw invalidParam(`actions[${i}]: unrecognised action '${a}'`);
    }
    if (isObject(a) && typeof a['set_tweak'] === 'string') return a;
    throw badJson(`actions[${i}] must be a string or an object with a string 'set_tweak'`);
  });
}

/** Validates conditions: each an object with a string `kind`; the known kinds' parameters have the right types. */
export function parseConditions(v: unknown): PushCondition[] {
  if (!Array.isArray(v)) throw badJson(`'conditions' must be an array`);
  return v.map((c: JsonValue, i) => {
    if (!isObject(c) || typeof c['kind'] !== 'string') throw badJson(`conditions[${i}] must be an object with a string 'kind'`);
    const need = (field: string, ok: (x: unknown) => boolean, what: string): void => {
      if (!ok(c[field])) throw badJson(`conditions[${i}]: '${field}' must be ${what}`);
    };
    const str = (x: unknown): boolean => typeof x === 'string';
    switch (c['kind']) {
      case 'event_match':
        need('key', str, 'a string');
        need('pattern', str, 'a string');
        break;
      case 'event_property_is':
      case 'event_property_contains':
        need('key', str, 'a string');
        need('value', isSimpleValue, 'a string, integer, boolean or null');
        break;
      case 'room_member_count':
        need('is', str, 'a string');
        break;
      case 'sender_notification_permission':
        need('key', str, 'a string');
        break;
    }
    return c as PushCondition;
  });
}
