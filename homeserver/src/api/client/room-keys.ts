// Server-side key backup: backup versions and the room keys stored in them.
import type { Router, RequestContext } from '../router.ts';
import type { HomeserverServices } from '../../app.ts';
import type { E2eeServices } from '../../services/e2ee/wire.ts';
import { badJson, missingParam } from '../errors.ts';
import { isObject, optString, reqString, requireObject } from '../validate.ts';
import { readKeyBackupData, readRoomSessions, type RoomKeysUpload } from '../../services/e2ee/key-backup.ts';
import type { JsonObject } from '../../core/pdu.ts';

function versionParam(ctx: RequestContext): string {
  const v = ctx.query.get('version');
  if (!v) throw missingParam("query parameter 'version' is required");
  return v;
}

function authData(body: JsonObject): JsonObject {
  const v = body['auth_data'];
  if (v === undefined) throw missingParam("'auth_data' is required");
  if (!isObject(v)) throw badJson("'auth_data' must be an object");
  return v;
}

/** Reads the body of PUT /room_keys/keys: `{rooms: {roomId: {sessions: {...}}}}`. */
function readAllRooms(body: JsonObject): RoomKeysUpload {
  const rooms = body['rooms'];
  if (rooms === undefined) throw missingParam("'rooms' is required");
  if (!isObject(rooms)) throw badJson("'rooms' must be an object");
  const out: RoomKeysUpload = {};
  for (const [roomId, room] of Object.entries(rooms)) {
    if (!isObject(room)) throw badJson(`'rooms.${roomId}' must be an object`);
    out[roomId] = readRoomSessions(room['sessions'], `rooms.${roomId}.sessions`);
  }
  return out;
}

export function register(router: Router, s: HomeserverServices, e2ee: E2eeServices): void {
  void s;
  const backup = e2ee.backup;
  const R = '/_matrix/client/v3/room_keys';

  /** POST /_matrix/client/v3/room_keys/version */
  router.add({
    method: 'POST', path: `${R}/version`, auth: 'required',
    handler: async (ctx) => {
      const body = requireObject(ctx.body, 'request body');
      return { version: await backup.createVersion(ctx.auth.userId, reqString(body, 'algorithm'), authData(body)) };
    },
  });
  /** GET /_matrix/client/v3/room_keys/version */
  router.add({ method: 'GET', path: `${R}/version`, auth: 'required', handler: (ctx) => backup.versionInfo(ctx.auth.userId) });
  /** GET /_matrix/client/v3/room_keys/version/{version} */
  router.add({ method: 'GET', path: `${R}/version/:version`, auth: 'required', handler: (ctx) => backup.versionInfo(ctx.auth.userId, ctx.params['version']!) });
  /** PUT /_matrix/client/v3/room_keys/version/{version} */
  router.add({
    method: 'PUT', path: `${R}/version/:version`, auth: 'required',
    handler: async (ctx) => {
      const body = requireObject(ctx.body, 'request body');
      await backup.updateVersion(ctx.auth.userId, ctx.params['version']!, reqString(body, 'algorithm'), authData(body), optString(body, 'version'));
      return {};
    },
  });
  /** DELETE /_matrix/client/v3/room_keys/version/{version} */
  router.add({
    method: 'DELETE', path: `${R}/version/:version`, auth: 'required',
    handler: async (ctx) => {
      await backup.deleteVersion(ctx.auth.userId, ctx.params['version']!);
      return {};
    },
  });

  /** PUT /_matrix/client/v3/room_keys/keys */
  router.add({
    method: 'PUT', path: `${R}/keys`, auth: 'required',
    handler: (ctx) => backup.putKeys(ctx.auth.userId, versionParam(ctx), readAllRooms(requireObject(ctx.body, 'request body'))),
  });
  /** PUT /_matrix/client/v3/room_keys/keys/{roomId} */
  router.add({
    method: 'PUT', path: `${R}/keys/:roomId`, auth: 'required',
    handler: (ctx) => {
      const body = requireObject(ctx.body, 'request body');
      return backup.putKeys(ctx.auth.userId, versionParam(ctx), { [ctx.params['roomId']!]: readRoomSessions(body['sessions'], 'sessions') });
    },
  });
  /** PUT /_matrix/client/v3/room_keys/keys/{roomId}/{sessionId} */
  router.add({
    method: 'PUT', path: `${R}/keys/:roomId/:sessionId`, auth: 'required',
    handler: (ctx) => {
      const data = readKeyBackupData(requireObject(ctx.body, 'request body'), 'request body');
      return backup.putKeys(ctx.auth.userId, versionParam(ctx), { [ctx.params['roomId']!]: { [ctx.params['sessionId']!]: data } });
    },
  });

  /** GET /_matrix/client/v3/room_keys/keys */
  router.add({ method: 'GET', path: `${R}/keys`, auth: 'required', handler: (ctx) => backup.allKeys(ctx.auth.userId, versionParam(ctx)) });
  /** GET /_matrix/client/v3/room_keys/keys/{roomId} */
  router.add({ method: 'GET', path: `${R}/keys/:roomId`, auth: 'required', handler: (ctx) => backup.roomKeys(ctx.auth.userId, versionParam(ctx), ctx.params['roomId']!) });
  /** GET /_matrix/client/v3/room_keys/keys/{roomId}/{sessionId} */
  router.add({
    method: 'GET', path: `${R}/keys/:roomId/:sessionId`, auth: 'required',
    handler: (ctx) => backup.sessionKey(ctx.auth.userId, versionParam(ctx), ctx.params['roomId']!, ctx.params['sessionId']!),
  });

  /** DELETE /_matrix/client/v3/room_keys/keys */
  router.add({ method: 'DELETE', path: `${R}/keys`, auth: 'required', handler: (ctx) => backup.deleteKeys(ctx.auth.userId, versionParam(ctx)) });
  /** DELETE /_matrix/client/v3/room_keys/keys/{roomId} */
  router.add({ method: 'DELETE', path: `${R}/keys/:roomId`, auth: 'required', handler: (ctx) => backup.deleteKeys(ctx.auth.userId, versionParam(ctx), ctx.params['roomId']!) });
  /** DELETE /_matrix/client/v3/room_keys/keys/{roomId}/{sessionId} */
  router.add({
    method: 'DELETE', path: `${R}/keys/:roomId/:sessionId`, auth: 'required',
    handler: (ctx) => backup.deleteKeys(ctx.auth.userId, versionParam(ctx), ctx.params['roomId']!, ctx.params['sessionId']!),
  });
}
