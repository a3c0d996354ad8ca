// End-to-end encryption keys of our users for other servers (spec: Server-Server API "End-to-End
// Encryption", "Device Management"): device keys and cross-signing keys (never the user-signing
// key), one-time key claims, and a user's whole device list with its stream position. Users of
// other servers in a request are ignored: each server answers only for its own users.
import type { Router } from '../router.ts';
import type { HomeserverServices } from '../../app.ts';
import { MatrixError, invalidParam, missingParam } from '../errors.ts';
import { requireObject } from '../validate.ts';
import { isValidUserId } from '../../core/ids.ts';
import { readClaimRequest, readDeviceListRequest } from '../../services/e2ee/device-keys.ts';
import { e2eeFederationOf, type E2eeFederation } from '../../federation/e2ee-federation.ts';

/** The origin server is not a viewer with signatures of its own here: only the owners' signatures show. */
const NO_VIEWER = '';

export function register(router: Router, s: HomeserverServices): void {
  const e2ee = (): E2eeFederation => {
    const f = e2eeFederationOf(s);
    if (!f) throw new MatrixError(404, 'M_UNRECOGNIZED', 'end-to-end encryption is not available on this server');
    return f;
  };
  const ours = <T>(request: Record<string, T>): Record<string, T> =>
    Object.fromEntries(Object.entries(request).filter(([u]) => s.accounts.isLocalUser(u)));

  /** POST /_matrix/federation/v1/user/keys/query */
  router.add({
    method: 'POST', path: '/_matrix/federation/v1/user/keys/query', auth: 'federation',
    handler: async (ctx) => {
      const body = requireObject(ctx.body, 'request body');
      if (body['device_keys'] === undefined) throw missingParam("'device_keys' is required");
      const request = ours(readDeviceListRequest(body['device_keys'], 'device_keys'));
      const r = await e2ee().e2ee.keys.query(NO_VIEWER, request, 0);
      if (!s.config.allow_device_name_lookup_over_federation) {
        // Device names can identify a pseudonymous student: other servers get none (Synapse's default).
        for (const devices of Object.values(r.device_keys)) {
          for (const d of Object.values(devices as Record<string, { unsigned?: Record<string, unknown> }>)) {
            if (d.unsigned) delete d.unsigned['device_display_name'];
          }
        }
      }
      return { device_keys: r.device_keys, master_keys: r.master_keys, self_signing_keys: r.self_signing_keys };
    },
  });

  /** POST /_matrix/federation/v1/user/keys/claim */
  router.add({
    method: 'POST', path: '/_matrix/federation/v1/user/keys/claim', auth: 'federation',
    handler: async (ctx) => {
      const body = requireObject(ctx.body, 'request body');
      if (body['one_time_keys'] === undefined) throw missingParam("'one_time_keys' is required");
      const request = ours(readClaimRequest(body['one_time_keys'], 'one_time_keys'));
      const r = await e2ee().e2ee.keys.claim(request, 0);
      return { one_time_keys: r.one_time_keys };
    },
  });

  /** GET /_matrix/federation/v1/user/devices/{userId} */
  router.add({
    method: 'GET', path: '/_matrix/federation/v1/user/devices/:userId', auth: 'federation',
    handler: (ctx) => {
      const userId = ctx.params['userId']!;
      if (!isValidUserId(userId)) throw invalidParam(`'${userId}' is not a valid user id`);
      if (!s.accounts.isLocalUser(userId)) throw invalidParam(`user ${userId} is not hosted on this homeserver`);
      // Like Synapse, a user without an account simply has no devices.
      return e2ee().outbound.snapshot(userId);
    },
  });
}
