// Push rule shapes (spec: "Push Rules") and the server-default rule set every user starts with.
// The defaults follow the spec's "Predefined Rules" in the spec's order; the legacy body-based mention
// rules (.m.rule.contains_display_name, .m.rule.roomnotif, .m.rule.contains_user_name) are kept as
// v1.12 lists them — Synapse still serves them — and the evaluator skips them for events that carry
// `m.mentions`, as the spec required from v1.7 until it dropped them in v1.17.
import type { JsonObject } from '../../core/pdu.ts';

export const RULE_KINDS = ['override', 'content', 'room', 'sender', 'underride'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

export function isRuleKind(v: string): v is RuleKind {
  return (RULE_KINDS as readonly string[]).includes(v);
}

/** `"notify"`, a legacy string action, or `{set_tweak, value?}`. */
export type PushAction = string | JsonObject;

/** A condition as stored and sent to clients; unknown kinds are kept (they never match). */
export type PushCondition = JsonObject & { kind: string };

/** A rule in the client format of GET /pushrules/ (spec definitions/push_rule.yaml). */
export interface PushRule {
  rule_id: string;
  default: boolean;
  enabled: boolean;
  actions: PushAction[];
  /** override and underride rules only. */
  conditions?: PushCondition[];
  /** content rules only. */
  pattern?: string;
}

/** The `global` ruleset, kinds in the order they are evaluated. */
export type PushRuleset = Record<RuleKind, PushRule[]>;

/** The rules whose ids are reserved for the server (spec: rule ids starting with "."). */
export function isServerRuleId(ruleId: string): boolean {
  return ruleId.startsWith('.');
}

/** The legacy body-based mention rules, ignored for events with an `m.mentions` property. */
export const LEGACY_MENTION_RULES: ReadonlySet<string> = new Set([
  'override/.m.rule.contains_display_name',
  'override/.m.rule.roomnotif',
  'content/.m.rule.contains_user_name',
]);

const SOUND_DEFAULT: JsonObject = { set_tweak: 'sound', value: 'default' };
const HIGHLIGHT: JsonObject = { set_tweak: 'highlight' };

function rule(ruleId: string, conditions: PushCondition[], actions: PushAction[], enabled = true): PushRule {
  return { rule_id: ruleId, default: true, enabled, conditions, actions };
}

function eventMatch(key: string, pattern: string): PushCondition {
  return { kind: 'event_match', key, pattern };
}

function localpartOf(userId: string): string {
  const colon = userId.indexOf(':');
  return userId.slice(1, colon < 0 ? undefined : colon);
}

/**
 * The server-default rules for `userId` (fresh objects each call). `.m.rule.master` is the first
 * override rule and stays ahead of user-defined overrides; every other default comes after the
 * user-defined rules of its kind (see PushRulesService.ruleset).
 */
export function serverDefaultRules(userId: string): PushRuleset {
  return {
    override: [
      rule('.m.rule.master', [], [], false),
      rule('.m.rule.suppress_notices', [eventMatch('content.msgtype', 'm.notice')], []),
      rule('.m.rule.invite_for_me', [
        eventMatch('type', 'm.room.member'),
        eventMatch('content.membership', 'invite'),
        eventMatch('state_key', userId),
      ], ['notify', SOUND_DEFAULT]),
      rule('.m.rule.member_event', [eventMatch('type', 'm.room.member')], []),
      rule('.m.rule.is_user_mention', [
        { kind: 'event_property_contains', key: 'content.m\\.mentions.user_ids', value: userId },
      ], ['notify', SOUND_DEFAULT, HIGHLIGHT]),
      rule('.m.rule.contains_display_name', [{ kind: 'contains_display_name' }], ['notify', SOUND_DEFAULT, HIGHLIGHT]),
      rule('.m.rule.is_room_mention', [
        { kind: 'event_property_is', key: 'content.m\\.mentions.room', value: true },
        { kind: 'sender_notification_permission', key: 'room' },
      ], ['notify', HIGHLIGHT]),
      rule('.m.rule.roomnotif', [
        eventMatch('content.body', '@room'),
        { kind: 'sender_notification_permission', key: 'room' },
      ], ['notify', HIGHLIGHT]),
      rule('.m.rule.tombstone', [eventMatch('type', 'm.room.tombstone'), eventMatch('state_key', '')], ['notify', HIGHLIGHT]),
      rule('.m.rule.reaction', [eventMatch('type', 'm.reaction')], []),
      rule('.m.rule.room.server_acl', [eventMatch('type', 'm.room.server_acl'), eventMatch('state_key', '')], []),
      rule('.m.rule.suppress_edits', [
        { kind: 'event_property_is', key: 'content.m\\.relates_to.rel_type', value: 'm.replace' },
      ], []),
    ],
    content: [
      { rule_id: '.m.rule.contains_user_name', default: true, enabled: true, pattern: localpartOf(userId), actions: ['notify', SOUND_DEFAULT, HIGHLIGHT] },
    ],
    room: [],
    sender: [],
    underride: [
      rule('.m.rule.call', [eventMatch('type', 'm.call.invite')], ['notify', { set_tweak: 'sound', value: 'ring' }]),
      rule('.m.rule.encrypted_room_one_to_one', [
        { kind: 'room_member_count', is: '2' },
        eventMatch('type', 'm.room.encrypted'),
      ], ['notify', SOUND_DEFAULT]),
      rule('.m.rule.room_one_to_one', [
        { kind: 'room_member_count', is: '2' },
        eventMatch('type', 'm.room.message'),
      ], ['notify', SOUND_DEFAULT]),
      rule('.m.rule.message', [eventMatch('type', 'm.room.message')], ['notify']),
      rule('.m.rule.encrypted', [eventMatch('type', 'm.room.encrypted')], ['notify']),
    ],
  };
}

