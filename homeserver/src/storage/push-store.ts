// SQL for push rules and pushers: users' own rules, their changes to server-default rules, the
// per-user change position that /sync reads, and pushers.
import type { Database, Migration } from './database.ts';

export const pushMigrations: Migration[] = [
  {
    name: 'push/001-rules-and-pushers',
    sql: `
      -- User-defined rules. Within (user, kind) a higher priority is evaluated first.
      CREATE TABLE push_rules (
        user_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        rule_id TEXT NOT NULL,
        priority INTEGER NOT NULL,
        conditions TEXT,
        pattern TEXT,
        actions TEXT NOT NULL,
        enabled INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (user_id, kind, rule_id)
      );
      -- A user's changes to server-default rules (NULL = unchanged).
      CREATE TABLE push_rule_default_overrides (
        user_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        rule_id TEXT NOT NULL,
        enabled INTEGER,
        actions TEXT,
        PRIMARY KEY (user_id, kind, rule_id)
      );
      -- Position of each user's latest push rule change, for /sync account_data.
      CREATE TABLE push_rules_stream (
        user_id TEXT PRIMARY KEY,
        stream_pos INTEGER NOT NULL
      );
      CREATE TABLE pushers (
        user_id TEXT NOT NULL,
        app_id TEXT NOT NULL,
        pushkey TEXT NOT NULL,
        kind TEXT NOT NULL,
        app_display_name TEXT NOT NULL,
        device_display_name TEXT NOT NULL,
        profile_tag TEXT NOT NULL DEFAULT '',
        lang TEXT NOT NULL,
        data TEXT NOT NULL,
        device_id TEXT,
        created_ts INTEGER NOT NULL,
        PRIMARY KEY (app_id, pushkey, user_id)
      );
      CREATE INDEX pushers_user ON pushers (user_id);
    `,
  },
];

export interface UserRuleRow {
  user_id: string;
  kind: string;
  rule_id: string;
  priority: number;
  conditions: string | null;
  pattern: string | null;
  actions: string;
  enabled: number;
}

export interface DefaultOverrideRow {
  kind: string;
  rule_id: string;
  enabled: number | null;
  actions: string | null;
}

export interface PusherRow {
  user_id: string;
  app_id: string;
  pushkey: string;
  kind: string;
  app_display_name: string;
  device_display_name: string;
  profile_tag: string;
  lang: string;
  data: string;
  device_id: string | null;
  created_ts: number;
}

export class PushStore {
  private readonly db: Database;
  constructor(db: Database) {
    this.db = db;
  }

  /** A user's own rules, most important first within each kind. */
  userRules(userId: string): UserRuleRow[] {
    return this.db.all<UserRuleRow>('SELECT * FROM push_rules WHERE user_id = ? ORDER BY kind, priority DESC', userId);
  }

  userRule(userId: string, kind: string, ruleId: string): UserRuleRow | undefined {
    return this.db.get<UserRuleRow>('SELECT * FROM push_rules WHERE user_id = ? AND kind = ? AND rule_id = ?', userId, kind, ruleId);
  }

  maxPriority(userId: string, kind: string): number | null {
    return this.db.get<{ m: number | null }>('SELECT MAX(priority) AS m FROM push_rules WHERE user_id = ? AND kind = ?', userId, kind)?.m ?? null;
  }

  /** Makes room at `from`: every rule of the kind at or above it moves up by one. */
  shiftPriorities(userId: string, kind: string, from: number): void {
    this.db.run('UPDATE push_rules SET priority = priority + 1 WHERE user_id = ? AND kind = ? AND priority >= ?', userId, kind, from);
  }

  insertUserRule(r: UserRuleRow): void {
    this.db.run(
      'INSERT INTO push_rules (user_id, kind, rule_id, priority, conditions, pattern, actions, enabled) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      r.user_id, r.kind, r.rule_id, r.priority, r.conditions, r.pattern, r.actions, r.enabled,
    );
  }

  /** Replaces a rule's definition, keeping whether it is enabled. */
  updateUserRule(userId: string, kind: string, ruleId: string, priority: number, conditions: string | null, pattern: string | null, actions: string): void {
    this.db.run(
      'UPDATE push_rules SET priority = ?, conditions = ?, pattern = ?, actions = ? WHERE user_id = ? AND kind = ? AND rule_id = ?',
      priority, conditions, pattern, actions, userId, kind, ruleId,
    );
  }

  deleteUserRule(userId: string, kind: string, ruleId: string): boolean {
    return this.db.run('DELETE FROM push_rules WHERE user_id = ? AND kind = ? AND rule_id = ?', userId, kind, ruleId).changes > 0;
  }

  setUserRuleEnabled(userId: string, kind: string, ruleId: string, enabled: boolean): boolean {
    return this.db.run('UPDATE push_rules SET enabled = ? WHERE user_id = ? AND kind = ? AND rule_id = ?', enabled ? 1 : 0, userId, kind, ruleId).changes > 0;
  }

  setUserRuleActions(userId: string, kind: string, ruleId: string, actions: string): boolean {
    return this.db.run('UPDATE push_rules SET actions = ? WHERE user_id = ? AND kind = ? AND rule_id = ?', actions, userId, kind, ruleId).changes > 0;
  }

  defaultOverrides(userId: string): DefaultOverrideRow[] {
    return this.db.all<DefaultOverrideRow>('SELECT kind, rule_id, enabled, actions FROM push_rule_default_overrides WHERE user_id = ?', userId);
  }

  setDefaultEnabled(userId: string, kind: string, ruleId: string, enabled: boolean): void {
    this.db.run(
      `INSERT INTO push_rule_default_overrides (user_id, kind, rule_id, enabled) VALUES (?, ?, ?, ?)
       ON CONFLICT (user_id, kind, rule_id) DO UPDATE SET enabled = excluded.enabled`,
      userId, kind, ruleId, enabled ? 1 : 0,
    );
  }

  setDefaultActions(userId: string, kind: string, ruleId: string, actions: string): void {
    this.db.run(
      `INSERT INTO push_rule_default_overrides (user_id, kind, rule_id, actions) VALUES (?, ?, ?, ?)
       ON CONFLICT (user_id, kind, rule_id) DO UPDATE SET actions = excluded.actions`,
      userId, kind, ruleId, actions,
    );
  }

  markChanged(userId: string, pos: number): void {
    this.db.run(
      `INSERT INTO push_rules_stream (user_id, stream_pos) VALUES (?, ?)
       ON CONFLICT (user_id) DO UPDATE SET stream_pos = excluded.stream_pos`,
      userId, pos,
    );
  }

  /** Whether the user's rules changed in (since, upTo]. */
  changedBetween(userId: string, since: number, upTo: number): boolean {
    return this.db.get<{ one: number }>('SELECT 1 AS one FROM push_rules_stream WHERE user_id = ? AND stream_pos > ? AND stream_pos <= ?', userId, since, upTo) !== undefined;
  }

  pushersOfUser(userId: string): PusherRow[] {
    return this.db.all<PusherRow>('SELECT * FROM pushers WHERE user_id = ? ORDER BY created_ts, app_id, pushkey', userId);
  }

  upsertPusher(p: PusherRow): void {
    this.db.run(
      `INSERT INTO pushers (user_id, app_id, pushkey, kind, app_display_name, device_display_name, profile_tag, lang, data, device_id, created_ts)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (app_id, pushkey, user_id) DO UPDATE SET kind = excluded.kind, app_display_name = excluded.app_display_name,
         device_display_name = excluded.device_display_name, profile_tag = excluded.profile_tag, lang = excluded.lang,
         data = excluded.data, device_id = excluded.device_id`,
      p.user_id, p.app_id, p.pushkey, p.kind, p.app_display_name, p.device_display_name, p.profile_tag, p.lang, p.data, p.device_id, p.created_ts,
    );
  }

  deletePusher(userId: string, appId: string, pushkey: string): boolean {
    return this.db.run('DELETE FROM pushers WHERE user_id = ? AND app_id = ? AND pushkey = ?', userId, appId, pushkey).changes > 0;
  }

  /** Removes the same (app_id, pushkey) registered by other users (a device changed hands). */
  deletePushersOfOtherUsers(appId: string, pushkey: string, userId: string): void {
    this.db.run('DELETE FROM pushers WHERE app_id = ? AND pushkey = ? AND user_id != ?', appId, pushkey, userId);
  }

  deletePushersOfDevice(userId: string, deviceId: string): void {
    this.db.run('DELETE FROM pushers WHERE user_id = ? AND device_id = ?', userId, deviceId);
  }
}
