// Notary key queries (spec "Querying Keys Through Another Server"): other servers' keys from our
// cache, fetched from them when missing or stale, signed by us as well. Unauthenticated, as the spec
// defines them.
import type { Router } from '../router.ts';
import type { HomeserverServices } from '../../app.ts';
import { badJson, invalidParam, missingParam } from '../errors.ts';
import { isObject, optInt, requireObject } from '../validate.ts';
import { isValidServerName } from '../../core/ids.ts';
import { federationOf } from '../../federation/wire.ts';
import type { NotaryQuery } from '../../federation/notary.ts';

/** More servers than this in one query is refused: each may cost an outgoing fetch. */
const MAX_SERVERS_PER_QUERY = 100;

export function register(router: Router, s: HomeserverServices): void {
  const f = federationOf(s);
  /** POST /_matrix/key/v2/query */
  router.add({
    method: 'POST', path: '/_matrix/key/v2/query', auth: 'none', rateLimited: true,
    handler: (ctx) => {
      const body = requireObject(ctx.body, 'request body');
      const serverKeys = body['server_keys'];
      if (serverKeys === undefined || serverKeys === null) throw missingParam("'server_keys' is required");
      if (!isObject(serverKeys)) throw badJson("'server_keys' must be an object of server names");
      const entries = Object.entries(serverKeys);
      if (entries.length > MAX_SERVERS_PER_QUERY) throw badJson(`'server_keys' names ${entries.length} servers; at most ${MAX_SERVERS_PER_QUERY} are answered per query`);
      const q: NotaryQuery = new Map();
      for (const [serverName, keyCriteria] of entries) {
        if (!isValidServerName(serverName)) throw badJson(`'server_keys': '${serverName}' is not a valid server name`);
        if (!isObject(keyCriteria)) throw badJson(`'server_keys.${serverName}' must be an object of key ids`);
        const keys = new Map<string, number | null>();
        for (const [keyId, criteria] of Object.entries(keyCriteria)) {
          if (!isObject(criteria)) throw badJson(`'server_keys.${serverName}.${keyId}' must be an object`);
          keys.set(keyId, optInt(criteria, 'minimum_valid_until_ts') ?? null);
        }
        q.set(serverName, { keys, minimumValidUntilTs: null });
      }
      return f.notary.query(q);
    },
  });
  /** GET /_matrix/key/v2/query/{serverName} */
  router.add({
    method: 'GET', path: '/_matrix/key/v2/query/:serverName', auth: 'none', rateLimited: true,
    handler: (ctx) => {
      const serverName = ctx.params['serverName']!;
      if (!isValidServerName(serverName)) throw invalidParam(`'${serverName}' is not a valid server name`);
      const raw = ctx.query.get('minimum_valid_until_ts');
      if (raw !== null && !/^\d+$/.test(raw)) throw invalidParam("query parameter 'minimum_valid_until_ts' must be a non-negative integer");
      return f.notary.query(new Map([[serverName, { keys: new Map(), minimumValidUntilTs: raw === null ? null : Number(raw) }]]));
    },
  });
}
