// Smaller endpoints clients call at start-up: OpenID tokens, the user directory, presence, VoIP and
// media configuration, third-party protocols.
import type { Router } from '../router.ts';
import type { HomeserverServices } from '../../app.ts';
import { forbidden, badJson, invalidParam } from '../errors.ts';
import { isValidUserId } from '../../core/ids.ts';
import { optInt, requireObject, reqString } from '../validate.ts';

export function register(router: Router, s: HomeserverServices): void {
  /** POST /_matrix/client/v3/user/{userId}/openid/request_token */
  router.add({
    method: 'POST', path: '/_matrix/client/v3/user/:userId/openid/request_token', auth: 'required', rateLimited: true,
    handler: (ctx) => {
      if (ctx.params['userId'] !== ctx.auth.userId) throw forbidden('you can only request OpenID tokens for yourself');
      return s.accounts.requestOpenIdToken(ctx.auth.userId);
    },
  });
  /** POST /_matrix/client/v3/user_directory/search — limited to this server's own users. */
  router.add({
    method: 'POST', path: '/_matrix/client/v3/user_directory/search', auth: 'required', rateLimited: true,
    handler: (ctx) => {
      const body = requireObject(ctx.body, 'request body');
      const term = reqString(body, 'search_term');
      const limit = Math.min(Math.max(optInt(body, 'limit') ?? 10, 1), 50);
      const rows = s.usersStore.searchLocalUsers(term, limit + 1);
      return {
        limited: rows.length > limit,
        results: rows.slice(0, limit).map((r) => ({ user_id: r.user_id, ...(r.displayname ? { display_name: r.displayname } : {}), ...(r.avatar_url ? { avatar_url: r.avatar_url } : {}) })),
      };
    },
  });
  /** GET /_matrix/client/v3/presence/{userId}/status — presence is not tracked: everyone is offline. */
  router.add({
    method: 'GET', path: '/_matrix/client/v3/presence/:userId/status', auth: 'required',
    handler: (ctx) => {
      if (!isValidUserId(ctx.params['userId']!)) throw invalidParam(`'${ctx.params['userId']!.slice(0, 100)}' is not a valid user id`);
      return { presence: 'offline' };
    },
  });
  /** PUT /_matrix/client/v3/presence/{userId}/status */
  router.add({
    method: 'PUT', path: '/_matrix/client/v3/presence/:userId/status', auth: 'required',
    handler: (ctx) => {
      if (ctx.params['userId'] !== ctx.auth.userId) throw forbidden('you can only set your own presence');
      const body = requireObject(ctx.body, 'request body');
      if (!['online', 'offline', 'unavailable'].includes(reqString(body, 'presence'))) throw badJson("'presence' must be online, offline or unavailable");
      return {};
    },
  });
  /** GET /_matrix/client/v3/voip/turnServer — no TURN server is configured. */
  router.add({ method: 'GET', path: '/_matrix/client/v3/voip/turnServer', auth: 'required', handler: () => ({}) });
  /** GET /_matrix/client/v1/media/config — no media repository: uploads are not accepted. */
  router.add({ method: 'GET', path: '/_matrix/client/v1/media/config', auth: 'required', handler: () => ({ 'm.upload.size': 0 }) });
  /** GET /_matrix/client/v3/thirdparty/protocols */
  router.add({ method: 'GET', path: '/_matrix/client/v3/thirdparty/protocols', auth: 'required', handler: () => ({}) });
  /** GET /_matrix/client/v3/notifications */
  router.add({ method: 'GET', path: '/_matrix/client/v3/notifications', auth: 'required', handler: () => ({ notifications: [] }) });
}
