// Profiles: display names and avatars (propagated into the user's room memberships).
import type { Router } from '../router.ts';
import type { HomeserverServices } from '../../app.ts';
import { forbidden, notFound, badJson } from '../errors.ts';
import { requireObject } from '../validate.ts';
import { isValidUserId } from '../../core/ids.ts';

export function register(router: Router, s: HomeserverServices): void {
  const profileOf = (userId: string): { displayname?: string; avatar_url?: string } => {
    if (!isValidUserId(userId)) throw badJson(`'${userId}' is not a valid user id`);
    const p = s.usersStore.getProfile(userId);
    if (!p) throw notFound(`profile of ${userId} not found`);
    return { ...(p.displayname !== null ? { displayname: p.displayname } : {}), ...(p.avatar_url !== null ? { avatar_url: p.avatar_url } : {}) };
  };
  /** GET /_matrix/client/v3/profile/{userId} */
  router.add({ method: 'GET', path: '/_matrix/client/v3/profile/:userId', auth: 'optional', handler: (ctx) => profileOf(ctx.params['userId']!) });
  for (const field of ['displayname', 'avatar_url'] as const) {
    /** GET /_matrix/client/v3/profile/{userId}/displayname|avatar_url */
    router.add({
      method: 'GET', path: `/_matrix/client/v3/profile/:userId/${field}`, auth: 'optional',
      handler: (ctx) => {
        const p = profileOf(ctx.params['userId']!);
        if (p[field] === undefined) throw notFound(`${ctx.params['userId']} has no ${field}`);
        return { [field]: p[field] };
      },
    });
    /** PUT /_matrix/client/v3/profile/{userId}/displayname|avatar_url */
    router.add({
      method: 'PUT', path: `/_matrix/client/v3/profile/:userId/${field}`, auth: 'required', rateLimited: true,
      handler: async (ctx) => {
        if (ctx.params['userId'] !== ctx.auth.userId) throw forbidden('you can only change your own profile');
        const body = requireObject(ctx.body, 'request body');
        const v = body[field];
        if (v !== undefined && v !== null && typeof v !== 'string') throw badJson(`'${field}' must be a string`);
        if (typeof v === 'string' && v.length > 256) throw badJson(`'${field}' is longer than 256 characters`);
        await s.db.write(() => s.usersStore.setProfileField(ctx.auth.userId, field, (v as string | undefined) ?? null));
        await s.rooms.propagateProfile(ctx.auth.userId);
        return {};
      },
    });
  }
}
