// The federation transport between real homeserver processes on loopback: HTTPS listeners with
// self-signed development certificates (accepted only where configured), key fetching and the
// notary API, X-Matrix request authentication with real key look-ups, the allow-list, and key
// rotation. Fake servers in the test process stand in for a third party, a forger and an outsider.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { api, startHomeserver, type RegisteredUser, type TestHomeserver } from '../helpers/homeserver.ts';
import { freePort } from '../helpers/ports.ts';
import {
  federationClientAs, identityOf, isSignedBy, rawFederationRequest, signedFederationRequest, startFakeServer, type FakeServer,
} from '../helpers/federation.ts';
import { verifyKeyResponse } from '../../homeserver/src/federation/key-response.ts';
import { verifyJsonSignature, generateSigningKey } from '../../homeserver/src/core/signing.ts';
import { encodeBase64 } from '../../homeserver/src/core/base64.ts';
import { FederationRequestError } from '../../homeserver/src/federation/federation-client.ts';

interface KeyResponse { server_name: string; valid_until_ts: number; verify_keys: Record<string, { key: string }>; old_verify_keys: Record<string, { key: string; expired_ts: number }>; signatures: Record<string, Record<string, string>> }
interface ErrorBody { errcode: string; error: string }

describe('federation transport between two homeservers', () => {
  let a: TestHomeserver;
  let b: TestHomeserver;
  let trusted: FakeServer; // on A's allow-list
  let outsider: FakeServer; // not on A's allow-list
  let untrusted: FakeServer; // B has not been told to accept its certificate
  let viaCa: FakeServer; // B trusts its certificate through federation_ca_file
  let alice: RegisteredUser;
  let alias: string;
  let roomId: string;

  beforeAll(async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    [trusted, outsider, untrusted, viaCa] = await Promise.all([startFakeServer(), startFakeServer(), startFakeServer(), startFakeServer()]);
    const nameA = `localhost:${portA}`;
    const nameB = `localhost:${portB}`;
    a = await startHomeserver({
      federationPort: portA,
      extraArgs: [
        '--federation-domain-whitelist', nameB, '--federation-domain-whitelist', trusted.serverName,
        // The outsider's certificate is accepted too, so that only the allow-list can be what stops A.
        ...[nameB, trusted.serverName, outsider.serverName].flatMap((n) => ['--federation-insecure-skip-verify-for', n]),
      ],
    });
    b = await startHomeserver({
      federationPort: portB,
      extraArgs: ['--federation-insecure-skip-verify-for', nameA, '--federation-ca-file', viaCa.certPath],
    });
    alice = await a.registerUser('alice');
    await api(a, 'PUT', `/_matrix/client/v3/profile/${encodeURIComponent(alice.userId)}/displayname`, { token: alice.accessToken, body: { displayname: 'Alice A' } });
    const room = await api<{ room_id: string }>(a, 'POST', '/_matrix/client/v3/createRoom', { token: alice.accessToken, body: { room_alias_name: 'support' } });
    roomId = room.body.room_id;
    alias = `#support:${a.serverName}`;
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), trusted?.stop(), outsider?.stop(), untrusted?.stop(), viaCa?.stop()]);
    a?.cleanup();
    b?.cleanup();
  });

  const keysOf = async (hs: TestHomeserver): Promise<KeyResponse> => (await rawFederationRequest<KeyResponse>(hs, 'GET', '/_matrix/key/v2/server')).body;

  it('serves the federation API over HTTPS only', async () => {
    const res = await rawFederationRequest<{ server: { name: string } }>(a, 'GET', '/_matrix/federation/v1/version');
    expect(res.status).toBe(200);
    expect(res.body.server.name).toMatch(/Peerline/);
    await expect(fetch(`http://127.0.0.1:${a.federationPort}/_matrix/federation/v1/version`)).rejects.toThrow();
  });

  it('publishes its signing key, self-signed and valid for a while', async () => {
    const keys = await keysOf(a);
    const v = verifyKeyResponse(keys, a.serverName, Date.now(), { rejectExpired: true });
    expect(v.keys.map((k) => k.keyId)).toEqual([identityOf(a).signingKey.keyId]);
    expect(keys.valid_until_ts).toBeGreaterThan(Date.now() + 3600_000);
  });

  it('lets B fetch A\'s keys over HTTPS, accepting A\'s self-signed certificate because it is configured to', async () => {
    const res = await rawFederationRequest<{ server_keys: KeyResponse[] }>(b, 'GET', `/_matrix/key/v2/query/${encodeURIComponent(a.serverName)}`);
    expect(res.status).toBe(200);
    expect(res.body.server_keys).toHaveLength(1);
    const entry = res.body.server_keys[0]!;
    expect(entry.verify_keys).toEqual((await keysOf(a)).verify_keys);
    // Signed by A (its own response, unchanged) and by B as notary.
    verifyKeyResponse(entry, a.serverName, Date.now());
    const bKey = identityOf(b).signingKey;
    expect(verifyJsonSignature(entry as unknown as Record<string, unknown>, b.serverName, bKey.keyId, bKey.publicKeyBase64)).toBe(true);
  });

  it('answers notary queries in the batch form too', async () => {
    const res = await rawFederationRequest<{ server_keys: KeyResponse[] }>(b, 'POST', '/_matrix/key/v2/query', {
      body: { server_keys: { [a.serverName]: { [identityOf(a).signingKey.keyId]: { minimum_valid_until_ts: Date.now() } }, [b.serverName]: {} } },
    });
    expect(res.status).toBe(200);
    expect(res.body.server_keys.map((k) => k.server_name).sort()).toEqual([a.serverName, b.serverName].sort());
  });

  it('makes B refuse a self-signed certificate it was not told to accept', async () => {
    const res = await rawFederationRequest<{ server_keys: KeyResponse[] }>(b, 'GET', `/_matrix/key/v2/query/${encodeURIComponent(untrusted.serverName)}`);
    expect(res.status).toBe(200);
    expect(res.body.server_keys).toEqual([]);
    // The handshake failed: no HTTP request reached the server.
    expect(untrusted.received).toEqual([]);
    expect(b.output()).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('makes B trust a certificate through federation_ca_file', async () => {
    const res = await rawFederationRequest<{ server_keys: KeyResponse[] }>(b, 'GET', `/_matrix/key/v2/query/${encodeURIComponent(viaCa.serverName)}`);
    expect(res.body.server_keys.map((k) => k.server_name)).toEqual([viaCa.serverName]);
    expect(viaCa.received.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /_matrix/key/v2/server']);
    // B's outgoing requests carry its X-Matrix signature.
    expect(isSignedBy(viaCa.received[0]!, identityOf(b), viaCa.serverName)).toBe(true);
    expect(isSignedBy(viaCa.received[0]!, identityOf(a), viaCa.serverName)).toBe(false);
  });

  it('accepts a request signed with B\'s key, fetching B\'s keys from B to check it', async () => {
    const { client, close } = federationClientAs(identityOf(b), { insecureSkipVerifyFor: [a.serverName] });
    try {
      const profile = await client.get(a.serverName, '/_matrix/federation/v1/query/profile', { user_id: alice.userId });
      expect(profile).toEqual({ displayname: 'Alice A' });
      const field = await client.get(a.serverName, '/_matrix/federation/v1/query/profile', { user_id: alice.userId, field: 'displayname' });
      expect(field).toEqual({ displayname: 'Alice A' });
      const dir = await client.get(a.serverName, '/_matrix/federation/v1/query/directory', { room_alias: alias });
      expect(dir).toEqual({ room_id: roomId, servers: [a.serverName] });
      const missing = await client.get(a.serverName, '/_matrix/federation/v1/query/profile', { user_id: `@nobody:${a.serverName}` }).catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(FederationRequestError);
      expect(missing).toMatchObject({ status: 404, errcode: 'M_NOT_FOUND' });
    } finally {
      close();
    }
  });

  it('accepts a correctly signed request from a server on the allow-list, after fetching its key', async () => {
    const res = await trusted.request(a, 'GET', '/_matrix/federation/v1/query/profile', { query: { user_id: alice.userId } });
    expect(res.status).toBe(200);
    const keyFetch = trusted.received.find((r) => r.url === '/_matrix/key/v2/server');
    expect(keyFetch && isSignedBy(keyFetch, identityOf(a), trusted.serverName)).toBe(true);
  });

  it('rejects an unsigned request with 401 M_UNAUTHORIZED', async () => {
    const res = await rawFederationRequest<ErrorBody>(a, 'GET', `/_matrix/federation/v1/query/profile?user_id=${encodeURIComponent(alice.userId)}`);
    expect([res.status, res.body.errcode]).toEqual([401, 'M_UNAUTHORIZED']);
  });

  it('rejects forged and tampered requests with 401 M_UNAUTHORIZED', async () => {
    const path = '/_matrix/federation/v1/query/profile';
    const query = { user_id: alice.userId };
    const cases = {
      // The trusted server claims to be B, signing with its own key under B's key id.
      impersonation: signedFederationRequest({ serverName: trusted.serverName, signingKey: { ...trusted.signingKey, keyId: identityOf(b).signingKey.keyId } }, a, 'GET', path, { query, origin: b.serverName }),
      otherTarget: trusted.request(a, 'GET', path, { query, signedUri: `${path}?user_id=${encodeURIComponent(`@bob:${a.serverName}`)}` }),
      // A body was signed that was not sent (the transport's authenticated routes are all GETs yet;
      // a tampered PUT body is covered by request-auth.test.ts).
      otherBody: trusted.request(a, 'GET', path, { query, signedBody: { extra: true } }),
      unknownKey: signedFederationRequest({ serverName: trusted.serverName, signingKey: generateSigningKey() }, a, 'GET', path, { query }),
      otherDestination: trusted.request(a, 'GET', path, { query, destination: b.serverName }),
      malformed: rawFederationRequest(a, 'GET', `${path}?user_id=${encodeURIComponent(alice.userId)}`, { authorization: `X-Matrix origin="${trusted.serverName}",key="ed25519:x"` }),
    };
    const results = Object.fromEntries(await Promise.all(Object.entries(cases).map(async ([k, p]) => {
      const r = await p;
      return [k, `${r.status} ${(r.body as Partial<ErrorBody>).errcode}`] as const;
    })));
    expect(results).toEqual({
      impersonation: '401 M_UNAUTHORIZED', otherTarget: '401 M_UNAUTHORIZED', otherBody: '401 M_UNAUTHORIZED',
      unknownKey: '401 M_UNAUTHORIZED', otherDestination: '401 M_UNAUTHORIZED', malformed: '401 M_UNAUTHORIZED',
    });
  });

  it('refuses a server outside the allow-list with 403 M_FORBIDDEN, fetching and storing nothing of it', async () => {
    const res = await outsider.request<ErrorBody>(a, 'GET', '/_matrix/federation/v1/query/profile', { query: { user_id: alice.userId } });
    expect([res.status, res.body.errcode]).toEqual([403, 'M_FORBIDDEN']);
    // Nor will A fetch its keys on anyone's behalf.
    const notary = await rawFederationRequest<{ server_keys: unknown[] }>(a, 'GET', `/_matrix/key/v2/query/${encodeURIComponent(outsider.serverName)}`);
    expect(notary.body.server_keys).toEqual([]);
    expect(outsider.received).toEqual([]);
    const db = new DatabaseSync(join(a.dataDir, 'homeserver.db'), { readOnly: true });
    try {
      const row = db.prepare('SELECT count(*) AS n FROM federation_server_keys WHERE server_name = ?').get(outsider.serverName) as { n: number };
      expect(row.n).toBe(0);
    } finally {
      db.close();
    }
  });

  it('keeps publishing a replaced signing key under old_verify_keys after a restart', async () => {
    const before = identityOf(a).signingKey;
    await a.stop();
    const next = generateSigningKey();
    writeFileSync(join(a.dataDir, 'signing.key'), `ed25519 ${next.keyId.slice('ed25519:'.length)} ${encodeBase64(next.seed)}\n`);
    await a.restart();
    const keys = await keysOf(a);
    expect(keys.verify_keys).toEqual({ [next.keyId]: { key: next.publicKeyBase64 } });
    expect(keys.old_verify_keys[before.keyId]?.key).toBe(before.publicKeyBase64);
    expect(keys.old_verify_keys[before.keyId]!.expired_ts).toBeLessThanOrEqual(Date.now());
    verifyKeyResponse(keys, a.serverName, Date.now(), { rejectExpired: true });
  });
});
