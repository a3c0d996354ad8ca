// Send-to-device messaging.
import type { Router } from '../router.ts';
import type { HomeserverServices } from '../../app.ts';
import type { E2eeServices } from '../../services/e2ee/wire.ts';
import type { JsonObject } from '../../core/pdu.ts';
import { badJson, missingParam } from '../errors.ts';
import { isObject, requireObject } from '../validate.ts';

/** Reads `messages`: user id → device id (or `*`) → content object. */
function readMessages(v: unknown): Record<string, Record<string, JsonObject>> {
  if (v === undefined) throw missingParam("'messages' is required");
  if (!isObject(v)) throw badJson("'messages' must be an object");
  for (const [user, devices] of Object.entries(v)) {
    if (!isObject(devices)) throw badJson(`'messages.${user}' must map device ids to message contents`);
    for (const [device, content] of Object.entries(devices)) {
      if (!isObject(content)) throw badJson(`'messages.${user}.${device}' must be an object`);
    }
  }
  return v as Record<string, Record<string, JsonObject>>;
}

export function register(router: Router, s: HomeserverServices, e2ee: E2eeServices): void {
  void s;
  /** PUT /_matrix/client/v3/sendToDevice/{eventType}/{txnId} */
  router.add({
    method: 'PUT', path: '/_matrix/client/v3/sendToDevice/:eventType/:txnId', auth: 'required',
    handler: async (ctx) => {
      const body = requireObject(ctx.body, 'request body');
      const messages = readMessages(body['messages']);
      await e2ee.toDevice.send(ctx.auth.userId, ctx.auth.deviceId, ctx.params['eventType']!, ctx.params['txnId']!, messages);
      return {};
    },
  });
}
