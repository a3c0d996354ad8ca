// End-to-end encryption key management: device keys, one-time keys, key changes, cross-signing.
import type { Router } from '../router.ts';
import type { HomeserverServices } from '../../app.ts';
import type { E2eeServices } from '../../services/e2ee/wire.ts';
import { missingParam } from '../errors.ts';
import { optInt, requireObject } from '../validate.ts';
import { readClaimRequest, readDeviceListRequest } from '../../services/e2ee/device-keys.ts';
import { parseSyncToken } from '../../services/sync/sync.ts';

const DEFAULT_TIMEOUT_MS = 10_000;

export function register(router: Router, s: HomeserverServices, e2ee: E2eeServices): void {
  /** POST /_matrix/client/v3/keys/upload */
  router.add({
    method: 'POST', path: '/_matrix/client/v3/keys/upload', auth: 'required',
    handler: async (ctx) => {
      const body = requireObject(ctx.body, 'request body');
      return { one_time_key_counts: await e2ee.keys.upload(ctx.auth.userId, ctx.auth.deviceId, body) };
    },
  });

  /** POST /_matrix/client/v3/keys/query */
  router.add({
    method: 'POST', path: '/_matrix/client/v3/keys/query', auth: 'required',
    handler: async (ctx) => {
      const body = requireObject(ctx.body, 'request body');
      if (body['device_keys'] === undefined) throw missingParam("'device_keys' is required");
      const request = readDeviceListRequest(body['device_keys'], 'device_keys');
      return e2ee.keys.query(ctx.auth.userId, request, optInt(body, 'timeout') ?? DEFAULT_TIMEOUT_MS);
    },
  });

  /** POST /_matrix/client/v3/keys/claim */
  router.add({
    method: 'POST', path: '/_matrix/client/v3/keys/claim', auth: 'required',
    handler: async (ctx) => {
      const body = requireObject(ctx.body, 'request body');
      if (body['one_time_keys'] === undefined) throw missingParam("'one_time_keys' is required");
      const request = readClaimRequest(body['one_time_keys'], 'one_time_keys');
      return e2ee.keys.claim(request, optInt(body, 'timeout') ?? DEFAULT_TIMEOUT_MS);
    },
  });

  /** GET /_matrix/client/v3/keys/changes */
  router.add({
    method: 'GET', path: '/_matrix/client/v3/keys/changes', auth: 'required',
    handler: (ctx) => {
      const from = ctx.query.get('from');
      if (!from) throw missingParam("query parameter 'from' is required");
      const to = ctx.query.get('to');
      // Like Synapse, report changes up to now whatever `to` says (it is only a hint), but reject a
      // malformed one so client bugs show.
      if (to) parseSyncToken(to);
      const current = s.streams.current;
      return e2ee.deviceLists.changesFor(ctx.auth.userId, Math.min(parseSyncToken(from).pos, current), current);
    },
  });

  /** POST /_matrix/client/v3/keys/device_signing/upload */
  router.add({
    method: 'POST', path: '/_matrix/client/v3/keys/device_signing/upload', auth: 'required',
    handler: async (ctx) => {
      const body = requireObject(ctx.body, 'request body');
      const userId = ctx.auth.userId;
      const upload = e2ee.crossSigning.parseUpload(userId, body);
      // Spec 1.11+: no UIA for the first upload, nor for re-sending the keys already stored (a retry);
      // spec 1.17: none for application services. Replacing existing keys needs the password.
      if (e2ee.crossSigning.hasMasterKey(userId)) {
        if (e2ee.crossSigning.isUnchanged(userId, upload)) return {};
        if (!ctx.auth.appserviceId) await s.uia.require(ctx.body, [['m.login.password']], 'keys-device-signing-upload', userId);
      }
      await e2ee.crossSigning.storeKeys(userId, upload);
      return {};
    },
  });

  /** POST /_matrix/client/v3/keys/signatures/upload */
  router.add({
    method: 'POST', path: '/_matrix/client/v3/keys/signatures/upload', auth: 'required',
    handler: async (ctx) => e2ee.crossSigning.uploadSignatures(ctx.auth.userId, requireObject(ctx.body, 'request body')),
  });

}
