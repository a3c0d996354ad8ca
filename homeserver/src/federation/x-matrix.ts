// The `Authorization: X-Matrix …` header of the spec's "Request Authentication": the JSON object a
// server signs for each request ({method, uri, origin, destination, content?}), and the header that
// carries the signature, parsed as RFC 9110 §11.4 auth-params (quoted or token values, backslash
// escapes, optional whitespace around commas, case-insensitive names, unknown names ignored).
import { canonicalJson } from '../core/canonical-json.ts';
import { signBytes, verifyBytes, type SigningKey } from '../core/signing.ts';
import { isValidServerName } from '../core/ids.ts';

export interface XMatrixAuth {
  origin: string;
  /** Absent in requests from servers older than spec v1.3. */
  destination: string | null;
  /** Key id including the algorithm, e.g. `ed25519:abc`. */
  key: string;
  sig: string;
}

export class XMatrixParseError extends Error {}

export interface RequestToSign {
  method: string;
  /** The request target exactly as sent: path from `/_matrix/…` plus `?query` when present. */
  uri: string;
  origin: string;
  destination: string;
  /** The JSON body; omitted for requests without one. */
  content?: unknown;
}

/** The object whose canonical JSON is signed (spec step 1), without `signatures`. */
export function requestJsonToSign(r: RequestToSign): Record<string, unknown> {
  const json: Record<string, unknown> = { method: r.method, uri: r.uri, origin: r.origin, destination: r.destination };
  if (r.content !== undefined) json['content'] = r.content;
  return json;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => '\\' + c)}"`;
}

/**
 * Formats the header value. Every value is quoted, names are lower-case, there is one space after
 * the scheme and none around commas — the forms the spec asks senders to use for old servers.
 */
export function formatXMatrix(auth: XMatrixAuth): string {
  const params = [`origin=${quote(auth.origin)}`];
  if (auth.destination !== null) params.push(`destination=${quote(auth.destination)}`);
  params.push(`key=${quote(auth.key)}`, `sig=${quote(auth.sig)}`);
  return `X-Matrix ${params.join(',')}`;
}

/** Signs a request as `origin` and returns the Authorization header value. */
export function signRequest(r: RequestToSign, key: SigningKey): string {
  const sig = signBytes(key, canonicalJson(requestJsonToSign(r)));
  return formatXMatrix({ origin: r.origin, destination: r.destination, key: key.keyId, sig });
}

/** Checks an X-Matrix signature over the request as the receiver saw it. */
export function verifyRequestSignature(r: RequestToSign, sig: string, publicKeyBase64: string): boolean {
  return verifyBytes(publicKeyBase64, canonicalJson(requestJsonToSign(r)), sig);
}

/** Parses the auth-params of an X-Matrix header; throws XMatrixParseError naming what is wrong. */
export function parseXMatrix(header: string): XMatrixAuth {
  const scheme = /^x-matrix +/i.exec(header);
  if (!scheme) throw new XMatrixParseError('Authorization header does not use the X-Matrix scheme');
  const params = new Map<string, string>();
  const s = header;
  let i = scheme[0].length;
  const skipOws = (): void => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  for (;;) {
    skipOws();
    if (i >= s.length) break;
    if (s[i] === ',') { // empty list element, allowed by the #rule
      i++;
      continue;
    }
    const eq = s.indexOf('=', i);
    if (eq < 0) throw new XMatrixParseError(`parameter at offset ${i} has no '='`);
    const name = s.slice(i, eq).replace(/[ \t]+$/, '').toLowerCase();
    if (!TOKEN.test(name)) throw new XMatrixParseError(`'${name}' is not a valid parameter name`);
    i = eq + 1;
    skipOws();
    let value = '';
    if (s[i] === '"') {
      i++;
      let closed = false;
      while (i < s.length) {
        const c = s[i]!;
        if (c === '\\') {
          if (i + 1 >= s.length) break;
          value += s[i + 1];
          i += 2;
        } else if (c === '"') {
          i++;
          closed = true;
          break;
        } else {
          value += c;
          i++;
        }
      }
      if (!closed) throw new XMatrixParseError(`the quoted value of '${name}' is not terminated`);
    } else {
      // Unquoted: a token, but (for old servers) also colons and base64 characters — up to the comma.
      const end = s.indexOf(',', i);
      value = s.slice(i, end < 0 ? s.length : end).replace(/[ \t]+$/, '');
      if (value === '' || /[\s"\\]/.test(value)) throw new XMatrixParseError(`the value of '${name}' is empty or needs quoting`);
      i += value.length;
    }
    if (params.has(name)) throw new XMatrixParseError(`parameter '${name}' is given twice`);
    params.set(name, value);
    skipOws();
    if (i < s.length) {
      if (s[i] !== ',') throw new XMatrixParseError(`expected ',' after the value of '${name}'`);
      i++;
    }
  }
  const origin = params.get('origin');
  const key = params.get('key');
  const sig = params.get('sig');
  if (origin === undefined || key === undefined || sig === undefined) {
    throw new XMatrixParseError('X-Matrix header must have origin, key and sig parameters');
  }
  if (!isValidServerName(origin)) throw new XMatrixParseError(`origin '${origin}' is not a valid server name`);
  return { origin, destination: params.get('destination') ?? null, key, sig };
}
