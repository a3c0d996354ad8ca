// The endpoint fuzzer in its bounded form: every endpoint of the homeserver (client and federation
// listeners, enumerated from its route tables) and of the bridge (from its /openapi.json) gets a
// slice of the deterministic edge cases and a few seeded random ones; every answer is a JSON Matrix
// error or an allowed success, nothing hangs, a refused request changes neither database, and both
// processes stay up. `npm run fuzz` runs every case against every endpoint. The seed is printed on
// failure; FUZZ_SEED=<seed> repeats a run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFuzzStack, type FuzzStack } from '../fuzz/stack.ts';
import { fuzzEndpoints } from '../fuzz/fuzz.ts';
import { homeserverRoutes } from '../fuzz/endpoints.ts';
import { api } from '../helpers/homeserver.ts';
import { sendRaw } from '../fuzz/send.ts';

const seed = Number(process.env['FUZZ_SEED'] ?? Math.floor(Math.random() * 2 ** 31));

describe('endpoint fuzzer (bounded)', () => {
  let stack: FuzzStack;

  beforeAll(async () => {
    stack = await startFuzzStack();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('enumerates the routes of both homeserver listeners', () => {
    const routes = homeserverRoutes();
    expect(routes.filter((r) => r.listener === 'client').length).toBeGreaterThan(100);
    expect(routes.filter((r) => r.listener === 'federation').length).toBeGreaterThan(15);
    expect(routes.map((r) => `${r.method} ${r.path}`)).toContain('PUT /_matrix/federation/v1/send/:txnId');
  });

  it(`answers every endpoint's malformed, huge, deep and unicode-edged input with a JSON 4xx that changes nothing (seed ${seed})`, async () => {
    const report = await fuzzEndpoints(stack, { seed, randomPerEndpoint: 1, casesPerEndpoint: 4, timeoutMs: 10_000 });
    expect(report.endpoints).toBeGreaterThan(190);
    expect(report.refused).toBeGreaterThan(report.endpoints * 2);
    expect(report.findings, `seed ${seed}`).toEqual([]);
  });

  // Regression tests for what the fuzzer found (each failed before its fix).
  it('refuses invalid UTF-8 in a body instead of storing replacement characters', async () => {
    const path = `/_matrix/client/v3/profile/${encodeURIComponent(stack.users.bob.userId)}/displayname`;
    const res = await fetch(`${stack.hs.baseUrl}${path}`, {
      method: 'PUT', headers: { Authorization: `Bearer ${stack.users.bob.accessToken}`, 'Content-Type': 'application/json' },
      body: Buffer.concat([Buffer.from('{"displayname":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ errcode: 'M_NOT_JSON', error: 'request body is not valid UTF-8' });
  });

  it('refuses JSON nested 100,000 deep with a 400, not a 500', async () => {
    const deep = '{"a":'.repeat(100_000) + '{}' + '}'.repeat(100_000);
    const res = await api(stack.hs, 'PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(stack.roomId)}/send/m.room.message/deep-1`, { token: stack.users.alice.accessToken, rawBody: `{"msgtype":"m.text","body":"x","deep":${deep}}` });
    expect(res).toMatchObject({ status: 400, body: { errcode: 'M_BAD_JSON', error: expect.stringContaining('nested more than') } });
  });

  it('refuses a body that is not a JSON object even where the endpoint reads none', async () => {
    const logout = await api(stack.hs, 'POST', '/_matrix/client/v3/logout', { token: stack.users.mallory.accessToken, rawBody: '"bye"' });
    expect(logout).toMatchObject({ status: 400, body: { errcode: 'M_BAD_JSON', error: 'request body must be a JSON object, not a string' } });
    expect((await api(stack.hs, 'GET', '/_matrix/client/v3/account/whoami', { token: stack.users.mallory.accessToken })).status).toBe(200);
  });

  it('answers a chunked body that grows over the limit with a readable 413', async () => {
    const res = await sendRaw({
      https: false, port: stack.hs.clientPort, method: 'POST', path: '/_matrix/client/v3/createRoom', chunked: true, timeoutMs: 10_000,
      headers: { Authorization: `Bearer ${stack.users.alice.accessToken}`, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      body: Buffer.alloc(3 * 1024 * 1024, 0x61),
    });
    expect(res.kind === 'answer' && { status: res.status, body: JSON.parse(res.text) as unknown }).toMatchObject({ status: 413, body: { errcode: 'M_TOO_LARGE' } });
  });

  it('refuses a path with a ".." segment instead of resolving it to another endpoint', async () => {
    const res = await sendRaw({ https: false, port: stack.hs.clientPort, method: 'GET', path: `/_matrix/client/v3/user/${encodeURIComponent(stack.users.alice.userId)}/rooms/../account_data/m.direct`, headers: { Authorization: `Bearer ${stack.users.alice.accessToken}` }, timeoutMs: 10_000 });
    expect(res.kind === 'answer' && { status: res.status, body: JSON.parse(res.text) as unknown }).toMatchObject({ status: 400, body: { errcode: 'M_UNRECOGNIZED' } });
  });

  it('the bridge refuses invalid UTF-8, a byte-order mark, a stray malformed body and a deep array with a 400', async () => {
    const send = (method: string, path: string, token: string, body: Buffer): ReturnType<typeof sendRaw> => sendRaw({
      https: false, port: stack.bridge.port, method, path, timeoutMs: 10_000, body,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    });
    const outcomes = [];
    for (const [name, method, path, token, body] of [
      ['invalid UTF-8', 'POST', '/_matrix/app/v1/ping', stack.bridge.hsToken, Buffer.concat([Buffer.from('{"transaction_id":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')])],
      ['byte-order mark', 'PUT', `/v1/admin/roster/counsellors/${encodeURIComponent(`@bom:${stack.hs.serverName}`)}`, stack.sessions.admin, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{}')])],
      ['malformed body where none is read', 'POST', '/v1/admin/policy/reload', stack.sessions.admin, Buffer.from('{"a":')],
      ['array nested 100,000 deep', 'PUT', '/_matrix/app/v1/transactions/deep-1', stack.bridge.hsToken, Buffer.from('['.repeat(100_000) + ']'.repeat(100_000))],
    ] as const) {
      const res = await send(method, path, token, body);
      outcomes.push(`${name}: ${res.kind === 'answer' ? `${res.status} ${(JSON.parse(res.text) as { errcode: string }).errcode}` : res.kind}`);
    }
    expect(outcomes).toEqual(['invalid UTF-8: 400 M_NOT_JSON', 'byte-order mark: 400 M_NOT_JSON', 'malformed body where none is read: 400 M_NOT_JSON', 'array nested 100,000 deep: 400 M_BAD_JSON']);
  });

  it('answers a request line over the header limit with a JSON 431', async () => {
    const res = await sendRaw({ https: false, port: stack.hs.clientPort, method: 'GET', path: `/_matrix/client/v3/profile/${'b'.repeat(100_000)}`, headers: {}, timeoutMs: 10_000 });
    expect(res.kind === 'answer' && { status: res.status, body: JSON.parse(res.text) as unknown }).toEqual({ status: 431, body: { errcode: 'M_TOO_LARGE', error: 'request line and headers are over the size limit' } });
  });
});
