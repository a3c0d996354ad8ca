// /sync and filters.
import type { Router } from '../router.ts';
import type { HomeserverServices } from '../../app.ts';
import { forbidden, invalidParam, notFound } from '../errors.ts';
import { isObject, queryInt, requireObject } from '../validate.ts';
import { parseSyncFilter, validateFilter } from '../../services/sync/sync-filter.ts';
import type { JsonObject } from '../../core/pdu.ts';

export function register(router: Router, s: HomeserverServices): void {
  /** GET /_matrix/client/v3/sync */
  router.add({
    method: 'GET', path: '/_matrix/client/v3/sync', auth: 'required',
    handler: async (ctx) => {
      s.accounts.touch(ctx.auth, ctx.ip);
      const rawFilter = ctx.query.get('filter');
      let filterDef: JsonObject | undefined;
      if (rawFilter) {
        if (rawFilter.trimStart().startsWith('{')) {
          let parsed: unknown;
          try {
            parsed = JSON.parse(rawFilter);
          } catch {
            throw invalidParam("query parameter 'filter' is not valid JSON");
          }
          if (!isObject(parsed)) throw invalidParam("query parameter 'filter' must be a JSON object");
          filterDef = parsed;
        } else {
          filterDef = s.userStreams.filter(ctx.auth.userId, rawFilter);
          if (!filterDef) throw notFound(`filter ${rawFilter} not found`);
        }
      }
      const setPresence = ctx.query.get('set_presence');
      if (setPresence !== null && !['online', 'offline', 'unavailable'].includes(setPresence)) throw invalidParam("'set_presence' must be online, offline or unavailable");
      return s.sync.sync(ctx.auth, {
        since: ctx.query.get('since'),
        timeoutMs: queryInt(ctx.query, 'timeout', 0, 0, 300_000),
        filter: parseSyncFilter(filterDef),
        fullState: ctx.query.get('full_state') === 'true',
      }, ctx.signal);
    },
  });
  /** POST /_matrix/client/v3/user/{userId}/filter */
  router.add({
    method: 'POST', path: '/_matrix/client/v3/user/:userId/filter', auth: 'required',
    handler: async (ctx) => {
      if (ctx.params['userId'] !== ctx.auth.userId) throw forbidden('you can only create filters for yourself');
      const body = validateFilter(requireObject(ctx.body, 'filter'));
      return { filter_id: await s.userStreams.createFilter(ctx.auth.userId, body) };
    },
  });
  /** GET /_matrix/client/v3/user/{userId}/filter/{filterId} */
  router.add({
    method: 'GET', path: '/_matrix/client/v3/user/:userId/filter/:filterId', auth: 'required',
    handler: (ctx) => {
      if (ctx.params['userId'] !== ctx.auth.userId) throw forbidden('you can only read your own filters');
      const f = s.userStreams.filter(ctx.auth.userId, ctx.params['filterId']!);
      if (!f) throw notFound(`filter ${ctx.params['filterId']} not found`);
      return f;
    },
  });
}
