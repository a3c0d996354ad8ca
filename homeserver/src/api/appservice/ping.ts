// The appservice ping (spec: Client-Server API, POST /_matrix/client/v1/appservice/{appserviceId}/ping):
// an appservice asks the homeserver to call its /_matrix/app/v1/ping to prove the connection and
// hs_token work. A working ping also ends any transaction backoff, as in Synapse.
import type { Router } from '../router.ts';
import type { HomeserverServices } from '../../app.ts';
import { MatrixError, forbidden } from '../errors.ts';
import { optString, requireObject } from '../validate.ts';
import type { AppserviceRegistry } from '../../services/appservice/registry.ts';

const PING_TIMEOUT_MS = 30_000;

export function register(router: Router, s: HomeserverServices, deps: { registry: AppserviceRegistry; onPingOk: (appserviceId: string) => void }): void {
  /** POST /_matrix/client/v1/appservice/{appserviceId}/ping */
  router.add({
    method: 'POST', path: '/_matrix/client/v1/appservice/:appserviceId/ping', auth: 'required',
    handler: async (ctx) => {
      const as = ctx.auth.appserviceId ? deps.registry.get(ctx.auth.appserviceId) : undefined;
      if (!as || as.id !== ctx.params['appserviceId']) throw forbidden("Provided access token is not the appservice's as_token");
      const body = requireObject(ctx.body, 'request body');
      const transactionId = optString(body, 'transaction_id');
      if (as.reg.url === null) throw new MatrixError(400, 'M_URL_NOT_SET', "Application service doesn't have a URL configured");
      const started = performance.now();
      let res: Response;
      try {
        res = await fetch(`${as.reg.url}/_matrix/app/v1/ping`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${as.reg.hsToken}`, 'Content-Type': 'application/json' },
          body: JSON.stringify(transactionId !== undefined ? { transaction_id: transactionId } : {}),
          signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(PING_TIMEOUT_MS)]),
        });
      } catch (e) {
        if ((e as Error).name === 'TimeoutError') throw new MatrixError(504, 'M_CONNECTION_TIMEOUT', 'Connection to application service timed out');
        throw new MatrixError(502, 'M_CONNECTION_FAILED', `Connection to application service failed: ${(e as Error).message}`);
      }
      const text = await res.text().catch(() => '');
      if (!res.ok) {
        throw new MatrixError(502, 'M_BAD_STATUS', `Ping returned status ${res.status}`, { status: res.status, body: text.slice(0, 4096) });
      }
      deps.onPingOk(as.id);
      s.logger.debug('appservice ping ok', { appservice: as.id });
      return { duration_ms: Math.round(performance.now() - started) };
    },
  });
}
