import { describe, expect, it } from 'vitest';
import { FederationClient, FederationDeniedError, FederationRequestError, encodeQuery, fedPath } from './federation-client.ts';
import { ServerDiscovery } from './discovery.ts';
import type { FederationTransport, HttpsResponse, SendOptions } from './transport.ts';
import type { ResolvedServer } from './discovery.ts';
import { parseXMatrix, verifyRequestSignature } from './x-matrix.ts';
import { generateSigningKey } from '../core/signing.ts';
import { createLogger } from '../logger.ts';

const key = generateSigningKey();

function clientWith(reply: (t: ResolvedServer, o: SendOptions) => HttpsResponse, allowed = (_n: string) => true) {
  const sent: { target: ResolvedServer; opts: SendOptions }[] = [];
  const transport = {
    send: async (target: ResolvedServer, opts: SendOptions) => {
      sent.push({ target, opts });
      return reply(target, opts);
    },
  } as unknown as FederationTransport;
  const discovery = new ServerDiscovery({ now: () => 0, fetchWellKnown: async () => ({ kind: 'invalid', reason: '404' }) });
  const client = new FederationClient({ serverName: 'a.example', signingKey: key, discovery, transport, isAllowed: allowed, logger: createLogger('error', {}, () => undefined) });
  return { client, sent };
}

const json = (status: number, body: unknown): HttpsResponse => ({ status, headers: {}, body: Buffer.from(JSON.stringify(body)) });

describe('FederationClient', () => {
  it('signs each request with X-Matrix over exactly the target and body it sends', async () => {
    const { client, sent } = clientWith(() => json(200, { ok: true }));
    const res = await client.put('b.example:8449', fedPath`/_matrix/federation/v1/send/${'t 1/2'}`, { pdus: [] }, { query: { a: 'x y', b: [1, 2] } });
    expect(res).toEqual({ ok: true });
    const { target, opts } = sent[0]!;
    expect(opts.path).toBe('/_matrix/federation/v1/send/t%201%2F2?a=x%20y&b=1&b=2');
    expect(target).toMatchObject({ host: 'b.example', port: 8449, hostHeader: 'b.example:8449' });
    const auth = parseXMatrix(opts.headers!['Authorization']!);
    expect(auth).toMatchObject({ origin: 'a.example', destination: 'b.example:8449', key: key.keyId });
    expect(verifyRequestSignature({ method: 'PUT', uri: opts.path, origin: 'a.example', destination: 'b.example:8449', content: JSON.parse(String(opts.body)) }, auth.sig, key.publicKeyBase64)).toBe(true);
  });

  it('sends an empty JSON object as the body of a POST without one, and no body with a GET', async () => {
    const { client, sent } = clientWith(() => json(200, {}));
    await client.request({ method: 'POST', destination: 'b.example:1', path: '/_matrix/key/v2/query' });
    await client.get('b.example:1', '/_matrix/federation/v1/version');
    expect(sent[0]!.opts.body).toBe('{}');
    expect(sent[1]!.opts.body).toBeUndefined();
    expect(sent[1]!.opts.headers!['Content-Type']).toBeUndefined();
  });

  it('refuses a destination outside the allow-list without sending anything', async () => {
    const { client, sent } = clientWith(() => json(200, {}), (n) => n === 'b.example');
    await expect(client.get('c.example', '/_matrix/federation/v1/version')).rejects.toBeInstanceOf(FederationDeniedError);
    await expect(client.get('c.example', '/_matrix/federation/v1/version')).rejects.toThrow(/federation_domain_whitelist/);
    expect(sent).toHaveLength(0);
  });

  it('turns an error response into a FederationRequestError carrying the remote errcode', async () => {
    const { client } = clientWith(() => json(403, { errcode: 'M_FORBIDDEN', error: 'Federation denied with a.example' }));
    const e = await client.get('b.example:1', '/_matrix/federation/v1/query/profile').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FederationRequestError);
    expect(e).toMatchObject({ status: 403, errcode: 'M_FORBIDDEN', destination: 'b.example:1' });
  });

  it('rejects a success response that is not JSON', async () => {
    const { client } = clientWith(() => ({ status: 200, headers: {}, body: Buffer.from('<html>') }));
    await expect(client.get('b.example:1', '/_matrix/federation/v1/version')).rejects.toThrow(/not JSON/);
  });

  it('encodes query values and path segments so that they survive as sent', () => {
    expect(encodeQuery({ user_id: '@u:b.example', skip: undefined, v: ['1', '2'] })).toBe('user_id=%40u%3Ab.example&v=1&v=2');
    expect(fedPath`/_matrix/federation/v1/event/${'$abc/def'}`).toBe('/_matrix/federation/v1/event/%24abc%2Fdef');
  });
});
