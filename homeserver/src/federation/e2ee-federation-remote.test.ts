// Keys of users on other servers: forwarded queries and claims (per server, side by side, failures
// per server), the device-list cache of users we share a room with, and the updates that keep it
// fresh or force a fresh fetch.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ALICE, REMOTE, makeFixture, signedDevice, crossSigningKey, crossSigningKeyObject, type Fixture } from '../services/e2ee/test-fixture.ts';
import { E2eeFederationStore, e2eeFederationMigrations } from '../storage/e2ee-federation-store.ts';
import type { JsonObject } from '../core/pdu.ts';
import { createLogger } from '../logger.ts';
import { FederationRequestError } from './federation-client.ts';
import { EduRejected } from './e2ee-federation-edus.ts';
import { RemoteE2ee, type FederationRequester } from './e2ee-federation-remote.ts';

const ROOM = '!room:hs.test';
const ELSEWHERE = 'elsewhere.test';
const STRANGER = '@erin:elsewhere.test'; // shares no room with our users
const DEVICES_PATH = `/_matrix/federation/v1/user/devices/${encodeURIComponent(REMOTE)}`;

type Handler = (body: unknown) => unknown;

let fx: Fixture;
let store: E2eeFederationStore;
let remote: RemoteE2ee;
let calls: string[];
let routes: Map<string, Handler>;

beforeEach(async () => {
  fx = await makeFixture();
  fx.db.migrate(e2eeFederationMigrations);
  store = new E2eeFederationStore(fx.db);
  calls = [];
  routes = new Map();
  const answer = async (dest: string, method: string, path: string, body: unknown): Promise<never> => {
    calls.push(`${method} ${dest} ${path}`);
    const h = routes.get(`${method} ${dest} ${path}`);
    if (!h) throw new FederationRequestError(dest, 404, 'M_UNRECOGNIZED', 'Unrecognized request', {});
    return await h(body) as never;
  };
  const client: FederationRequester = {
    get: (dest, path) => answer(dest, 'GET', path, undefined),
    post: (dest, path, body) => answer(dest, 'POST', path, body),
  };
  remote = new RemoteE2ee({
    db: fx.db, store, e2eeStore: fx.e2ee.store, deviceLists: fx.e2ee.deviceLists, client,
    usersSharingRoomWith: (u) => fx.eventsStore.usersSharingRoomWith(u), isLocalUser: (u) => u.endsWith(':hs.test'),
    now: () => Date.now(), logger: createLogger('error', {}, () => {}),
  });
  fx.e2ee.keys.setRemote(remote);
  await fx.setMembership(ROOM, ALICE, 'join');
  await fx.setMembership(ROOM, REMOTE, 'join');
});
afterEach(() => fx.db.close());

const d1 = signedDevice(REMOTE, 'D1');
const d2 = signedDevice(REMOTE, 'D2');
const master = crossSigningKeyObject(REMOTE, 'master', crossSigningKey());

function serveDevices(streamId: number, devices: { device_id: string; keys?: JsonObject; device_display_name?: string }[]): void {
  routes.set(`GET ${ELSEWHERE} ${DEVICES_PATH}`, () => ({ user_id: REMOTE, stream_id: streamId, devices, master_key: master, self_signing_key: null }));
}

const query = (users: Record<string, string[]>) => fx.e2ee.keys.query(ALICE, users, 1000);
const changedFor = (from: number) => fx.e2ee.deviceLists.changesFor(ALICE, from, fx.streams.current).changed;
const fetches = () => calls.filter((c) => c.startsWith('GET')).length;

describe('keys of remote users for our clients', () => {
  it('fetches the device list of a user we share a room with once, then serves it from the cache', async () => {
    serveDevices(5, [{ device_id: 'D1', keys: d1.deviceKeys, device_display_name: 'Phone' }]);
    const first = await query({ [REMOTE]: [] });
    const second = await query({ [REMOTE]: ['D1'] });
    expect(fetches()).toBe(1);
    for (const r of [first, second]) {
      expect(r.failures).toEqual({});
      expect(r.device_keys[REMOTE]).toEqual({ D1: { ...d1.deviceKeys, unsigned: { device_display_name: 'Phone' } } });
      expect(r.master_keys[REMOTE]).toEqual(master);
    }
    expect(store.remoteList(REMOTE)).toMatchObject({ stream_id: 5, stale: 0 });
  });

  it('asks the server with /user/keys/query for users we share no room with, and caches nothing', async () => {
    const erin = signedDevice(STRANGER, 'E1');
    let asked: unknown;
    routes.set(`POST ${ELSEWHERE} /_matrix/federation/v1/user/keys/query`, (body) => {
      asked = body;
      return { device_keys: { [STRANGER]: { E1: erin.deviceKeys, FORGED: { ...erin.deviceKeys, device_id: 'E1' } }, '@other:elsewhere.test': { X: {} } } };
    });
    const r = await query({ [STRANGER]: [] });
    await query({ [STRANGER]: [] });
    expect(asked).toEqual({ device_keys: { [STRANGER]: [] } });
    expect(calls.filter((c) => c.startsWith('POST'))).toHaveLength(2);
    // Only what was asked, and only devices that describe themselves.
    expect(r.device_keys).toEqual({ [STRANGER]: { E1: erin.deviceKeys } });
    expect(store.remoteList(STRANGER)).toBeUndefined();
  });

  it('asks the servers of a request side by side', async () => {
    const release: (() => void)[] = [];
    const slow = (answer: unknown) => () => new Promise((r) => release.push(() => r(answer)));
    routes.set(`POST ${ELSEWHERE} /_matrix/federation/v1/user/keys/query`, slow({ device_keys: {} }));
    routes.set('POST third.test /_matrix/federation/v1/user/keys/query', slow({ device_keys: {} }));
    const pending = query({ [STRANGER]: [], '@tess:third.test': [] });
    await new Promise((r) => setTimeout(r, 10));
    expect(calls.sort()).toEqual([`POST ${ELSEWHERE} /_matrix/federation/v1/user/keys/query`, 'POST third.test /_matrix/federation/v1/user/keys/query']);
    for (const r of release) r();
    expect((await pending).failures).toEqual({});
  });

  it('reports a server that fails under failures, with its status, and still serves the others', async () => {
    serveDevices(5, [{ device_id: 'D1', keys: d1.deviceKeys }]);
    routes.set('POST third.test /_matrix/federation/v1/user/keys/query', () => { throw new FederationRequestError('third.test', 502, null, 'bad gateway', {}); });
    const r = await query({ [REMOTE]: [], '@tess:third.test': [] });
    expect(r.failures).toEqual({ 'third.test': { status: 502, message: 'third.test answered 502: bad gateway' } });
    expect(Object.keys(r.device_keys[REMOTE] ?? {})).toEqual(['D1']);
  });

  it('shows the requester their own signature on a remote user\'s master key', async () => {
    serveDevices(5, []);
    const publicKey = Object.values(master['keys'] as Record<string, string>)[0]!;
    await fx.db.write(() => fx.e2ee.store.setSignature(REMOTE, publicKey, ALICE, 'ed25519:alice-usk', 'sig-by-alice'));
    const r = await query({ [REMOTE]: [] });
    expect((r.master_keys[REMOTE] as { signatures: Record<string, Record<string, string>> }).signatures[ALICE]).toEqual({ 'ed25519:alice-usk': 'sig-by-alice' });
  });

  it('forwards claims to the user\'s server and passes on only what was asked', async () => {
    let asked: unknown;
    routes.set(`POST ${ELSEWHERE} /_matrix/federation/v1/user/keys/claim`, (body) => {
      asked = body;
      return { one_time_keys: { [REMOTE]: { D1: { 'signed_curve25519:AAAA': { key: 'k', signatures: {} } }, EXTRA: { 'signed_curve25519:B': 'x' } }, '@mallory:elsewhere.test': { M: { 'a:b': 'c' } } } };
    });
    const r = await fx.e2ee.keys.claim({ [REMOTE]: { D1: 'signed_curve25519' } }, 1000);
    expect(asked).toEqual({ one_time_keys: { [REMOTE]: { D1: 'signed_curve25519' } } });
    expect(r).toEqual({ one_time_keys: { [REMOTE]: { D1: { 'signed_curve25519:AAAA': { key: 'k', signatures: {} } } } }, failures: {} });
  });

  it('reports a claim that could not be made under failures', async () => {
    const r = await fx.e2ee.keys.claim({ [REMOTE]: { D1: 'signed_curve25519' } }, 1000);
    expect(r.failures[ELSEWHERE]).toMatchObject({ status: 404 });
  });

  it('marks the list stale when fetching it fails, and fetches it again on the next query', async () => {
    const r = await query({ [REMOTE]: [] });
    expect(r.failures[ELSEWHERE]).toMatchObject({ status: 404 });
    serveDevices(7, [{ device_id: 'D1', keys: d1.deviceKeys }]);
    expect(Object.keys((await query({ [REMOTE]: [] })).device_keys[REMOTE] ?? {})).toEqual(['D1']);
    expect(fetches()).toBe(2);
  });
});

describe('device-list updates from other servers', () => {
  const edu = (over: Record<string, unknown>): Record<string, unknown> => ({ user_id: REMOTE, device_id: 'D2', stream_id: 6, prev_id: [5], keys: d2.deviceKeys, ...over });

  beforeEach(async () => {
    serveDevices(5, [{ device_id: 'D1', keys: d1.deviceKeys }]);
    await query({ [REMOTE]: [] });
  });

  it('applies an update that follows on from the cached list and tells our users who share a room', async () => {
    const from = fx.streams.current;
    fx.notifier.woken.length = 0;
    expect(await remote.deviceListUpdate(ELSEWHERE, edu({ device_display_name: 'Tablet' }))).toBe('apply');
    expect(fetches()).toBe(1);
    expect(changedFor(from)).toEqual([REMOTE]);
    expect(fx.notifier.woken).toContain(ALICE);
    const r = await query({ [REMOTE]: [] });
    expect(Object.keys(r.device_keys[REMOTE] ?? {})).toEqual(['D1', 'D2']);
    expect(r.device_keys[REMOTE]!['D2']!['unsigned']).toEqual({ device_display_name: 'Tablet' });
    expect(store.remoteList(REMOTE)?.stream_id).toBe(6);
  });

  it('removes a device an update reports deleted', async () => {
    expect(await remote.deviceListUpdate(ELSEWHERE, { user_id: REMOTE, device_id: 'D1', stream_id: 6, prev_id: [5], deleted: true })).toBe('apply');
    expect((await query({ [REMOTE]: [] })).device_keys[REMOTE]).toEqual({});
  });

  it('fetches the whole list again when an update shows that one was lost', async () => {
    serveDevices(9, [{ device_id: 'D1', keys: d1.deviceKeys }, { device_id: 'D2', keys: d2.deviceKeys }, { device_id: 'D3' }]);
    const from = fx.streams.current;
    expect(await remote.deviceListUpdate(ELSEWHERE, edu({ stream_id: 9, prev_id: [8] }))).toBe('resync');
    expect(fetches()).toBe(2);
    expect(changedFor(from)).toEqual([REMOTE]);
    expect(store.remoteList(REMOTE)?.stream_id).toBe(9);
    expect(store.remoteDevices(REMOTE).map((d) => d.device_id)).toEqual(['D1', 'D2', 'D3']);
    // The next update follows on from the fetched list.
    expect(await remote.deviceListUpdate(ELSEWHERE, edu({ device_id: 'D3', keys: undefined, stream_id: 10, prev_id: [9] }))).toBe('apply');
    expect(fetches()).toBe(2);
  });

  it('skips an update it has already applied', async () => {
    await remote.deviceListUpdate(ELSEWHERE, edu({}));
    const from = fx.streams.current;
    expect(await remote.deviceListUpdate(ELSEWHERE, edu({}))).toBe('skip');
    expect(changedFor(from)).toEqual([]);
  });

  it('applies updates for one user in the order they arrive, even while a fetch is under way', async () => {
    let release!: () => void;
    routes.set(`GET ${ELSEWHERE} ${DEVICES_PATH}`, () => new Promise((r) => { release = () => r({ user_id: REMOTE, stream_id: 9, devices: [] }); }));
    const gap = remote.deviceListUpdate(ELSEWHERE, edu({ stream_id: 9, prev_id: [8] }));
    const next = remote.deviceListUpdate(ELSEWHERE, edu({ stream_id: 10, prev_id: [9] }));
    await new Promise((r) => setTimeout(r, 10));
    release();
    expect([await gap, await next]).toEqual(['resync', 'apply']);
    expect(store.remoteDevices(REMOTE).map((d) => d.device_id)).toEqual(['D2']);
  });

  it('ignores updates about users we share no room with, and forgets their cached list', async () => {
    await fx.setMembership(ROOM, ALICE, 'leave');
    expect(await remote.deviceListUpdate(ELSEWHERE, edu({}))).toBe('ignored');
    expect(store.remoteList(REMOTE)).toBeUndefined();
    expect(fetches()).toBe(1);
  });

  it('refuses an update from a server about another server\'s user', async () => {
    await expect(remote.deviceListUpdate('evil.test', edu({}))).rejects.toThrow(EduRejected);
    expect(store.remoteList(REMOTE)?.stream_id).toBe(5);
  });

  it('forgets a cached list once no local user shares a room with its owner', async () => {
    await remote.forgetIfUnshared([REMOTE]);
    expect(store.remoteList(REMOTE)).toBeDefined();
    await fx.setMembership(ROOM, REMOTE, 'leave');
    await remote.forgetIfUnshared([REMOTE]);
    expect(store.remoteList(REMOTE)).toBeUndefined();
    expect(store.remoteDevices(REMOTE)).toEqual([]);
  });

  it('stores new cross-signing keys from m.signing_key_update and tells our users', async () => {
    const newMaster = crossSigningKeyObject(REMOTE, 'master', crossSigningKey());
    const from = fx.streams.current;
    expect(await remote.signingKeyUpdate(ELSEWHERE, { user_id: REMOTE, master_key: newMaster })).toBe('applied');
    expect(changedFor(from)).toEqual([REMOTE]);
    expect((await query({ [REMOTE]: [] })).master_keys[REMOTE]).toEqual(newMaster);
  });
});
