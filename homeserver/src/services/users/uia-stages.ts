// The UIA stages this server offers: password (re-authentication), dummy, and registration token.
import type { Database } from '../../storage/database.ts';
import type { UsersStore } from '../../storage/users-store.ts';
import { MatrixError, forbidden } from '../../api/errors.ts';
import type { AccountsService, Clock } from './accounts.ts';
import type { UiaStageChecker } from './uia.ts';
import { isObject } from '../../api/validate.ts';

/** Resolves a login identifier (`m.id.user` or the deprecated top-level `user`) to a local user id. */
export function userIdFromIdentifier(auth: Record<string, unknown>, serverName: string): string | null {
  let user: unknown;
  const ident = auth['identifier'];
  if (isObject(ident)) {
    if (ident['type'] !== 'm.id.user') {
      throw new MatrixError(400, 'M_UNKNOWN', `login identifier type '${String(ident['type'])}' is not supported (use m.id.user)`);
    }
    user = ident['user'];
  } else {
    user = auth['user'];
  }
  if (typeof user !== 'string' || user === '') return null;
  const lower = user.startsWith('@') ? user : `@${user}:${serverName}`;
  return lower.toLowerCase() === lower ? lower : `@${lower.slice(1).split(':')[0]!.toLowerCase()}:${lower.split(':').slice(1).join(':')}`;
}

export function createUiaChecker(deps: { accounts: AccountsService; users: UsersStore; db: Database; serverName: string; clock: Clock }): UiaStageChecker {
  return {
    async check(stage, auth, forUserId) {
      switch (stage) {
        case 'm.login.dummy':
          return;
        case 'm.login.password': {
          const userId = userIdFromIdentifier(auth, deps.serverName);
          const password = auth['password'];
          if (!userId || typeof password !== 'string') throw forbidden('m.login.password needs identifier and password');
          if (forUserId && userId !== forUserId) throw forbidden('you can only authenticate as yourself');
          await deps.accounts.checkPassword(userId, password);
          return;
        }
        case 'm.login.registration_token': {
          const token = auth['token'];
          if (typeof token !== 'string') throw forbidden('m.login.registration_token needs a token');
          const row = deps.users.getRegistrationToken(token);
          const now = deps.clock.now();
          const valid = row && (row.expiry_time === null || row.expiry_time > now) && (row.uses_allowed === null || row.completed + row.pending < row.uses_allowed);
          if (!valid) throw new MatrixError(401, 'M_FORBIDDEN', 'registration token is not valid');
          return;
        }
      }
    },
  };
}
