// Proving who a web client's user is without ever seeing their access token: the client gives us a
// Matrix OpenID token, and the user's own homeserver — reached over its federation API, and only
// for server names the policy trusts — tells us whose it is. The answer must name a user of that
// very server; a server vouching for someone else's users is not believed.
import { BridgeError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { httpsGet, type FederationEndpoints } from './federation-endpoints.ts';

const USER_ID = /^@[^:\s]+:(.+)$/;

export type OpenIdOutcome = 'ok' | 'untrusted_server' | 'rejected' | 'unreachable' | 'bad_answer';

export class OpenIdVerifier {
  private readonly endpoints: FederationEndpoints;
  private readonly logger: Logger;
  private readonly timeoutMs: number;
  private readonly outcomes: ((o: OpenIdOutcome) => void)[] = [];

  constructor(opts: { endpoints: FederationEndpoints; logger: Logger; timeoutMs?: number }) {
    this.endpoints = opts.endpoints;
    this.logger = opts.logger.child({ component: 'openid' });
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  onOutcome(fn: (o: OpenIdOutcome) => void): void {
    this.outcomes.push(fn);
  }

  private fail(outcome: OpenIdOutcome, err: BridgeError): never {
    for (const fn of this.outcomes) fn(outcome);
    throw err;
  }

  /** The user id the token belongs to; throws a BridgeError (403, 401 or 502) otherwise. */
  async verify(accessToken: string, serverName: string, trusted: readonly string[]): Promise<string> {
    if (!trusted.includes(serverName)) {
      this.fail('untrusted_server', new BridgeError(403, 'M_FORBIDDEN', `Server '${serverName}' is not trusted by this institution's policy`));
    }
    let endpoint;
    let res;
    try {
      endpoint = await this.endpoints.resolve(serverName);
      res = await httpsGet(endpoint.host, endpoint.port, `/_matrix/federation/v1/openid/userinfo?access_token=${encodeURIComponent(accessToken)}`, {
        timeoutMs: this.timeoutMs, maxBytes: 64 * 1024, acceptSelfSigned: endpoint.acceptSelfSigned, tlsName: endpoint.tlsName, hostHeader: endpoint.hostHeader,
      });
    } catch (e) {
      this.logger.warn('openid userinfo unreachable', { server_name: serverName, error: (e as Error).message });
      this.fail('unreachable', new BridgeError(502, 'ORG.PEERLINE.HOMESERVER_UNREACHABLE', `Could not reach ${serverName} to check the OpenID token`));
    }
    if (res.status === 401 || res.status === 403 || res.status === 404) {
      this.fail('rejected', new BridgeError(401, 'M_UNKNOWN_TOKEN', `${serverName} did not recognise the OpenID token`));
    }
    if (res.status !== 200) {
      this.logger.warn('openid userinfo failed', { server_name: serverName, status: res.status });
      this.fail('unreachable', new BridgeError(502, 'ORG.PEERLINE.HOMESERVER_UNREACHABLE', `${serverName} answered the OpenID check with status ${res.status}`));
    }
    let sub: unknown;
    try {
      sub = (JSON.parse(res.body.toString('utf8')) as { sub?: unknown }).sub;
    } catch {
      sub = undefined;
    }
    const m = typeof sub === 'string' ? USER_ID.exec(sub) : null;
    if (!m) this.fail('bad_answer', new BridgeError(502, 'ORG.PEERLINE.HOMESERVER_UNREACHABLE', `${serverName} gave no user id for the OpenID token`));
    if (m[1] !== serverName) {
      this.logger.warn('openid userinfo named a user of another server', { server_name: serverName });
      this.fail('bad_answer', new BridgeError(401, 'M_UNKNOWN_TOKEN', `${serverName} vouched for a user of another server`));
    }
    for (const fn of this.outcomes) fn('ok');
    return sub as string;
  }
}
