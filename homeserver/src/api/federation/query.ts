// Federation queries (spec "Query API"): a local user's profile and a local room alias, for servers
// that sign their requests (X-Matrix). Also installs the X-Matrix authenticator of this router.
import type { Router } from '../router.ts';
import type { HomeserverServices } from '../../app.ts';
import { invalidParam, missingParam, notFound } from '../errors.ts';
import { isValidRoomAlias, isValidUserId, serverNameOf } from '../../core/ids.ts';
import { federationOf } from '../../federation/wire.ts';

const PROFILE_FIELDS = ['displayname', 'avatar_url'] as const;

export function register(router: Router, s: HomeserverServices): void {
  router.federationAuthenticator = federationOf(s).requestAuth;

  /** GET /_matrix/federation/v1/query/profile */
  router.add({
    method: 'GET', path: '/_matrix/federation/v1/query/profile', auth: 'federation',
    handler: (ctx) => {
      const userId = ctx.query.get('user_id');
      if (userId === null || userId === '') throw missingParam("query parameter 'user_id' is required");
      if (!isValidUserId(userId)) throw invalidParam(`'${userId}' is not a valid user id`);
      if (serverNameOf(userId) !== s.config.server_name) throw invalidParam(`user ${userId} is not hosted on this homeserver`);
      const field = ctx.query.get('field');
      if (field !== null && !(PROFILE_FIELDS as readonly string[]).includes(field)) throw notFound(`profile field '${field}' does not exist`);
      if (!s.accounts.userExists(userId)) throw notFound(`user ${userId} does not exist`);
      const p = s.usersStore.getProfile(userId) ?? { displayname: null, avatar_url: null };
      const out: Record<string, string> = {};
      for (const k of PROFILE_FIELDS) {
        if ((field === null || field === k) && p[k] !== null) out[k] = p[k];
      }
      if (field !== null && out[field] === undefined) throw notFound(`user ${userId} has no ${field}`);
      return out;
    },
  });

  /** GET /_matrix/federation/v1/query/directory */
  router.add({
    method: 'GET', path: '/_matrix/federation/v1/query/directory', auth: 'federation',
    handler: (ctx) => {
      const alias = ctx.query.get('room_alias');
      if (alias === null || alias === '') throw missingParam("query parameter 'room_alias' is required");
      if (!isValidRoomAlias(alias)) throw invalidParam(`'${alias}' is not a valid room alias`);
      const a = serverNameOf(alias) === s.config.server_name ? s.eventsStore.getAlias(alias) : undefined;
      if (!a) throw notFound(`room alias ${alias} is not known`);
      // Us first, then the other servers with joined members: the servers likely to hold the room.
      const servers = new Set([s.config.server_name]);
      for (const m of s.eventsStore.membersOfRoom(a.room_id, 'join')) servers.add(serverNameOf(m.user_id));
      return { room_id: a.room_id, servers: [...servers] };
    },
  });
}
