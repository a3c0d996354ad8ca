// Global and per-room account data.
import type { Router, RequestContext, Auth } from '../router.ts';
import type { HomeserverServices } from '../../app.ts';
import { forbidden, notFound, invalidParam, MatrixError } from '../errors.ts';
import { requireObject } from '../validate.ts';
import { isValidRoomId } from '../../core/ids.ts';

// Types the server manages through their own APIs (spec: account data "server-managed" types).
const SERVER_MANAGED = new Set(['m.fully_read', 'm.push_rules']);

export function register(router: Router, s: HomeserverServices): void {
  const own = (ctx: RequestContext & { auth: Auth }, roomId: string): void => {
    if (ctx.params['userId'] !== ctx.auth.userId) throw forbidden('you can only access your own account data');
    // Spec: a malformed room id is M_INVALID_PARAM. Membership is not required (Synapse): clients
    // keep tags and markers for rooms they were invited to or left.
    if (roomId && !isValidRoomId(roomId)) throw invalidParam(`'${roomId}' is not a valid room id`);
  };
  const put = async (ctx: RequestContext & { auth: Auth }, roomId: string): Promise<unknown> => {
    own(ctx, roomId);
    const type = ctx.params['type']!;
    if (SERVER_MANAGED.has(type)) throw new MatrixError(405, 'M_BAD_JSON', `account data type ${type} is managed by the server; use its own API`);
    const content = requireObject(ctx.body, 'account data content');
    await s.userStreams.setAccountData(ctx.auth.userId, roomId, type, content);
    return {};
  };
  const get = (ctx: RequestContext & { auth: Auth }, roomId: string): unknown => {
    own(ctx, roomId);
    if (!roomId && ctx.params['type'] === 'm.push_rules' && s.pushRules) return { global: s.pushRules.ruleset(ctx.auth.userId) };
    const c = s.userStreams.accountData(ctx.auth.userId, roomId, ctx.params['type']!);
    if (!c) throw notFound(`no account data of type ${ctx.params['type']}`);
    return c;
  };
  /** PUT /_matrix/client/v3/user/{userId}/account_data/{type} */
  router.add({ method: 'PUT', path: '/_matrix/client/v3/user/:userId/account_data/:type', auth: 'required', handler: (ctx) => put(ctx, '') });
  /** GET /_matrix/client/v3/user/{userId}/account_data/{type} */
  router.add({ method: 'GET', path: '/_matrix/client/v3/user/:userId/account_data/:type', auth: 'required', handler: (ctx) => get(ctx, '') });
  /** PUT /_matrix/client/v3/user/{userId}/rooms/{roomId}/account_data/{type} */
  router.add({ method: 'PUT', path: '/_matrix/client/v3/user/:userId/rooms/:roomId/account_data/:type', auth: 'required', handler: (ctx) => put(ctx, ctx.params['roomId']!) });
  /** GET /_matrix/client/v3/user/{userId}/rooms/{roomId}/account_data/{type} */
  router.add({ method: 'GET', path: '/_matrix/client/v3/user/:userId/rooms/:roomId/account_data/:type', auth: 'required', handler: (ctx) => get(ctx, ctx.params['roomId']!) });
}
