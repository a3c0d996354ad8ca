// Server identity endpoints: the signing key (spec: GET /_matrix/key/v2/server), the software
// version, and OpenID userinfo, which the bridge uses to authenticate web clients.
import type { Router } from '../router.ts';
import type { HomeserverServices } from '../../app.ts';
import { signJson } from '../../core/signing.ts';
import { unknownToken, missingParam } from '../errors.ts';

const KEY_VALIDITY_MS = 7 * 24 * 3600_000;

export function register(router: Router, s: HomeserverServices): void {
  /** GET /_matrix/key/v2/server */
  router.add({
    method: 'GET', path: '/_matrix/key/v2/server', auth: 'none',
    handler: () => signJson({
      server_name: s.config.server_name,
      valid_until_ts: s.clock.now() + KEY_VALIDITY_MS,
      verify_keys: { [s.signingKey.keyId]: { key: s.signingKey.publicKeyBase64 } },
      old_verify_keys: {},
    }, s.config.server_name, s.signingKey),
  });
  /** GET /_matrix/federation/v1/version */
  router.add({
    method: 'GET', path: '/_matrix/federation/v1/version', auth: 'none',
    handler: () => ({ server: { name: 'Peerline embedded homeserver', version: '0.1.0' } }),
  });
  /** GET /_matrix/federation/v1/openid/userinfo */
  router.add({
    method: 'GET', path: '/_matrix/federation/v1/openid/userinfo', auth: 'none',
    handler: (ctx) => {
      const token = ctx.query.get('access_token');
      if (!token) throw missingParam("query parameter 'access_token' is required");
      const sub = s.accounts.openIdUser(token);
      if (!sub) throw unknownToken('OpenID token is unknown or expired');
      return { sub };
    },
  });
}
