import { describe, expect, it } from 'vitest';
import { evaluatePushRules, globMatches, lookupPath, parseDottedPath, pushOutcome, type PushContext, type PushableEvent } from './evaluator.ts';
import { serverDefaultRules, type PushAction, type PushRuleset } from './rules.ts';

const ALICE = '@alice:example.org';
const BOB = '@bob:example.org';
const ROOM = '!room:example.org';

const NOTIFY: PushAction[] = ['notify'];
const NOTIFY_SOUND: PushAction[] = ['notify', { set_tweak: 'sound', value: 'default' }];
const NOTIFY_SOUND_HIGHLIGHT: PushAction[] = ['notify', { set_tweak: 'sound', value: 'default' }, { set_tweak: 'highlight' }];
const NOTIFY_HIGHLIGHT: PushAction[] = ['notify', { set_tweak: 'highlight' }];
const RING: PushAction[] = ['notify', { set_tweak: 'sound', value: 'ring' }];

const group: PushContext = {
  userId: ALICE, displayName: 'Alice Liddell', memberCount: 5, roomVersion: '10',
  powerLevels: { users: { [BOB]: 50 }, users_default: 0 },
};
const oneToOne: PushContext = { ...group, memberCount: 2 };

function msg(content: Record<string, unknown>, extra: Partial<PushableEvent> = {}): PushableEvent {
  return { type: 'm.room.message', sender: BOB, room_id: ROOM, content: { msgtype: 'm.text', body: 'hello', ...content }, ...extra };
}

function ev(type: string, content: Record<string, unknown>, extra: Partial<PushableEvent> = {}): PushableEvent {
  return { type, sender: BOB, room_id: ROOM, content, ...extra };
}

describe('evaluatePushRules with the server-default rules', () => {
  const rules = serverDefaultRules(ALICE);
  const table: [string, PushableEvent, PushContext, PushAction[]][] = [
    ['a plain message in a group room notifies without sound', msg({}), group, NOTIFY],
    ['a plain message in a one-to-one room notifies with sound', msg({}), oneToOne, NOTIFY_SOUND],
    ['an encrypted event in a one-to-one room notifies with sound', ev('m.room.encrypted', { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'x' }), oneToOne, NOTIFY_SOUND],
    ['an encrypted event in a group room notifies without sound', ev('m.room.encrypted', { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'x' }), group, NOTIFY],
    ['a notice is suppressed', msg({ msgtype: 'm.notice' }), oneToOne, []],
    ['an edit is suppressed', msg({ body: '* hi', 'm.relates_to': { rel_type: 'm.replace', event_id: '$x' } }), oneToOne, []],
    ['a reaction is suppressed', ev('m.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: '$x', key: '👍' } }), oneToOne, []],
    ['a mention through m.mentions.user_ids highlights', msg({ 'm.mentions': { user_ids: [ALICE] } }), group, NOTIFY_SOUND_HIGHLIGHT],
    ['a body naming the user is ignored when m.mentions is present', msg({ body: 'alice: hi', 'm.mentions': { user_ids: [] } }), group, NOTIFY],
    ['a body containing the localpart highlights when m.mentions is absent', msg({ body: 'hey alice, lunch?' }), group, NOTIFY_SOUND_HIGHLIGHT],
    ['a body containing the display name highlights when m.mentions is absent', msg({ body: 'ask ALICE LIDDELL!' }), group, NOTIFY_SOUND_HIGHLIGHT],
    ['the localpart inside a longer word does not highlight', msg({ body: 'such malice' }), group, NOTIFY],
    ['a room mention by a sender with the notification level highlights', msg({ 'm.mentions': { room: true } }), group, NOTIFY_HIGHLIGHT],
    ['a room mention by a sender below the notification level is a plain message', msg({ 'm.mentions': { room: true } }, { sender: '@carol:example.org' }), group, NOTIFY],
    ['a legacy @room by a permitted sender highlights', msg({ body: '@room meeting now' }), group, NOTIFY_HIGHLIGHT],
    ['an invite for the user notifies with sound', ev('m.room.member', { membership: 'invite' }, { state_key: ALICE }), group, NOTIFY_SOUND],
    ['an invite for someone else is silent', ev('m.room.member', { membership: 'invite' }, { state_key: '@carol:example.org' }), group, []],
    ['a tombstone state event highlights', ev('m.room.tombstone', { body: 'moved', replacement_room: '!new:example.org' }, { state_key: '' }), group, NOTIFY_HIGHLIGHT],
    ['a tombstone without a state key is not a tombstone', ev('m.room.tombstone', { body: 'moved' }), group, []],
    ['a server ACL change is silent', ev('m.room.server_acl', { allow: ['*'] }, { state_key: '' }), group, []],
    ['a call invite rings', ev('m.call.invite', { call_id: 'c', version: 1 }), group, RING],
    ['an unknown event type does not notify', ev('org.example.thing', { body: 'hello' }), oneToOne, []],
    ['the user\'s own message never notifies', msg({ 'm.mentions': { user_ids: [ALICE] } }, { sender: ALICE }), oneToOne, []],
  ];
  for (const [name, event, ctx, expected] of table) {
    it(name, () => {
      expect(evaluatePushRules(rules, event, ctx)).toEqual(expected);
    });
  }

  it('treats the room creator as power level 100 when the room has no power levels event', () => {
    const ctx: PushContext = { ...group, powerLevels: null, roomCreators: [BOB] };
    expect(evaluatePushRules(rules, msg({ 'm.mentions': { room: true } }), ctx)).toEqual(NOTIFY_HIGHLIGHT);
    expect(evaluatePushRules(rules, msg({ 'm.mentions': { room: true } }, { sender: '@carol:example.org' }), ctx)).toEqual(NOTIFY);
  });

  it('uses the notifications.room level of the power levels event', () => {
    const ctx: PushContext = { ...group, powerLevels: { users: { [BOB]: 50 }, notifications: { room: 75 } } };
    expect(evaluatePushRules(rules, msg({ 'm.mentions': { room: true } }), ctx)).toEqual(NOTIFY);
  });
});

describe('evaluatePushRules with changed rules', () => {
  function withChange(change: (r: PushRuleset) => void): PushRuleset {
    const r = serverDefaultRules(ALICE);
    change(r);
    return r;
  }

  it('silences everything when the master rule is enabled', () => {
    const rules = withChange((r) => { r.override[0]!.enabled = true; });
    expect(evaluatePushRules(rules, msg({ 'm.mentions': { user_ids: [ALICE] } }), oneToOne)).toEqual([]);
  });

  it('skips a disabled rule and falls through to the next match', () => {
    const rules = withChange((r) => { r.override.find((x) => x.rule_id === '.m.rule.suppress_notices')!.enabled = false; });
    expect(evaluatePushRules(rules, msg({ msgtype: 'm.notice' }), group)).toEqual(NOTIFY);
  });

  it('does not notify for messages once .m.rule.message is disabled', () => {
    const rules = withChange((r) => { r.underride.find((x) => x.rule_id === '.m.rule.message')!.enabled = false; });
    expect(evaluatePushRules(rules, msg({}), group)).toEqual([]);
  });

  it('applies a room rule before the underride rules', () => {
    const rules = withChange((r) => { r.room.push({ rule_id: ROOM, default: false, enabled: true, actions: [] }); });
    expect(evaluatePushRules(rules, msg({}), group)).toEqual([]);
    expect(evaluatePushRules(rules, msg({}, { room_id: '!other:example.org' }), group)).toEqual(NOTIFY);
  });

  it('applies a sender rule to that sender only', () => {
    const rules = withChange((r) => { r.sender.push({ rule_id: BOB, default: false, enabled: true, actions: ['notify', { set_tweak: 'sound', value: 'bob.wav' }] }); });
    expect(evaluatePushRules(rules, msg({}), group)).toEqual(['notify', { set_tweak: 'sound', value: 'bob.wav' }]);
    expect(evaluatePushRules(rules, msg({}, { sender: '@carol:example.org' }), group)).toEqual(NOTIFY);
  });

  it('matches a user content rule on body words before the default content rule', () => {
    const rules = withChange((r) => { r.content.unshift({ rule_id: 'cake', default: false, enabled: true, pattern: 'cake*lie', actions: NOTIFY_HIGHLIGHT }); });
    expect(evaluatePushRules(rules, msg({ body: 'the Cake is a lie' }), group)).toEqual(NOTIFY_HIGHLIGHT);
    expect(evaluatePushRules(rules, msg({ body: 'cakes are lies' }), group)).toEqual(NOTIFY);
  });

  it('never matches a rule with an unknown condition kind', () => {
    const rules = withChange((r) => { r.override.splice(1, 0, { rule_id: 'x', default: false, enabled: true, conditions: [{ kind: 'org.example.unknown' }], actions: [] }); });
    expect(evaluatePushRules(rules, msg({}), group)).toEqual(NOTIFY);
  });

  it('strips the legacy dont_notify and coalesce actions', () => {
    const rules = withChange((r) => { r.override.splice(1, 0, { rule_id: 'x', default: false, enabled: true, conditions: [], actions: ['dont_notify', 'coalesce'] }); });
    expect(evaluatePushRules(rules, msg({}), oneToOne)).toEqual([]);
  });

  it('matches room_member_count comparisons', () => {
    const cases: [string, number, boolean][] = [['2', 2, true], ['==3', 2, false], ['<3', 2, true], ['>2', 2, false], ['>=2', 2, true], ['<=1', 2, false], ['=>2', 2, false]];
    for (const [is, count, expected] of cases) {
      const rules: PushRuleset = { override: [{ rule_id: 'c', default: false, enabled: true, conditions: [{ kind: 'room_member_count', is }], actions: NOTIFY }], content: [], room: [], sender: [], underride: [] };
      expect(evaluatePushRules(rules, msg({}), { ...group, memberCount: count }), `is ${is}`).toEqual(expected ? NOTIFY : []);
    }
  });

  it('compares event_property_is values exactly, without casting', () => {
    const rule = (value: string | number | boolean | null): PushRuleset => ({
      override: [{ rule_id: 'f', default: false, enabled: true, conditions: [{ kind: 'event_property_is', key: 'content.m\\.federate', value }], actions: NOTIFY }],
      content: [], room: [], sender: [], underride: [],
    });
    const create = ev('m.room.create', { 'm.federate': true, room_version: '10' }, { state_key: '' });
    expect(evaluatePushRules(rule(true), create, group)).toEqual(NOTIFY);
    expect(evaluatePushRules(rule('true'), create, group)).toEqual([]);
    expect(evaluatePushRules(rule(1), create, group)).toEqual([]);
  });

  it('matches event_property_contains on exact array members only', () => {
    const rules: PushRuleset = {
      override: [{ rule_id: 'a', default: false, enabled: true, conditions: [{ kind: 'event_property_contains', key: 'content.alt_aliases', value: '#myroom:example.com' }], actions: NOTIFY }],
      content: [], room: [], sender: [], underride: [],
    };
    const alias = (alt: unknown): PushableEvent => ev('m.room.canonical_alias', { alt_aliases: alt }, { state_key: '' });
    expect(evaluatePushRules(rules, alias([{ x: 1 }, '#somewhere:example.org', '#myroom:example.com']), group)).toEqual(NOTIFY);
    expect(evaluatePushRules(rules, alias([':example.com']), group)).toEqual([]);
    expect(evaluatePushRules(rules, alias('#myroom:example.com'), group)).toEqual([]);
  });
});

describe('glob matching', () => {
  it('matches the whole value case-insensitively', () => {
    expect(globMatches('lunc?*', 'Lunch plans', 'whole')).toBe(true);
    expect(globMatches('lunc?*', 'LUNCH', 'whole')).toBe(true);
    expect(globMatches('lunc?*', ' lunch', 'whole')).toBe(false);
    expect(globMatches('lunc?*', 'lunc', 'whole')).toBe(false);
  });

  it('matches body words at word boundaries', () => {
    expect(globMatches('ex*ple', 'An example event.', 'word')).toBe(true);
    expect(globMatches('ex*ple', 'exple', 'word')).toBe(true);
    expect(globMatches('ex*ple', 'An exciting triple-whammy', 'word')).toBe(true);
    expect(globMatches('ex*ple', 'examples', 'word')).toBe(false);
    expect(globMatches('@room', 'hi @room!', 'word')).toBe(true);
  });

  it('treats regex metacharacters in patterns literally', () => {
    expect(globMatches('a.b(c)', 'a.b(c)', 'whole')).toBe(true);
    expect(globMatches('a.b', 'axb', 'whole')).toBe(false);
    expect(globMatches('x-y', 'x-y', 'whole')).toBe(true);
  });

  it('lets ? match one character even outside the basic plane', () => {
    expect(globMatches('a?b', 'a🎉b', 'whole')).toBe(true);
  });
});

describe('dot-separated property paths', () => {
  it('splits on unescaped dots and unescapes \\. and \\\\', () => {
    expect(parseDottedPath('content.m\\.relates_to.rel_type')).toEqual(['content', 'm.relates_to', 'rel_type']);
    expect(parseDottedPath('content.m\\\\foo')).toEqual(['content', 'm\\foo']);
    expect(parseDottedPath('content.m\\xfoo')).toEqual(['content', 'm\\xfoo']);
  });

  it('finds nested values and nothing through arrays or missing steps', () => {
    const e = { content: { 'm.relates_to': { rel_type: 'm.thread' }, list: [{ a: 1 }], 'm\\foo': 'bs' } };
    expect(lookupPath(e, 'content.m\\.relates_to.rel_type')).toBe('m.thread');
    expect(lookupPath(e, 'content.m\\\\foo')).toBe('bs');
    expect(lookupPath(e, 'content.list.0.a')).toBeUndefined();
    expect(lookupPath(e, 'content.missing.x')).toBeUndefined();
  });
});

describe('pushOutcome', () => {
  it('reads notify, highlight (defaulting to true) and sound', () => {
    expect(pushOutcome(NOTIFY_SOUND_HIGHLIGHT)).toEqual({ notify: true, highlight: true, sound: 'default' });
    expect(pushOutcome(['notify', { set_tweak: 'highlight', value: false }])).toEqual({ notify: true, highlight: false });
    expect(pushOutcome([])).toEqual({ notify: false, highlight: false });
  });
});
