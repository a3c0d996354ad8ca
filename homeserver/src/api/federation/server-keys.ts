// Server identity endpoints: the signing keys (spec: GET /_matrix/key/v2/server — the current key,
// and keys it replaced under old_verify_keys), the software version, and OpenID userinfo, which the
// bridge uses to authenticate web clients.
import type { Router } from '../router.ts';
import type { HomeserverServices } from '../../app.ts';
import { unknownToken, missingParam } from '../errors.ts';
import { federationOf, SERVER_SOFTWARE } from '../../federation/wire.ts';

export function register(router: Router, s: HomeserverServices): void {
  const f = federationOf(s);
  /** GET /_matrix/key/v2/server */
  router.add({
    method: 'GET', path: '/_matrix/key/v2/server', auth: 'none',
    handler: () => f.ownKeys.response(),
  });
  /** GET /_matrix/federation/v1/version */
  router.add({
    method: 'GET', path: '/_matrix/federation/v1/version', auth: 'none',
    handler: () => ({ server: { ...SERVER_SOFTWARE } }),
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
