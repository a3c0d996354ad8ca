// The system the fuzzer and the hostile-access tests attack: a homeserver with the bridge as its
// application service, a fake federation server whose signatures the homeserver accepts, a partner
// homeserver for cross-institution callers, and the fixtures requests need (users with every bridge
// role, a room with an event, a filter, a registration token, a key backup). Digests of both
// databases tell whether a request changed anything.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { api, startHomeserver, type RegisteredUser, type TestHomeserver } from '../helpers/homeserver.ts';
import { openIdToken, prepareBridge, startBridge, testPolicy, type TestBridge } from '../helpers/bridge.ts';
import { startFakeServer, type FakeServer } from '../helpers/federation.ts';
import { freePort } from '../helpers/ports.ts';
import { DatabaseDigester, changedTables, type Digest } from './db-digest.ts';

/**
 * Columns that change on any authenticated request by design, left out of the digests. The
 * homeserver records when and from where each device was last seen (GET /devices shows it).
 */
export const HOMESERVER_BOOKKEEPING = { devices: ['last_seen_ts', 'last_seen_ip'] } as const;
/** The bridge keeps its rate-limit windows and sessions' last use in memory: nothing to leave out. */
export const BRIDGE_BOOKKEEPING = {} as const;

export type BridgeRole = 'student' | 'supporter' | 'counsellor' | 'admin';

export interface FuzzStack {
  hs: TestHomeserver;
  bridge: TestBridge;
  partnerHs: TestHomeserver;
  fake: FakeServer;
  /** alice owns the room; bob is in it; mallory is not; admin is a server admin; carol's tokens are spent by the fuzzer. */
  users: { alice: RegisteredUser; bob: RegisteredUser; mallory: RegisteredUser; admin: RegisteredUser; carol: RegisteredUser };
  roomId: string;
  eventId: string;
  filterId: string;
  registrationToken: string;
  /** Bridge session tokens per role, and of a partner institution's student. */
  sessions: Record<BridgeRole | 'partner', string>;
  /** Signs the holder of a role in again: a session of its own (for endpoints that spend one). */
  freshSession(role: BridgeRole | 'partner'): Promise<string>;
  /** Digests of homeserver.db and bridge.sqlite. */
  digest(): { hs: Digest; bridge: Digest };
  /** The tables that differ between two digests, prefixed with their database. */
  changed(a: { hs: Digest; bridge: Digest }, b: { hs: Digest; bridge: Digest }): string[];
  /** Whether both processes still answer. */
  alive(): Promise<boolean>;
  stop(): Promise<void>;
}

const enc = encodeURIComponent;

export async function startFuzzStack(): Promise<FuzzStack> {
  const fake = await startFakeServer();
  const partnerHs = await startHomeserver();
  const federationPort = await freePort();
  const serverName = `localhost:${federationPort}`;
  const prepared = await prepareBridge({ serverName });
  // The fuzzer sends thousands of requests a minute from one user: lift the per-user rate limits.
  const config = join(prepared.dataDir, 'homeserver-fuzz.yaml');
  writeFileSync(config, ['rc_message: { per_second: 100000, burst_count: 100000 }', 'rc_login: { per_second: 100000, burst_count: 100000 }', 'rc_registration: { per_second: 100000, burst_count: 100000 }', ''].join('\n'));
  const hs = await startHomeserver({
    federationPort, serverName,
    extraArgs: ['--config', config, '--appservice', prepared.registrationFile, '--federation-insecure-skip-verify-for', fake.serverName, '--federation-insecure-skip-verify-for', partnerHs.serverName, '--durable-commits', 'false'],
  });
  const bridge = await startBridge({
    homeserver: hs, prepared, policy: testPolicy(serverName, [partnerHs.serverName]), admins: [`@admin:${serverName}`],
    federationEndpoints: { [partnerHs.serverName]: `https://127.0.0.1:${partnerHs.federationPort}` },
  });
  const alice = await hs.registerUser('alice');
  const bob = await hs.registerUser('bob');
  const mallory = await hs.registerUser('mallory');
  const admin = await hs.registerUser('admin', { admin: true });
  const carol = await hs.registerUser('carol');
  const roomId = (await api<{ room_id: string }>(hs, 'POST', '/_matrix/client/v3/createRoom', { token: alice.accessToken, body: { invite: [bob.userId], name: 'fuzz room' } })).body.room_id;
  await api(hs, 'POST', `/_matrix/client/v3/join/${enc(roomId)}`, { token: bob.accessToken, body: {} });
  const eventId = (await api<{ event_id: string }>(hs, 'PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/fixture-1`, { token: alice.accessToken, body: { msgtype: 'm.text', body: 'fixture' } })).body.event_id;
  const filterId = (await api<{ filter_id: string }>(hs, 'POST', `/_matrix/client/v3/user/${enc(alice.userId)}/filter`, { token: alice.accessToken, body: { room: { timeline: { limit: 5 } } } })).body.filter_id;
  const registrationToken = (await api<{ token: string }>(hs, 'POST', '/_synapse/admin/v1/registration_tokens/new', { token: admin.accessToken, body: { token: 'fuzz-token' } })).body.token;
  await api(hs, 'POST', '/_matrix/client/v3/room_keys/version', { token: alice.accessToken, body: { algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: { public_key: 'abc' } } });
  await api(hs, 'PUT', `/_matrix/client/v3/pushrules/global/override/${enc('fixture-rule')}`, { token: alice.accessToken, body: { actions: ['notify'], conditions: [] } });

  const signIn = async (h: TestHomeserver, user: RegisteredUser): Promise<string> => {
    const r = await bridge.api<{ session_token: string }>('POST', '/v1/session', { body: await openIdToken(h, user) });
    if (r.status !== 200) throw new Error(`bridge sign-in failed: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.session_token;
  };
  const sup = await hs.registerUser('sup');
  const coun = await hs.registerUser('coun');
  const student = await hs.registerUser('s-7kq2m9');
  const partner = await partnerHs.registerUser('s-partner');
  const adminSession = await signIn(hs, admin);
  for (const [path, body] of [[`/v1/admin/roster/supporters/${enc(sup.userId)}`, { topics: ['exam-stress'], training: [] }], [`/v1/admin/roster/counsellors/${enc(coun.userId)}`, {}]] as const) {
    const r = await bridge.api('PUT', path, { token: adminSession, body });
    if (r.status !== 200) throw new Error(`roster ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  }
  const holders: Record<BridgeRole | 'partner', [TestHomeserver, RegisteredUser]> = { admin: [hs, admin], supporter: [hs, sup], counsellor: [hs, coun], student: [hs, student], partner: [partnerHs, partner] };
  const sessions = { admin: adminSession, supporter: await signIn(hs, sup), counsellor: await signIn(hs, coun), student: await signIn(hs, student), partner: await signIn(partnerHs, partner) };

  // Warm the homeserver's key cache for the fake server, so that a signed request changes nothing.
  await fake.request(hs, 'GET', '/_matrix/federation/v1/query/profile', { query: { user_id: alice.userId } });

  const hsDb = new DatabaseDigester(join(hs.dataDir, 'homeserver.db'), HOMESERVER_BOOKKEEPING);
  const bridgeDb = new DatabaseDigester(join(bridge.dataDir, 'bridge.sqlite'), BRIDGE_BOOKKEEPING);
  return {
    hs, bridge, partnerHs, fake, users: { alice, bob, mallory, admin, carol }, roomId, eventId, filterId, registrationToken, sessions,
    freshSession: (role) => signIn(...holders[role]),
    digest: () => ({ hs: hsDb.digest(), bridge: bridgeDb.digest() }),
    changed: (a, b) => [...changedTables(a.hs, b.hs).map((t) => `homeserver.db:${t}`), ...changedTables(a.bridge, b.bridge).map((t) => `bridge.sqlite:${t}`)],
    async alive() {
      try {
        const [h, b] = await Promise.all([fetch(`${hs.baseUrl}/_matrix/client/versions`, { signal: AbortSignal.timeout(10_000) }), fetch(`${bridge.url}/health`, { signal: AbortSignal.timeout(10_000) })]);
        return h.status === 200 && b.status === 200;
      } catch {
        return false;
      }
    },
    async stop() {
      hsDb.close();
      bridgeDb.close();
      await bridge.stop();
      await hs.stop();
      await partnerHs.stop();
      await fake.stop();
      bridge.cleanup();
      hs.cleanup();
      partnerHs.cleanup();
    },
  };
}
