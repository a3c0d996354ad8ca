// The hooks /register, /login and alias creation call (hooks.ts), implemented against the
// registry (spec: Application Service API, "Server admin style permissions"):
// `m.login.application_service` registration of users in an appservice's users namespace without a
// password, login as them with the as_token, and the exclusive-namespace checks for everyone else.
import type { HomeserverServices } from '../../app.ts';
import type { Auth } from '../../api/router.ts';
import { MatrixError, badJson, forbidden, invalidParam, missingToken, unknownToken } from '../../api/errors.ts';
import { isObject, reqString, requireObject } from '../../api/validate.ts';
import { isValidUserId } from '../../core/ids.ts';
import type { AppserviceHooks } from './hooks.ts';
import { checkAliasModifiable, checkUserIdNotExclusive, type AppserviceRegistry } from './registry.ts';
import type { Appservice } from './registration.ts';

export const APPSERVICE_LOGIN_TYPE = 'm.login.application_service';

export function createAppserviceHooks(s: HomeserverServices, registry: AppserviceRegistry): AppserviceHooks {
  /** The appservice behind a request, or the spec's 401 for a missing / non-appservice token. */
  const requireAppservice = (auth: Auth | undefined, what: string): Appservice => {
    if (!auth) throw missingToken();
    const as = auth.appserviceId ? registry.get(auth.appserviceId) : undefined;
    if (!as) throw unknownToken(`${what} is only valid with an application service's as_token`);
    return as;
  };

  return {
    async registerUser(auth, rawBody) {
      const as = requireAppservice(auth, `registration type ${APPSERVICE_LOGIN_TYPE}`);
      const body = requireObject(rawBody, 'request body');
      const username = reqString(body, 'username');
      const userId = `@${username}:${s.config.server_name}`;
      // Like Synapse, appservices get the historical user id grammar (bridges rely on it).
      if (username.length > 512 || !isValidUserId(userId)) throw new MatrixError(400, 'M_INVALID_USERNAME', `'${username}' is not a valid user id localpart`);
      if (!as.isInterestedInUser(userId)) {
        throw new MatrixError(400, 'M_EXCLUSIVE', `${userId} is outside the users namespace of application service ${as.id}`);
      }
      checkUserIdNotExclusive(s, userId, as.id);
      return s.accounts.createUser({ localpart: username, password: null, appserviceId: as.isExclusiveUser(userId) ? as.id : null });
    },

    async login(ctx, rawBody) {
      const as = requireAppservice(ctx.auth, `login type ${APPSERVICE_LOGIN_TYPE}`);
      const body = requireObject(rawBody, 'request body');
      let user: unknown;
      const identifier = body['identifier'];
      if (identifier !== undefined) {
        if (!isObject(identifier)) throw invalidParam("'identifier' must be an object");
        if (identifier['type'] !== 'm.id.user') throw invalidParam("'identifier.type' must be m.id.user for application service login");
        user = identifier['user'];
        if (typeof user !== 'string') throw invalidParam("'identifier.user' must be a string");
      } else {
        // The deprecated top-level `user` field some clients still send.
        user = body['user'];
        if (typeof user !== 'string') throw badJson("'identifier' is required");
      }
      const name = user as string;
      const userId = name.startsWith('@') ? name : `@${name}:${s.config.server_name}`;
      if (!as.isInterestedInUser(userId)) {
        throw new MatrixError(403, 'M_EXCLUSIVE', `${userId} is outside the users namespace of application service ${as.id}`);
      }
      const row = s.usersStore.getUser(userId);
      if (!row) throw forbidden(`${userId} has not been registered`);
      if (row.deactivated && userId !== as.sender) throw new MatrixError(403, 'M_USER_DEACTIVATED', `${userId} has been deactivated`);
      return userId;
    },

    checkNotExclusive(userId) {
      checkUserIdNotExclusive(s, userId);
    },

    checkAliasNotExclusive(alias, auth) {
      // Without the request's auth, nobody (not even an appservice) may take an exclusive alias.
      checkAliasModifiable(s, alias, auth ?? { userId: '', deviceId: null, isGuest: false });
    },
  };
}
