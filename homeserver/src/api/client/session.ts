// Login, logout, registration, whoami, password change and deactivation.
import type { Router } from '../router.ts';
import { reply } from '../router.ts';
import type { HomeserverServices } from '../../app.ts';
import { MatrixError, badJson, forbidden } from '../errors.ts';
import { optBool, optString, requireObject, reqString } from '../validate.ts';
import { userIdFromIdentifier } from '../../services/users/uia-stages.ts';
import type { UiaStage } from '../../services/users/uia.ts';
import { getAppserviceHooks } from '../../services/appservice/hooks.ts';

export function register(router: Router, s: HomeserverServices): void {
  const loginLimiter = new Map<string, number[]>();
  const checkLoginRate = (key: string): void => {
    const now = s.clock.now();
    const window = 1000 / s.config.rc_login.per_second * s.config.rc_login.burst_count;
    const hits = (loginLimiter.get(key) ?? []).filter((t) => now - t < window);
    if (hits.length >= s.config.rc_login.burst_count) {
      throw new MatrixError(429, 'M_LIMIT_EXCEEDED', 'Too many login attempts', { retry_after_ms: Math.ceil(window - (now - hits[0]!)) });
    }
    hits.push(now);
    loginLimiter.set(key, hits);
  };

  /** GET /_matrix/client/v3/login */
  router.add({
    method: 'GET', path: '/_matrix/client/v3/login', auth: 'none',
    handler: () => ({ flows: [{ type: 'm.login.password' }, { type: 'm.login.application_service' }] }),
  });

  /** POST /_matrix/client/v3/login */
  router.add({
    method: 'POST', path: '/_matrix/client/v3/login', auth: 'optional',
    handler: async (ctx) => {
      const body = requireObject(ctx.body, 'request body');
      const type = reqString(body, 'type');
      const deviceId = optString(body, 'device_id');
      const displayName = optString(body, 'initial_device_display_name');
      if (type === 'm.login.application_service') {
        const hooks = getAppserviceHooks(s);
        if (!hooks) throw forbidden('no application services are registered');
        const userId = await hooks.login(ctx, body);
        return s.accounts.issueLogin(userId, { deviceId, displayName, ip: ctx.ip });
      }
      if (type !== 'm.login.password') throw new MatrixError(400, 'M_UNKNOWN', `login type '${type}' is not supported`);
      const password = reqString(body, 'password');
      const userId = userIdFromIdentifier(body, s.config.server_name);
      if (!userId) throw badJson("login needs 'identifier' with type m.id.user and 'user'");
      checkLoginRate(`ip:${ctx.ip}`);
      checkLoginRate(`user:${userId}`);
      await s.accounts.checkPassword(userId, password);
      return s.accounts.issueLogin(userId, { deviceId, displayName, ip: ctx.ip });
    },
  });

  /** POST /_matrix/client/v3/logout */
  router.add({ method: 'POST', path: '/_matrix/client/v3/logout', auth: 'required', handler: async (ctx) => { await s.accounts.logout(ctx.auth); return {}; } });
  /** POST /_matrix/client/v3/logout/all */
  router.add({ method: 'POST', path: '/_matrix/client/v3/logout/all', auth: 'required', handler: async (ctx) => { await s.accounts.logoutAll(ctx.auth.userId); return {}; } });

  /** GET /_matrix/client/v3/account/whoami */
  router.add({
    method: 'GET', path: '/_matrix/client/v3/account/whoami', auth: 'required',
    handler: (ctx) => ({ user_id: ctx.auth.userId, ...(ctx.auth.deviceId ? { device_id: ctx.auth.deviceId } : {}), is_guest: ctx.auth.isGuest }),
  });

  const registrationFlows = (): UiaStage[][] => (s.config.registration_requires_token ? [['m.login.registration_token']] : [['m.login.dummy']]);

  /** GET /_matrix/client/v3/register/available */
  router.add({
    method: 'GET', path: '/_matrix/client/v3/register/available', auth: 'none', rateLimited: true,
    handler: (ctx) => {
      const username = ctx.query.get('username');
      if (!username) throw new MatrixError(400, 'M_MISSING_PARAM', "query parameter 'username' is required");
      s.accounts.validateLocalpart(username);
      getAppserviceHooks(s)?.checkNotExclusive(s.accounts.userIdFor(username));
      if (s.accounts.userExists(s.accounts.userIdFor(username))) throw new MatrixError(400, 'M_USER_IN_USE', `user id ${s.accounts.userIdFor(username)} is already taken`);
      return { available: true };
    },
  });

  /** GET /_matrix/client/v1/register/m.login.registration_token/validity */
  router.add({
    method: 'GET', path: '/_matrix/client/v1/register/m.login.registration_token/validity', auth: 'none', rateLimited: true,
    handler: (ctx) => {
      // Spec: a server that does not permit registration considers every token invalid (403).
      if (!s.config.enable_registration) throw forbidden('registration is disabled on this server');
      const token = ctx.query.get('token');
      if (!token) throw new MatrixError(400, 'M_MISSING_PARAM', "query parameter 'token' is required");
      const row = s.usersStore.getRegistrationToken(token);
      const now = s.clock.now();
      return { valid: !!row && (row.expiry_time === null || row.expiry_time > now) && (row.uses_allowed === null || row.completed + row.pending < row.uses_allowed) };
    },
  });

  /** POST /_matrix/client/v3/register */
  router.add({
    method: 'POST', path: '/_matrix/client/v3/register', auth: 'optional', rateLimited: true,
    handler: async (ctx) => {
      const body = requireObject(ctx.body, 'request body');
      const kind = ctx.query.get('kind') ?? 'user';
      if (kind !== 'user') throw new MatrixError(403, 'M_GUEST_ACCESS_FORBIDDEN', 'guest registration is not enabled');
      const auth = body['auth'];
      if (auth && typeof auth === 'object' && !Array.isArray(auth) && (auth as Record<string, unknown>)['type'] === 'm.login.application_service' || body['type'] === 'm.login.application_service') {
        const hooks = getAppserviceHooks(s);
        if (!hooks) throw forbidden('no application services are registered');
        const userId = await hooks.registerUser(ctx.auth, body);
        if (optBool(body, 'inhibit_login')) return { user_id: userId };
        return s.accounts.issueLogin(userId, { deviceId: optString(body, 'device_id'), displayName: optString(body, 'initial_device_display_name'), ip: ctx.ip });
      }
      if (!s.config.enable_registration) throw forbidden('registration is disabled on this server');
      const username = optString(body, 'username');
      const password = optString(body, 'password');
      if (username !== undefined) {
        s.accounts.validateLocalpart(username.toLowerCase());
        getAppserviceHooks(s)?.checkNotExclusive(s.accounts.userIdFor(username.toLowerCase()));
        if (s.accounts.userExists(s.accounts.userIdFor(username.toLowerCase()))) throw new MatrixError(400, 'M_USER_IN_USE', `user id ${s.accounts.userIdFor(username.toLowerCase())} is already taken`);
      }
      if (password !== undefined && password.length > 512) throw new MatrixError(400, 'M_WEAK_PASSWORD', 'password is longer than 512 characters');
      const completed = await s.uia.require(ctx.body, registrationFlows(), 'register', null);
      const localpart = username?.toLowerCase() ?? s.accounts.generateLocalpart();
      const userId = await s.accounts.createUser({ localpart, password: password ?? null });
      if (completed['type'] === 'm.login.registration_token' && typeof completed['token'] === 'string') {
        const token = completed['token'];
        await s.db.write(() => s.usersStore.completeRegistrationToken(token));
      }
      if (optBool(body, 'inhibit_login')) return { user_id: userId };
      return s.accounts.issueLogin(userId, { deviceId: optString(body, 'device_id'), displayName: optString(body, 'initial_device_display_name'), ip: ctx.ip });
    },
  });

  /** POST /_matrix/client/v3/account/password */
  router.add({
    method: 'POST', path: '/_matrix/client/v3/account/password', auth: 'required', rateLimited: true,
    handler: async (ctx) => {
      const body = requireObject(ctx.body, 'request body');
      const newPassword = reqString(body, 'new_password');
      await s.uia.require(ctx.body, [['m.login.password']], 'password', ctx.auth.userId);
      await s.accounts.changePassword(ctx.auth.userId, newPassword, optBool(body, 'logout_devices') ?? true, ctx.auth.deviceId);
      return {};
    },
  });

  /** POST /_matrix/client/v3/account/deactivate */
  router.add({
    method: 'POST', path: '/_matrix/client/v3/account/deactivate', auth: 'required',
    handler: async (ctx) => {
      // `erase`: forget the profile and the account data, and from now on serve everything the
      // account sent pruned (as if redacted) to every client and server that asks.
      const erase = ctx.body === undefined ? false : optBool(requireObject(ctx.body, 'request body'), 'erase') ?? false;
      await s.uia.require(ctx.body, [['m.login.password']], 'deactivate', ctx.auth.userId);
      for (const m of s.eventsStore.membershipsOfUser(ctx.auth.userId)) {
        if (m.membership === 'join' || m.membership === 'invite') await s.rooms.leave(m.room_id, ctx.auth.userId).catch(() => undefined);
      }
      if (erase) {
        await s.db.write(() => {
          s.usersStore.setProfileField(ctx.auth.userId, 'displayname', null);
          s.usersStore.setProfileField(ctx.auth.userId, 'avatar_url', null);
          s.streamsStore.deleteAccountData(ctx.auth.userId);
          s.usersStore.markErased(ctx.auth.userId, s.clock.now());
        });
        s.rooms.noteErased(ctx.auth.userId);
      }
      await s.accounts.deactivate(ctx.auth.userId);
      return { id_server_unbind_result: 'no-support' };
    },
  });

  /** GET /_matrix/client/v3/account/3pid */
  router.add({ method: 'GET', path: '/_matrix/client/v3/account/3pid', auth: 'required', handler: () => ({ threepids: [] }) });

  void reply;
}
