// Incoming request authentication (spec "Request Authentication"): the X-Matrix header must parse,
// name us as destination when it names one, come from a server the allow-list admits, and carry a
// valid signature by a current key of the origin over {method, uri, origin, destination, content}.
import { MatrixError, badJson } from '../api/errors.ts';
import { CanonicalJsonError } from '../core/canonical-json.ts';
import type { FederationAuthenticator, RequestContext } from '../api/router.ts';
import type { Logger } from '../logger.ts';
import { KeyVerificationError, type ServerKeyFetcher } from './key-fetcher.ts';
import { parseXMatrix, verifyRequestSignature, XMatrixParseError } from './x-matrix.ts';

const unauthorized = (msg: string): MatrixError => new MatrixError(401, 'M_UNAUTHORIZED', msg);

/** The signed `uri` is the request target exactly as sent. */
function requestTarget(ctx: RequestContext): string {
  return ctx.rawTarget;
}

export class FederationRequestAuthenticator implements FederationAuthenticator {
  private readonly serverName: string;
  private readonly fetcher: Pick<ServerKeyFetcher, 'getVerifyKey'>;
  private readonly isAllowed: (serverName: string) => boolean;
  private readonly now: () => number;
  private readonly logger: Logger;

  constructor(o: { serverName: string; fetcher: Pick<ServerKeyFetcher, 'getVerifyKey'>; isAllowed: (serverName: string) => boolean; now: () => number; logger: Logger }) {
    this.serverName = o.serverName;
    this.fetcher = o.fetcher;
    this.isAllowed = o.isAllowed;
    this.now = o.now;
    this.logger = o.logger;
  }

  /** Returns the authenticated origin server name, or throws 401 M_UNAUTHORIZED / 403 M_FORBIDDEN. */
  async authenticate(ctx: RequestContext): Promise<string> {
    const header = ctx.headers.authorization;
    if (!header) throw unauthorized('Missing Authorization header: federation requests must be signed with X-Matrix');
    let auth;
    try {
      auth = parseXMatrix(header);
    } catch (e) {
      if (e instanceof XMatrixParseError) throw unauthorized(`Malformed X-Matrix Authorization header: ${e.message}`);
      throw e;
    }
    if (auth.destination !== null && auth.destination !== this.serverName) {
      throw unauthorized(`Destination mismatch in Authorization header: the request is for ${auth.destination}, this server is ${this.serverName}`);
    }
    // Before any key lookup, so a refused server costs us nothing and leaves nothing stored.
    if (!this.isAllowed(auth.origin)) {
      this.logger.info('federation request refused by federation_domain_whitelist', { origin: auth.origin });
      throw new MatrixError(403, 'M_FORBIDDEN', `Federation denied with ${auth.origin}`);
    }
    if (!auth.key.startsWith('ed25519:')) throw unauthorized(`Signing algorithm of key ${auth.key} is not supported`);
    let publicKey: string;
    try {
      publicKey = (await this.fetcher.getVerifyKey(auth.origin, auth.key, { minimumValidUntilTs: this.now(), requireCurrent: true })).publicKey;
    } catch (e) {
      if (e instanceof KeyVerificationError) throw unauthorized(`Cannot verify the request from ${auth.origin}: ${e.message}`);
      throw e;
    }
    const signed = { method: ctx.method, uri: requestTarget(ctx), origin: auth.origin, destination: this.serverName, content: ctx.body };
    let valid: boolean;
    try {
      valid = verifyRequestSignature(signed, auth.sig, publicKey);
    } catch (e) {
      // Floats or out-of-range integers: nothing canonical was signed, so nothing can verify.
      if (e instanceof CanonicalJsonError) throw badJson(`request body has no canonical JSON form: ${e.message}`);
      throw e;
    }
    if (!valid) throw unauthorized(`Invalid X-Matrix signature from ${auth.origin} with key ${auth.key}`);
    return auth.origin;
  }
}
