import { beforeEach, describe, expect, it } from 'vitest';
import { Database } from '../../storage/database.ts';
import { PushStore, pushMigrations } from '../../storage/push-store.ts';
import { StreamCounter } from '../../storage/streams.ts';
import { Notifier } from '../sync/notifier.ts';
import { MatrixError } from '../../api/errors.ts';
import { PushRulesService } from './push-rules.ts';
import { pushRulesSyncContributor } from './sync-contributor.ts';
import type { SyncResponse } from '../sync/contributor.ts';

const ALICE = '@alice:example.org';
const BOB = '@bob:example.org';

class RecordingNotifier extends Notifier {
  notified: string[] = [];
  override notify(userIds: Iterable<string>): void {
    this.notified.push(...userIds);
    super.notify(userIds);
  }
}

let db: Database;
let streams: StreamCounter;
let notifier: RecordingNotifier;
let rules: PushRulesService;

beforeEach(() => {
  db = new Database(':memory:');
  db.migrate(pushMigrations);
  streams = new StreamCounter(db, ['push_rules_stream']);
  notifier = new RecordingNotifier();
  rules = new PushRulesService({ db, store: new PushStore(db), streams, notifier });
});

async function errorOf(p: Promise<unknown>): Promise<MatrixError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof MatrixError) return e;
    throw e;
  }
  throw new Error('expected a MatrixError');
}

function ids(kind: 'override' | 'content' | 'room' | 'sender' | 'underride', userId = ALICE): string[] {
  return rules.ruleset(userId)[kind].map((r) => r.rule_id);
}

const cond = [{ kind: 'event_match', key: 'type', pattern: 'org.example' }];

describe('the default ruleset', () => {
  it('lists every predefined rule in the spec order with default: true', () => {
    const set = rules.ruleset(ALICE);
    expect(ids('override')).toEqual([
      '.m.rule.master', '.m.rule.suppress_notices', '.m.rule.invite_for_me', '.m.rule.member_event',
      '.m.rule.is_user_mention', '.m.rule.contains_display_name', '.m.rule.is_room_mention', '.m.rule.roomnotif',
      '.m.rule.tombstone', '.m.rule.reaction', '.m.rule.room.server_acl', '.m.rule.suppress_edits',
    ]);
    expect(ids('content')).toEqual(['.m.rule.contains_user_name']);
    expect(ids('underride')).toEqual(['.m.rule.call', '.m.rule.encrypted_room_one_to_one', '.m.rule.room_one_to_one', '.m.rule.message', '.m.rule.encrypted']);
    expect(set.room).toEqual([]);
    expect(set.sender).toEqual([]);
    for (const kind of ['override', 'content', 'underride'] as const) for (const r of set[kind]) expect(r.default).toBe(true);
    expect(set.override[0]!.enabled).toBe(false);
  });

  it('fills the user id and localpart into the user-dependent rules', () => {
    const set = rules.ruleset(BOB);
    expect(set.content[0]!.pattern).toBe('bob');
    expect(set.override.find((r) => r.rule_id === '.m.rule.invite_for_me')!.conditions).toContainEqual({ kind: 'event_match', key: 'state_key', pattern: BOB });
    expect(set.override.find((r) => r.rule_id === '.m.rule.is_user_mention')!.conditions).toEqual([
      { kind: 'event_property_contains', key: 'content.m\\.mentions.user_ids', value: BOB },
    ]);
  });
});

describe('creating and ordering user rules', () => {
  it('puts a new rule without before/after first among user rules, after the master rule', async () => {
    await rules.putRule(ALICE, 'override', 'one', { actions: [], conditions: cond });
    await rules.putRule(ALICE, 'override', 'two', { actions: ['notify'], conditions: cond });
    expect(ids('override').slice(0, 4)).toEqual(['.m.rule.master', 'two', 'one', '.m.rule.suppress_notices']);
    expect(rules.rule(ALICE, 'override', 'two')).toEqual({ rule_id: 'two', default: false, enabled: true, actions: ['notify'], conditions: cond });
  });

  it('places rules before and after existing user rules', async () => {
    await rules.putRule(ALICE, 'room', '!a:x', { actions: [] });
    await rules.putRule(ALICE, 'room', '!c:x', { actions: [] });
    await rules.putRule(ALICE, 'room', '!b:x', { actions: [] }, { after: '!c:x' });
    expect(ids('room')).toEqual(['!c:x', '!b:x', '!a:x']);
    await rules.putRule(ALICE, 'room', '!d:x', { actions: [] }, { before: '!a:x' });
    expect(ids('room')).toEqual(['!c:x', '!b:x', '!d:x', '!a:x']);
    await rules.putRule(ALICE, 'room', '!e:x', { actions: [] }, { after: '!a:x' });
    expect(ids('room')).toEqual(['!c:x', '!b:x', '!d:x', '!a:x', '!e:x']);
  });

  it('follows before when both before and after are given', async () => {
    await rules.putRule(ALICE, 'sender', '@a:x', { actions: [] });
    await rules.putRule(ALICE, 'sender', '@b:x', { actions: [] });
    await rules.putRule(ALICE, 'sender', '@n:x', { actions: [] }, { before: '@a:x', after: '@b:x' });
    expect(ids('sender')).toEqual(['@b:x', '@n:x', '@a:x']);
  });

  it('moves an existing rule when it is put again with before/after, and keeps its place otherwise', async () => {
    await rules.putRule(ALICE, 'content', 'a', { actions: [], pattern: 'a' });
    await rules.putRule(ALICE, 'content', 'b', { actions: [], pattern: 'b' });
    await rules.putRule(ALICE, 'content', 'c', { actions: [], pattern: 'c' });
    await rules.putRule(ALICE, 'content', 'c', { actions: ['notify'], pattern: 'cc' }, { after: 'a' });
    expect(ids('content')).toEqual(['b', 'a', 'c', '.m.rule.contains_user_name']);
    await rules.putRule(ALICE, 'content', 'b', { actions: ['notify'], pattern: 'bb' });
    expect(ids('content')).toEqual(['b', 'a', 'c', '.m.rule.contains_user_name']);
    expect(rules.rule(ALICE, 'content', 'c')).toEqual({ rule_id: 'c', default: false, enabled: true, actions: ['notify'], pattern: 'cc' });
  });

  it('keeps a replaced rule disabled', async () => {
    await rules.putRule(ALICE, 'override', 'r', { actions: [], conditions: cond });
    await rules.setEnabled(ALICE, 'override', 'r', false);
    await rules.putRule(ALICE, 'override', 'r', { actions: ['notify'], conditions: cond });
    expect(rules.rule(ALICE, 'override', 'r').enabled).toBe(false);
  });

  it('rejects before/after naming a missing rule, a server-default rule or the rule itself', async () => {
    await rules.putRule(ALICE, 'underride', 'u', { actions: [], conditions: cond });
    for (const placement of [{ before: 'nope' }, { after: '.m.rule.message' }, { before: 'u' }]) {
      const e = await errorOf(rules.putRule(ALICE, 'underride', 'u', { actions: [], conditions: cond }, placement));
      expect(e.status).toBe(400);
    }
    expect((await errorOf(rules.putRule(ALICE, 'underride', 'v', { actions: [] }, { before: 'nope' }))).message).toContain('nope');
    expect(ids('underride')[0]).toBe('u');
    expect(ids('underride')).not.toContain('v');
  });

  it('keeps the rules of different users apart', async () => {
    await rules.putRule(ALICE, 'room', '!a:x', { actions: [] });
    expect(ids('room', BOB)).toEqual([]);
  });
});

describe('validation and server-default rules', () => {
  it('reserves rule ids starting with a dot and forbids slashes', async () => {
    expect((await errorOf(rules.putRule(ALICE, 'override', '.m.rule.master', { actions: [], conditions: [] }))).status).toBe(400);
    expect((await errorOf(rules.putRule(ALICE, 'override', '.mine', { actions: [], conditions: [] }))).errcode).toBe('M_INVALID_PARAM');
    expect((await errorOf(rules.putRule(ALICE, 'room', 'a/b', { actions: [] }))).errcode).toBe('M_INVALID_PARAM');
  });

  it('requires actions, a content pattern, and well-formed conditions', async () => {
    expect((await errorOf(rules.putRule(ALICE, 'room', '!r:x', {}))).errcode).toBe('M_MISSING_PARAM');
    expect((await errorOf(rules.putRule(ALICE, 'room', '!r:x', { actions: ['explode'] }))).errcode).toBe('M_INVALID_PARAM');
    expect((await errorOf(rules.putRule(ALICE, 'room', '!r:x', { actions: [{ value: 1 }] }))).errcode).toBe('M_BAD_JSON');
    expect((await errorOf(rules.putRule(ALICE, 'content', 'c', { actions: [] }))).errcode).toBe('M_MISSING_PARAM');
    expect((await errorOf(rules.putRule(ALICE, 'override', 'o', { actions: [], conditions: [{ key: 'type' }] }))).errcode).toBe('M_BAD_JSON');
    expect((await errorOf(rules.putRule(ALICE, 'override', 'o', { actions: [], conditions: [{ kind: 'event_match', key: 'type' }] }))).errcode).toBe('M_BAD_JSON');
  });

  it('accepts an override rule without conditions and an unknown condition kind', async () => {
    await rules.putRule(ALICE, 'override', 'all', { actions: [] });
    await rules.putRule(ALICE, 'override', 'future', { actions: [], conditions: [{ kind: 'org.example.future', x: 1 }] });
    expect(rules.rule(ALICE, 'override', 'all').conditions).toEqual([]);
  });

  it('refuses to delete a server-default rule and 404s unknown rules', async () => {
    expect((await errorOf(rules.deleteRule(ALICE, 'underride', '.m.rule.message'))).status).toBe(400);
    expect((await errorOf(rules.deleteRule(ALICE, 'underride', '.m.rule.nope'))).errcode).toBe('M_NOT_FOUND');
    expect((await errorOf(rules.deleteRule(ALICE, 'underride', 'nope'))).errcode).toBe('M_NOT_FOUND');
    expect(() => rules.rule(ALICE, 'room', '!nope:x')).toThrow(MatrixError);
    expect((await errorOf(rules.setEnabled(ALICE, 'override', '.m.rule.message', false))).errcode).toBe('M_NOT_FOUND');
  });

  it('deletes a user rule', async () => {
    await rules.putRule(ALICE, 'sender', BOB, { actions: [] });
    await rules.deleteRule(ALICE, 'sender', BOB);
    expect(ids('sender')).toEqual([]);
  });

  it('changes enabled and actions of server-default rules per user', async () => {
    await rules.setEnabled(ALICE, 'override', '.m.rule.master', true);
    await rules.setActions(ALICE, 'underride', '.m.rule.message', ['notify', { set_tweak: 'sound', value: 'x' }]);
    const mine = rules.ruleset(ALICE);
    expect(mine.override[0]).toMatchObject({ rule_id: '.m.rule.master', enabled: true, default: true });
    expect(mine.underride.find((r) => r.rule_id === '.m.rule.message')!.actions).toEqual(['notify', { set_tweak: 'sound', value: 'x' }]);
    expect(rules.ruleset(BOB).override[0]!.enabled).toBe(false);
  });
});

describe('sync delivery', () => {
  function emptyResponse(): SyncResponse {
    return {
      next_batch: 's', rooms: { join: {}, invite: {}, leave: {}, knock: {} }, account_data: { events: [] },
      presence: { events: [] }, to_device: { events: [] }, device_lists: { changed: [], left: [] },
      device_one_time_keys_count: {}, device_unused_fallback_key_types: [],
    };
  }

  it('sends m.push_rules on the initial sync and after a change only', async () => {
    const c = pushRulesSyncContributor(rules);
    const initial = emptyResponse();
    c.contribute({ userId: ALICE, deviceId: 'D', since: null, upTo: streams.current }, initial);
    expect(initial.account_data.events).toHaveLength(1);
    expect(initial.account_data.events[0]).toMatchObject({ type: 'm.push_rules', content: { global: { content: [{ rule_id: '.m.rule.contains_user_name' }] } } });

    const before = streams.current;
    expect(c.hasNews({ userId: ALICE, deviceId: 'D', since: before, upTo: before })).toBe(false);
    const quiet = emptyResponse();
    c.contribute({ userId: ALICE, deviceId: 'D', since: before, upTo: before }, quiet);
    expect(quiet.account_data.events).toEqual([]);

    await rules.setEnabled(ALICE, 'override', '.m.rule.master', true);
    expect(notifier.notified).toEqual([ALICE]);
    const after = streams.current;
    expect(after).toBeGreaterThan(before);
    expect(c.hasNews({ userId: ALICE, deviceId: 'D', since: before, upTo: after })).toBe(true);
    expect(c.hasNews({ userId: BOB, deviceId: 'D', since: before, upTo: after })).toBe(false);
    const changed = emptyResponse();
    c.contribute({ userId: ALICE, deviceId: 'D', since: before, upTo: after }, changed);
    const content = changed.account_data.events[0]!['content'] as { global: { override: { enabled: boolean }[] } };
    expect(content.global.override[0]!.enabled).toBe(true);
  });

  it('does not notify or advance the stream when a change is rejected', async () => {
    const pos = streams.current;
    await errorOf(rules.deleteRule(ALICE, 'room', '!missing:x'));
    expect(notifier.notified).toEqual([]);
    expect(rules.changedBetween(ALICE, pos - 1, streams.current + 1)).toBe(false);
  });
});
