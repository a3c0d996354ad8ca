// Push rules and pushers over HTTP against a real homeserver process: the default ruleset, rule CRUD
// with before/after, the spec's errors, /sync delivery of m.push_rules, and a matrix-js-sdk client
// that reads and changes its rules.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startHomeserver, type RegisteredUser, type TestHomeserver } from '../helpers/homeserver.ts';
import { newClient, sdk, waitFor, type Client } from '../helpers/client.ts';

interface Rule { rule_id: string; default: boolean; enabled: boolean; actions: unknown[]; conditions?: unknown[]; pattern?: string }
type Ruleset = Record<'override' | 'content' | 'room' | 'sender' | 'underride', Rule[]>;
interface SyncBody { next_batch: string; account_data: { events: { type: string; content: { global: Ruleset } }[] } }

const R = '/_matrix/client/v3/pushrules';

describe('push rules over HTTP', () => {
  let hs: TestHomeserver;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let client: Client | undefined;

  beforeAll(async () => {
    hs = await startHomeserver({ serverName: 'push.localhost' });
    alice = await hs.registerUser('alice');
    bob = await hs.registerUser('bob');
  });

  afterAll(async () => {
    client?.stopClient();
    await hs?.stop();
    hs?.cleanup();
  });

  const call = <T = Record<string, unknown>>(user: RegisteredUser, method: string, path: string, body?: unknown) =>
    api<T>(hs, method, path, { token: user.accessToken, ...(body !== undefined ? { body } : {}) });

  it('serves the default ruleset under /pushrules/ and /pushrules/global/', async () => {
    const all = await call<{ global: Ruleset }>(alice, 'GET', `${R}/`);
    expect(all.status).toBe(200);
    expect(all.body.global.override[0]).toEqual({ rule_id: '.m.rule.master', default: true, enabled: false, conditions: [], actions: [] });
    expect(all.body.global.content).toEqual([{
      rule_id: '.m.rule.contains_user_name', default: true, enabled: true, pattern: 'alice',
      actions: ['notify', { set_tweak: 'sound', value: 'default' }, { set_tweak: 'highlight' }],
    }]);
    expect(all.body.global.underride.map((r) => r.rule_id)).toEqual(['.m.rule.call', '.m.rule.encrypted_room_one_to_one', '.m.rule.room_one_to_one', '.m.rule.message', '.m.rule.encrypted']);
    const global = await call<Ruleset>(alice, 'GET', `${R}/global/`);
    expect(global.body).toEqual(all.body.global);
    const r0 = await call<{ global: Ruleset }>(alice, 'GET', '/_matrix/client/r0/pushrules/');
    expect(r0.body).toEqual(all.body);
  });

  it('creates, orders, reads and deletes user rules', async () => {
    const put = (id: string, query = '') => call(alice, 'PUT', `${R}/global/room/${encodeURIComponent(id)}${query}`, { actions: [] });
    expect((await put('!a:push.localhost')).status).toBe(200);
    expect((await put('!b:push.localhost')).status).toBe(200);
    expect((await put('!c:push.localhost', `?after=${encodeURIComponent('!b:push.localhost')}`)).status).toBe(200);
    expect((await put('!d:push.localhost', `?before=${encodeURIComponent('!a:push.localhost')}`)).status).toBe(200);
    const rooms = await call<Rule[]>(alice, 'GET', `${R}/global/room/`);
    expect(rooms.body.map((r) => r.rule_id)).toEqual(['!b:push.localhost', '!c:push.localhost', '!d:push.localhost', '!a:push.localhost']);

    const one = await call<Rule>(alice, 'GET', `${R}/global/room/${encodeURIComponent('!c:push.localhost')}`);
    expect(one.body).toEqual({ rule_id: '!c:push.localhost', default: false, enabled: true, actions: [] });

    expect((await call(alice, 'DELETE', `${R}/global/room/${encodeURIComponent('!c:push.localhost')}`)).status).toBe(200);
    expect((await call(alice, 'GET', `${R}/global/room/${encodeURIComponent('!c:push.localhost')}`)).status).toBe(404);
    // Another user's rules are separate.
    expect((await call<Rule[]>(bob, 'GET', `${R}/global/room/`)).body).toEqual([]);
  });

  it('reads and changes enabled and actions, including on server-default rules', async () => {
    const path = `${R}/global/underride/.m.rule.message`;
    expect((await call(alice, 'GET', `${path}/enabled`)).body).toEqual({ enabled: true });
    expect((await call(alice, 'PUT', `${path}/enabled`, { enabled: false })).status).toBe(200);
    expect((await call(alice, 'GET', `${path}/enabled`)).body).toEqual({ enabled: false });
    const actions = ['notify', { set_tweak: 'sound', value: 'bing' }];
    expect((await call(alice, 'PUT', `${path}/actions`, { actions })).status).toBe(200);
    expect((await call(alice, 'GET', `${path}/actions`)).body).toEqual({ actions });
    expect((await call(alice, 'GET', path)).body).toMatchObject({ rule_id: '.m.rule.message', default: true, enabled: false, actions });
    expect((await call(bob, 'GET', `${path}/enabled`)).body).toEqual({ enabled: true });
  });

  it('answers bad scopes, kinds, ids and bodies with the spec errors', async () => {
    const cases: [string, string, unknown, number, string][] = [
      ['GET', `${R}/device/`, undefined, 400, 'M_INVALID_PARAM'],
      ['GET', `${R}/device/override/x`, undefined, 400, 'M_INVALID_PARAM'],
      ['GET', `${R}/global/nonsense/x`, undefined, 400, 'M_INVALID_PARAM'],
      ['PUT', `${R}/global/nonsense/x`, { actions: [] }, 400, 'M_INVALID_PARAM'],
      ['GET', `${R}/global/override/nope`, undefined, 404, 'M_NOT_FOUND'],
      ['GET', `${R}/global/override/nope/enabled`, undefined, 404, 'M_NOT_FOUND'],
      ['PUT', `${R}/global/override/nope/actions`, { actions: [] }, 404, 'M_NOT_FOUND'],
      ['PUT', `${R}/global/override/.m.rule.nope/enabled`, { enabled: true }, 404, 'M_NOT_FOUND'],
      ['DELETE', `${R}/global/sender/nope`, undefined, 404, 'M_NOT_FOUND'],
      ['PUT', `${R}/global/override/.m.rule.master`, { actions: [], conditions: [] }, 400, 'M_INVALID_PARAM'],
      ['PUT', `${R}/global/override/.custom`, { actions: [], conditions: [] }, 400, 'M_INVALID_PARAM'],
      ['DELETE', `${R}/global/override/.m.rule.master`, undefined, 400, 'M_INVALID_PARAM'],
      ['PUT', `${R}/global/content/nopattern`, { actions: [] }, 400, 'M_MISSING_PARAM'],
      ['PUT', `${R}/global/room/x`, {}, 400, 'M_MISSING_PARAM'],
      ['PUT', `${R}/global/room/x?before=missing`, { actions: [] }, 400, 'M_UNKNOWN'],
      ['PUT', `${R}/global/override/.m.rule.master/enabled`, { enabled: 'yes' }, 400, 'M_BAD_JSON'],
    ];
    for (const [method, path, body, status, errcode] of cases) {
      const res = await call<{ errcode?: string }>(alice, method, path, body);
      expect({ method, path, status: res.status, errcode: res.body.errcode }).toEqual({ method, path, status, errcode });
    }
    expect((await api(hs, 'GET', `${R}/`)).status).toBe(401);
  });

  it('puts m.push_rules in the initial sync and wakes a waiting sync when rules change', async () => {
    const initial = await call<SyncBody>(bob, 'GET', '/_matrix/client/v3/sync?timeout=0');
    const rulesEvent = initial.body.account_data.events.find((e) => e.type === 'm.push_rules');
    expect(rulesEvent?.content.global.override[0]).toMatchObject({ rule_id: '.m.rule.master', enabled: false });

    const waiting = call<SyncBody>(bob, 'GET', `/_matrix/client/v3/sync?timeout=20000&since=${encodeURIComponent(initial.body.next_batch)}`);
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    await call(bob, 'PUT', `${R}/global/override/.m.rule.master/enabled`, { enabled: true });
    const next = await waiting;
    expect(Date.now() - started).toBeLessThan(10_000);
    const changed = next.body.account_data.events.find((e) => e.type === 'm.push_rules');
    expect(changed?.content.global.override[0]).toMatchObject({ rule_id: '.m.rule.master', enabled: true });

    const quiet = await call<SyncBody>(bob, 'GET', `/_matrix/client/v3/sync?timeout=0&since=${encodeURIComponent(next.body.next_batch)}`);
    expect(quiet.body.account_data.events.filter((e) => e.type === 'm.push_rules')).toEqual([]);
    await call(bob, 'PUT', `${R}/global/override/.m.rule.master/enabled`, { enabled: false });
  });

  it('stores, lists and deletes pushers', async () => {
    expect((await call(alice, 'GET', '/_matrix/client/v3/pushers')).body).toEqual({ pushers: [] });
    const pusher = {
      kind: 'http', app_id: 'org.example.app', pushkey: 'pk-1', app_display_name: 'Example', device_display_name: 'Phone',
      lang: 'en', data: { url: 'https://push.example.org/_matrix/push/v1/notify', format: 'event_id_only' },
    };
    expect((await call(alice, 'POST', '/_matrix/client/v3/pushers/set', pusher)).status).toBe(200);
    expect((await call(alice, 'GET', '/_matrix/client/v3/pushers')).body).toEqual({ pushers: [{ ...pusher, profile_tag: '' }] });
    const bad = await call<{ errcode: string }>(alice, 'POST', '/_matrix/client/v3/pushers/set', { ...pusher, data: {} });
    expect([bad.status, bad.body.errcode]).toEqual([400, 'M_MISSING_PARAM']);
    expect((await call(alice, 'POST', '/_matrix/client/v3/pushers/set', { kind: null, app_id: 'org.example.app', pushkey: 'pk-1' })).status).toBe(200);
    expect((await call(alice, 'GET', '/_matrix/client/v3/pushers')).body).toEqual({ pushers: [] });
  });

  it('drops a device\'s pushers when the device logs out', async () => {
    const dave = await hs.registerUser('dave');
    const pusher = {
      kind: 'http', app_id: 'org.example.app', pushkey: 'pk-dave', app_display_name: 'Example', device_display_name: 'Phone',
      lang: 'en', data: { url: 'https://push.example.org/_matrix/push/v1/notify' },
    };
    expect((await call(dave, 'POST', '/_matrix/client/v3/pushers/set', pusher)).status).toBe(200);
    expect((await call(dave, 'POST', '/_matrix/client/v3/logout', {})).status).toBe(200);
    const login = await api<{ access_token: string }>(hs, 'POST', '/_matrix/client/v3/login', {
      body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'dave' }, password: dave.password },
    });
    expect(login.status).toBe(200);
    await waitFor('the pusher to be removed', async () => {
      const res = await api<{ pushers: unknown[] }>(hs, 'GET', '/_matrix/client/v3/pushers', { token: login.body.access_token });
      return res.body.pushers.length === 0;
    }, 5_000);
  });

  it('lets a matrix-js-sdk client read its rules from sync and change them', async () => {
    const carol = await hs.registerUser('carol');
    client = await newClient(hs.baseUrl, carol);
    const c = client;
    await waitFor('the SDK to load push rules from sync', () => c.pushRules?.global.override?.some((r) => r.rule_id === '.m.rule.master'));
    await c.setPushRuleEnabled('global', sdk.PushRuleKind.Override, '.m.rule.master', true);
    await waitFor('the SDK to see the master rule enabled', () => c.pushRules?.global.override?.find((r) => r.rule_id === '.m.rule.master')?.enabled === true);
    await c.addPushRule('global', sdk.PushRuleKind.RoomSpecific, '!muted:push.localhost', { actions: [] });
    await waitFor('the SDK to see the room rule', () => c.pushRules?.global.room?.some((r) => r.rule_id === '!muted:push.localhost'));
    const fetched = await c.getPushRules();
    expect(fetched.global.room?.map((r) => r.rule_id)).toEqual(['!muted:push.localhost']);
  });
});
