import { describe, expect, it } from 'vitest';
import { FederationRequestAuthenticator } from './request-auth.ts';
import { KeyVerificationError, type VerifyKey } from './key-fetcher.ts';
import { signRequest } from './x-matrix.ts';
import { generateSigningKey } from '../core/signing.ts';
import { createLogger } from '../logger.ts';
import type { RequestContext } from '../api/router.ts';
import { MatrixError } from '../api/errors.ts';

const NOW = 1_800_000_000_000;
const bKey = generateSigningKey();
const logger = createLogger('error', {}, () => undefined);

function setup(allowed: (n: string) => boolean = () => true) {
  const lookups: string[] = [];
  const auth = new FederationRequestAuthenticator({
    serverName: 'a.example', isAllowed: allowed, now: () => NOW, logger,
    fetcher: {
      async getVerifyKey(server: string, keyId: string, opts: { requireCurrent?: boolean }): Promise<VerifyKey> {
        lookups.push(`${server} ${keyId} ${opts.requireCurrent ? 'current' : 'any'}`);
        if (server === 'b.example' && keyId === bKey.keyId) return { publicKey: bKey.publicKeyBase64, validUntilTs: NOW + 1000, isOld: false };
        throw new KeyVerificationError(`no key ${keyId} could be found for ${server}`);
      },
    },
  });
  return { auth, lookups };
}

function ctx(method: string, target: string, body: unknown, authorization?: string, rawTarget = target): RequestContext {
  const url = new URL(target, 'https://a.example');
  return {
    method, path: url.pathname, rawTarget, params: {}, query: url.searchParams, body, ip: '127.0.0.1', requestId: 'r',
    signal: new AbortController().signal, headers: authorization ? { authorization } : {},
  };
}

const signed = (method: string, uri: string, content: unknown, over: { origin?: string; destination?: string } = {}): string =>
  signRequest({ method, uri, origin: over.origin ?? 'b.example', destination: over.destination ?? 'a.example', content }, bKey);

async function errorOf(p: Promise<unknown>): Promise<MatrixError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof MatrixError) return e;
    throw e;
  }
  throw new Error('expected a MatrixError');
}

describe('incoming X-Matrix authentication', () => {
  it('returns the origin of a correctly signed GET', async () => {
    const { auth, lookups } = setup();
    const uri = '/_matrix/federation/v1/query/profile?user_id=%40u%3Aa.example';
    expect(await auth.authenticate(ctx('GET', uri, undefined, signed('GET', uri, undefined)))).toBe('b.example');
    expect(lookups).toEqual([`b.example ${bKey.keyId} current`]);
  });

  it('covers the JSON body of a PUT', async () => {
    const { auth } = setup();
    const uri = '/_matrix/federation/v1/send/t1';
    const header = signed('PUT', uri, { pdus: [], edus: [] });
    expect(await auth.authenticate(ctx('PUT', uri, { pdus: [], edus: [] }, header))).toBe('b.example');
    const e = await errorOf(auth.authenticate(ctx('PUT', uri, { pdus: [{}], edus: [] }, header)));
    expect([e.status, e.errcode]).toEqual([401, 'M_UNAUTHORIZED']);
  });

  it('checks the request target exactly as it was sent, not as re-encoded', async () => {
    const { auth } = setup();
    // `~` and `*` survive on the wire but URLSearchParams would re-encode them differently.
    const raw = '/_matrix/federation/v1/query/directory?room_alias=%23r~oom*:a.example';
    const header = signed('GET', raw, undefined);
    const url = new URL(raw, 'https://a.example');
    const reencodedTarget = `${url.pathname}?${url.searchParams.toString()}`;
    expect(reencodedTarget).not.toBe(raw);
    const reencoded = await errorOf(auth.authenticate(ctx('GET', raw, undefined, header, reencodedTarget)));
    expect(reencoded.status).toBe(401);
    expect(await auth.authenticate(ctx('GET', raw, undefined, header))).toBe('b.example');
  });

  it('rejects a request without an Authorization header with 401 M_UNAUTHORIZED', async () => {
    const e = await errorOf(setup().auth.authenticate(ctx('GET', '/_matrix/federation/v1/version', undefined)));
    expect([e.status, e.errcode]).toEqual([401, 'M_UNAUTHORIZED']);
    expect(e.message).toMatch(/Missing Authorization/);
  });

  it('rejects a malformed X-Matrix header with 401 M_UNAUTHORIZED', async () => {
    const e = await errorOf(setup().auth.authenticate(ctx('GET', '/x', undefined, 'X-Matrix origin="b.example",key="ed25519:k"')));
    expect([e.status, e.errcode]).toEqual([401, 'M_UNAUTHORIZED']);
    expect(e.message).toMatch(/Malformed/);
  });

  it('rejects a request addressed to another server with 401', async () => {
    const uri = '/_matrix/federation/v1/version';
    const { auth, lookups } = setup();
    const e = await errorOf(auth.authenticate(ctx('GET', uri, undefined, signed('GET', uri, undefined, { destination: 'c.example' }))));
    expect([e.status, e.errcode]).toEqual([401, 'M_UNAUTHORIZED']);
    expect(e.message).toMatch(/Destination mismatch/);
    expect(lookups).toEqual([]);
  });

  it('accepts a request without destination when it was signed for us (servers before v1.3)', async () => {
    const uri = '/_matrix/federation/v1/version';
    const header = signed('GET', uri, undefined).replace(/destination="[^"]*",/, '');
    expect(await setup().auth.authenticate(ctx('GET', uri, undefined, header))).toBe('b.example');
  });

  it('refuses a server outside the allow-list with 403 M_FORBIDDEN before looking up any key', async () => {
    const uri = '/_matrix/federation/v1/version';
    const { auth, lookups } = setup((n) => n === 'c.example');
    const e = await errorOf(auth.authenticate(ctx('GET', uri, undefined, signed('GET', uri, undefined))));
    expect([e.status, e.errcode]).toEqual([403, 'M_FORBIDDEN']);
    expect(lookups).toEqual([]);
  });

  it('rejects a signature made with another key than the origin\'s with 401', async () => {
    const uri = '/_matrix/federation/v1/version';
    const forger = generateSigningKey();
    const header = signRequest({ method: 'GET', uri, origin: 'b.example', destination: 'a.example' }, { ...forger, keyId: bKey.keyId });
    const e = await errorOf(setup().auth.authenticate(ctx('GET', uri, undefined, header)));
    expect([e.status, e.errcode]).toEqual([401, 'M_UNAUTHORIZED']);
    expect(e.message).toMatch(/Invalid X-Matrix signature/);
  });

  it('rejects a request whose origin key cannot be found with 401', async () => {
    const uri = '/_matrix/federation/v1/version';
    const header = signRequest({ method: 'GET', uri, origin: 'c.example', destination: 'a.example' }, bKey);
    const e = await errorOf(setup().auth.authenticate(ctx('GET', uri, undefined, header)));
    expect([e.status, e.errcode]).toEqual([401, 'M_UNAUTHORIZED']);
    expect(e.message).toMatch(/Cannot verify the request from c.example/);
  });

  it('rejects a request replayed against another path with 401', async () => {
    const header = signed('GET', '/_matrix/federation/v1/query/profile?user_id=%40a%3Aa.example', undefined);
    const e = await errorOf(setup().auth.authenticate(ctx('GET', '/_matrix/federation/v1/query/profile?user_id=%40b%3Aa.example', undefined, header)));
    expect(e.status).toBe(401);
  });
});
