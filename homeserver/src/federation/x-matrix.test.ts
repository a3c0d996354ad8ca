import { describe, expect, it } from 'vitest';
import { formatXMatrix, parseXMatrix, requestJsonToSign, signRequest, verifyRequestSignature, XMatrixParseError } from './x-matrix.ts';
import { canonicalJson } from '../core/canonical-json.ts';
import { signingKeyFromSeed } from '../core/signing.ts';
import { decodeBase64 } from '../core/base64.ts';

// The spec's appendix test key ("Signing Key" test vectors).
const specKey = signingKeyFromSeed('ed25519:1', decodeBase64('YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1')!);

const SPEC_HEADER = 'X-Matrix origin="origin.hs.example.com",destination="destination.hs.example.com",key="ed25519:key1",sig="ABCDEF..."';

describe('X-Matrix header', () => {
  it('formats the header exactly as the spec example shows it', () => {
    expect(formatXMatrix({ origin: 'origin.hs.example.com', destination: 'destination.hs.example.com', key: 'ed25519:key1', sig: 'ABCDEF...' })).toBe(SPEC_HEADER);
  });

  it('parses the spec example', () => {
    expect(parseXMatrix(SPEC_HEADER)).toEqual({ origin: 'origin.hs.example.com', destination: 'destination.hs.example.com', key: 'ed25519:key1', sig: 'ABCDEF...' });
  });

  it('accepts unquoted values, colons and base64 characters included, as old servers send them', () => {
    expect(parseXMatrix('X-Matrix origin=example.org:8448,key=ed25519:a_b,sig=aB+/c9=')).toEqual({ origin: 'example.org:8448', destination: null, key: 'ed25519:a_b', sig: 'aB+/c9=' });
  });

  it('allows spaces and tabs around commas, several spaces after the scheme, and any name case or order', () => {
    expect(parseXMatrix('X-Matrix   SIG="s" ,\tKey="ed25519:k"\t, Destination="d.example" , Origin="o.example"')).toEqual({ origin: 'o.example', destination: 'd.example', key: 'ed25519:k', sig: 's' });
  });

  it('reads commas and escaped quotes inside quoted values', () => {
    const h = 'X-Matrix origin="o.example",key="ed25519:k",sig="a,b\\"c\\\\d",x-note="hello, \\"world\\""';
    expect(parseXMatrix(h).sig).toBe('a,b"c\\d');
  });

  it('round-trips values with quotes and backslashes through format and parse', () => {
    const auth = { origin: 'o.example', destination: 'd.example', key: 'ed25519:k', sig: 'we"ird\\,sig' };
    expect(parseXMatrix(formatXMatrix(auth))).toEqual(auth);
  });

  it('ignores unknown parameters', () => {
    expect(parseXMatrix('X-Matrix origin="o.example",key="ed25519:k",sig="s",future="x"').origin).toBe('o.example');
  });

  it.each([
    ['another scheme', 'Bearer abc'],
    ['no space after the scheme', 'X-Matrixorigin="o.example",key="k",sig="s"'],
    ['a missing sig', 'X-Matrix origin="o.example",key="ed25519:k"'],
    ['a missing origin', 'X-Matrix key="ed25519:k",sig="s"'],
    ['an unterminated quote', 'X-Matrix origin="o.example,key="ed25519:k",sig="s'],
    ['a repeated parameter', 'X-Matrix origin="o.example",origin="p.example",key="ed25519:k",sig="s"'],
    ['an origin that is not a server name', 'X-Matrix origin="not a name",key="ed25519:k",sig="s"'],
    ['a parameter without a value', 'X-Matrix origin="o.example",key,sig="s"'],
    ['junk after a quoted value', 'X-Matrix origin="o.example"x,key="ed25519:k",sig="s"'],
  ])('rejects a header with %s', (_what, header) => {
    expect(() => parseXMatrix(header)).toThrow(XMatrixParseError);
  });
});

describe('request signing', () => {
  it('signs the JSON object of the spec: method, uri, origin, destination and content', () => {
    const json = requestJsonToSign({ method: 'POST', uri: '/target', origin: 'origin.hs.example.com', destination: 'destination.hs.example.com', content: { a: 1 } });
    expect(canonicalJson(json)).toBe('{"content":{"a":1},"destination":"destination.hs.example.com","method":"POST","origin":"origin.hs.example.com","uri":"/target"}');
  });

  it('leaves content out of the signed object for requests without a body', () => {
    const json = requestJsonToSign({ method: 'GET', uri: '/_matrix/federation/v1/version', origin: 'o', destination: 'd' });
    expect(Object.keys(json).sort()).toEqual(['destination', 'method', 'origin', 'uri']);
  });

  it('produces a header whose signature verifies against the signer\'s public key', () => {
    const req = { method: 'PUT', uri: '/_matrix/federation/v1/send/1?x=%20y', origin: 'domain', destination: 'dest.example', content: { pdus: [] } };
    const auth = parseXMatrix(signRequest(req, specKey));
    expect(auth).toMatchObject({ origin: 'domain', destination: 'dest.example', key: 'ed25519:1' });
    expect(verifyRequestSignature(req, auth.sig, specKey.publicKeyBase64)).toBe(true);
  });

  it.each([
    ['method', { method: 'POST' }],
    ['uri', { uri: '/_matrix/federation/v1/send/2?x=%20y' }],
    ['origin', { origin: 'other' }],
    ['destination', { destination: 'elsewhere.example' }],
    ['content', { content: { pdus: [{}] } }],
  ])('fails verification when the %s differs from what was signed', (_what, change) => {
    const req = { method: 'PUT', uri: '/_matrix/federation/v1/send/1?x=%20y', origin: 'domain', destination: 'dest.example', content: { pdus: [] } as unknown };
    const { sig } = parseXMatrix(signRequest(req, specKey));
    expect(verifyRequestSignature({ ...req, ...change }, sig, specKey.publicKeyBase64)).toBe(false);
  });
});
