// Requests made with an appservice's as_token (spec: Application Service API, Identity assertion):
// the appservice acts as its sender, or as the `user_id` it names when that user is in its users
// namespace and registered, optionally on one of that user's devices (`device_id`). Also which
// appservice requests are exempt from rate limits.
import type { HomeserverServices } from '../../app.ts';
import type { Authenticator } from '../../api/http-server.ts';
import type { Auth } from '../../api/router.ts';
import { MatrixError, forbidden } from '../../api/errors.ts';
import type { AppserviceRegistry } from './registry.ts';

export function appserviceAuthenticator(s: HomeserverServices, registry: AppserviceRegistry): Authenticator {
  return {
    authenticate(token: string, query: URLSearchParams): Auth | null {
      const as = registry.byToken(token);
      if (!as) return null;
      let userId = as.sender;
      const asUser = query.get('user_id');
      if (asUser !== null && asUser !== as.sender) {
        // Same answers as Synapse: 403 M_FORBIDDEN outside the namespace or for unregistered users.
        if (!as.isInterestedInUser(asUser)) throw forbidden(`application service cannot masquerade as ${asUser}`);
        if (!s.accounts.userExists(asUser)) throw forbidden(`application service has not registered ${asUser}`);
        userId = asUser;
      }
      // `device_id` is the stable name (spec v1.17); MSC3202 clients still send the unstable one.
      const device = query.get('device_id') ?? query.get('org.matrix.msc3202.device_id');
      let deviceId: string | null = null;
      if (device !== null && device !== '') {
        if (!s.usersStore.getDevice(userId, device)) {
          throw new MatrixError(400, 'M_UNKNOWN_DEVICE', `application service tried to use device ${device}, which ${userId} does not have`);
        }
        deviceId = device;
      }
      return { userId, deviceId, appserviceId: as.id, isGuest: false };
    },
  };
}

/**
 * Rate-limit exemption: the sender never counts; masqueraded users only when the registration says
 * `rate_limited: false` (Synapse's default is true).
 */
export function appserviceRateLimitExempt(registry: AppserviceRegistry): (userId: string, appserviceId?: string) => boolean {
  return (userId, appserviceId) => {
    if (!appserviceId) return false;
    const as = registry.get(appserviceId);
    if (!as) return false;
    return userId === as.sender || !as.reg.rateLimited;
  };
}
