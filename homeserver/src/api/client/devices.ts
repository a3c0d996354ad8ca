// Device management: list, get, rename, delete (with user-interactive auth).
import type { Router } from '../router.ts';
import type { HomeserverServices } from '../../app.ts';
import { notFound } from '../errors.ts';
import { optString, optStringArray, requireObject } from '../validate.ts';

export function register(router: Router, s: HomeserverServices): void {
  /** GET /_matrix/client/v3/devices */
  router.add({ method: 'GET', path: '/_matrix/client/v3/devices', auth: 'required', handler: (ctx) => ({ devices: s.accounts.listDevices(ctx.auth.userId) }) });
  /** GET /_matrix/client/v3/devices/{deviceId} */
  router.add({
    method: 'GET', path: '/_matrix/client/v3/devices/:deviceId', auth: 'required',
    handler: (ctx) => {
      const d = s.accounts.getDevice(ctx.auth.userId, ctx.params['deviceId']!);
      if (!d) throw notFound(`device ${ctx.params['deviceId']} not found`);
      return d;
    },
  });
  /** PUT /_matrix/client/v3/devices/{deviceId} */
  router.add({
    method: 'PUT', path: '/_matrix/client/v3/devices/:deviceId', auth: 'required',
    handler: async (ctx) => {
      const body = requireObject(ctx.body, 'request body');
      const name = optString(body, 'display_name');
      if (!s.accounts.getDevice(ctx.auth.userId, ctx.params['deviceId']!)) throw notFound(`device ${ctx.params['deviceId']} not found`);
      await s.accounts.renameDevice(ctx.auth.userId, ctx.params['deviceId']!, name ?? null);
      return {};
    },
  });
  /** DELETE /_matrix/client/v3/devices/{deviceId} */
  router.add({
    method: 'DELETE', path: '/_matrix/client/v3/devices/:deviceId', auth: 'required',
    handler: async (ctx) => {
      const deviceId = ctx.params['deviceId']!;
      if (!s.accounts.getDevice(ctx.auth.userId, deviceId)) throw notFound(`device ${deviceId} not found`);
      await s.uia.require(ctx.body ?? {}, [['m.login.password']], `delete-device:${deviceId}`, ctx.auth.userId);
      await s.accounts.deleteDevices(ctx.auth.userId, [deviceId]);
      return {};
    },
  });
  /** POST /_matrix/client/v3/delete_devices */
  router.add({
    method: 'POST', path: '/_matrix/client/v3/delete_devices', auth: 'required',
    handler: async (ctx) => {
      const body = requireObject(ctx.body, 'request body');
      const devices = optStringArray(body, 'devices') ?? [];
      await s.uia.require(ctx.body, [['m.login.password']], `delete-devices:${[...devices].sort().join(',')}`, ctx.auth.userId);
      await s.accounts.deleteDevices(ctx.auth.userId, devices);
      return {};
    },
  });
}
