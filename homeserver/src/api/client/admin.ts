// Synapse's admin API as far as Peerline offers it: shared-secret registration
// (docs/admin_api/register_api.md) and registration tokens
// (docs/usage/administration/admin_api/registration_tokens.md). Bodies, status codes and error
// codes follow Synapse, so its tools (register_new_matrix_user, admin UIs) work unchanged.
import type { Router } from '../router.ts';
import type { HomeserverServices } from '../../app.ts';
import type { RegistrationTokenRow } from '../../storage/users-store.ts';
import { MatrixError, badJson, forbidden, notFound } from '../errors.ts';
import { optString, requireObject } from '../validate.ts';
import { randomString } from '../../core/ids.ts';
import { macMatches, newNonce, registrationMac, USER_TYPES } from '../../services/appservice/shared-secret.ts';
import { checkUserIdNotExclusive } from '../../services/appservice/registry.ts';

/** Synapse's SynapseError without an errcode. */
const unknown = (status: number, msg: string): MatrixError => new MatrixError(status, 'M_UNKNOWN', msg);

const TOKEN_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-';

function requireServerAdmin(s: HomeserverServices, userId: string): void {
  if (!s.accounts.isAdmin(userId)) throw forbidden('You are not a server admin');
}

function tokenJson(t: RegistrationTokenRow): Record<string, unknown> {
  return { token: t.token, uses_allowed: t.uses_allowed, pending: t.pending, completed: t.completed, expiry_time: t.expiry_time };
}

/** A string field of at most 512 characters without NULs, as Synapse checks username and password. */
function macField(body: Record<string, unknown>, key: 'username' | 'password'): string {
  if (!(key in body)) throw badJson(`${key} must be specified`);
  const v = body[key];
  if (typeof v !== 'string' || v.length > 512 || v.includes('\0')) throw unknown(400, `Invalid ${key}`);
  return v;
}

export function register(router: Router, s: HomeserverServices): void {
  const sharedSecret = (): string => {
    const secret = s.config.registration_shared_secret;
    if (!secret) throw unknown(400, 'Shared secret registration is not enabled');
    return secret;
  };

  /** GET /_synapse/admin/v1/register */
  router.add({
    method: 'GET', path: '/_synapse/admin/v1/register', auth: 'none',
    handler: async () => {
      sharedSecret();
      const nonce = newNonce();
      await s.db.write(() => s.usersStore.insertNonce(nonce, s.clock.now()));
      return { nonce };
    },
  });

  /** POST /_synapse/admin/v1/register */
  router.add({
    method: 'POST', path: '/_synapse/admin/v1/register', auth: 'none',
    handler: async (ctx) => {
      const secret = sharedSecret();
      const body = requireObject(ctx.body, 'request body');
      if (!('nonce' in body)) throw badJson('nonce must be specified');
      const nonce = body['nonce'];
      // Used up before anything else is checked, so a nonce never serves two attempts (Synapse).
      const fresh = typeof nonce === 'string' && await s.db.write(() => s.usersStore.consumeNonce(nonce, s.clock.now()));
      if (!fresh) throw unknown(400, 'unrecognised nonce');
      const username = macField(body, 'username');
      const password = macField(body, 'password');
      const admin = !!body['admin'];
      const userType = body['user_type'] ?? null;
      if (userType !== null && (typeof userType !== 'string' || !USER_TYPES.includes(userType))) throw unknown(400, 'Invalid user type');
      const displayname = optString(body, 'displayname');
      if (!('mac' in body)) throw badJson('mac must be specified');
      const mac = body['mac'];
      const want = registrationMac(secret, nonce as string, username, password, admin, userType as string | null);
      if (typeof mac !== 'string' || !macMatches(want, mac)) throw unknown(403, 'HMAC incorrect');
      const refresh = body['refresh_token'];
      if (refresh !== undefined && typeof refresh !== 'boolean') throw unknown(400, 'refresh_token must be a boolean');
      const localpart = username.toLowerCase();
      s.accounts.validateLocalpart(localpart);
      const userId = s.accounts.userIdFor(localpart);
      checkUserIdNotExclusive(s, userId);
      await s.accounts.createUser({ localpart, password, admin, displayname: displayname ?? null, userType: userType as string | null });
      const home_server = s.config.server_name;
      if (body['inhibit_login'] === true) return { user_id: userId, home_server };
      const login = await s.accounts.issueLogin(userId, { deviceId: optString(body, 'device_id'), displayName: optString(body, 'initial_device_display_name'), ip: ctx.ip });
      return { user_id: userId, home_server, access_token: login.access_token, device_id: login.device_id, ...(login.expires_in_ms ? { expires_in_ms: login.expires_in_ms } : {}) };
    },
  });

  /** GET /_synapse/admin/v1/registration_tokens */
  router.add({
    method: 'GET', path: '/_synapse/admin/v1/registration_tokens', auth: 'required',
    handler: (ctx) => {
      requireServerAdmin(s, ctx.auth.userId);
      const valid = ctx.query.get('valid');
      if (valid !== null && valid !== 'true' && valid !== 'false') {
        throw new MatrixError(400, 'M_INVALID_PARAM', "Boolean query parameter 'valid' must be one of ['true', 'false']");
      }
      const now = s.clock.now();
      const isValid = (t: RegistrationTokenRow): boolean =>
        (t.uses_allowed === null || t.pending + t.completed < t.uses_allowed) && (t.expiry_time === null || t.expiry_time > now);
      const tokens = s.usersStore.listRegistrationTokens().filter((t) => valid === null || isValid(t) === (valid === 'true'));
      return { registration_tokens: tokens.map(tokenJson) };
    },
  });

  /** POST /_synapse/admin/v1/registration_tokens/new */
  router.add({
    method: 'POST', path: '/_synapse/admin/v1/registration_tokens/new', auth: 'required',
    handler: async (ctx) => {
      requireServerAdmin(s, ctx.auth.userId);
      const body = requireObject(ctx.body, 'request body');
      const bad = (msg: string): MatrixError => new MatrixError(400, 'M_INVALID_PARAM', msg);
      let token: string | null = null;
      let length = 16;
      if ('token' in body) {
        const t = body['token'];
        if (typeof t !== 'string') throw bad('token must be a string');
        if (t.length === 0 || t.length > 64) throw bad('token must not be empty and must not be longer than 64 characters');
        if (!/^[A-Za-z0-9._~-]+$/.test(t)) throw bad('token must consist only of characters matched by the regex [A-Za-z0-9._~-]');
        token = t;
      } else if ('length' in body) {
        const l = body['length'];
        if (typeof l !== 'number' || !Number.isInteger(l)) throw bad('length must be an integer');
        if (l <= 0 || l > 64) throw bad('length must be greater than zero and not greater than 64');
        length = l;
      }
      const uses = body['uses_allowed'] ?? null;
      if (uses !== null && (typeof uses !== 'number' || !Number.isInteger(uses) || uses < 0)) throw bad('uses_allowed must be a non-negative integer or null');
      const expiry = body['expiry_time'] ?? null;
      if (expiry !== null && (typeof expiry !== 'number' || !Number.isInteger(expiry))) throw bad('expiry_time must be an integer or null');
      if (expiry !== null && (expiry as number) < s.clock.now()) throw bad('expiry_time must not be in the past');
      const created = await s.db.write(() => {
        let t = token;
        if (t === null) {
          // A letter or digit first: a token that starts with '-' reads as an option on command lines.
          do t = randomString(1, TOKEN_CHARS.slice(0, 62)) + randomString(length - 1, TOKEN_CHARS); while (s.usersStore.getRegistrationToken(t));
        } else if (s.usersStore.getRegistrationToken(t)) {
          return null;
        }
        s.usersStore.insertRegistrationToken(t, uses as number | null, expiry as number | null);
        return t;
      });
      if (created === null) throw bad(`Token already exists: ${token}`);
      return { token: created, uses_allowed: uses, pending: 0, completed: 0, expiry_time: expiry };
    },
  });

  /** GET /_synapse/admin/v1/registration_tokens/{token} */
  router.add({
    method: 'GET', path: '/_synapse/admin/v1/registration_tokens/:token', auth: 'required',
    handler: (ctx) => {
      requireServerAdmin(s, ctx.auth.userId);
      const t = s.usersStore.getRegistrationToken(ctx.params['token']!);
      if (!t) throw notFound(`No such registration token: ${ctx.params['token']}`);
      return tokenJson(t);
    },
  });

  /** DELETE /_synapse/admin/v1/registration_tokens/{token} */
  router.add({
    method: 'DELETE', path: '/_synapse/admin/v1/registration_tokens/:token', auth: 'required',
    handler: async (ctx) => {
      requireServerAdmin(s, ctx.auth.userId);
      const token = ctx.params['token']!;
      const deleted = await s.db.write(() => s.usersStore.deleteRegistrationToken(token));
      if (!deleted) throw notFound(`No such registration token: ${token}`);
      return {};
    },
  });
}
