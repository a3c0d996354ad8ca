// The configured application services of one homeserver, found by id or by as_token, and the
// namespace checks other modules make: exclusive user ids (registration) and aliases (directory).
import { createHash } from 'node:crypto';
import type { HomeserverServices } from '../../app.ts';
import type { Auth } from '../../api/router.ts';
import { MatrixError } from '../../api/errors.ts';
import { Appservice, type AppserviceRegistration } from './registration.ts';

/** as_tokens are found by their sha256, so lookup time does not depend on how much of a guess matches. */
function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('base64');
}

export class AppserviceRegistry {
  readonly all: readonly Appservice[];
  private readonly byId = new Map<string, Appservice>();
  private readonly byTokenHash = new Map<string, Appservice>();

  constructor(registrations: readonly AppserviceRegistration[], serverName: string) {
    this.all = registrations.map((r) => new Appservice(r, serverName));
    for (const as of this.all) {
      this.byId.set(as.id, as);
      this.byTokenHash.set(tokenKey(as.reg.asToken), as);
    }
  }

  get(id: string): Appservice | undefined {
    return this.byId.get(id);
  }

  byToken(token: string): Appservice | undefined {
    if (this.byTokenHash.size === 0) return undefined;
    return this.byTokenHash.get(tokenKey(token));
  }

  /** The id of an appservice holding `userId` in an exclusive namespace (or as its sender), else null. */
  isExclusiveUserId(userId: string, except?: string): string | null {
    for (const as of this.all) if (as.id !== except && as.isExclusiveUser(userId)) return as.id;
    return null;
  }

  /**
   * Whether `userId` may create or delete `alias` (Synapse's can_modify_alias): not when another
   * appservice holds it exclusively, unless the user is that appservice's sender.
   */
  mayModifyAlias(alias: string, userId: string): boolean {
    for (const as of this.all) {
      if (!as.isAliasInNamespace(alias)) continue;
      if (userId === as.sender) return true;
      if (as.isExclusiveAlias(alias)) return false;
    }
    return true;
  }
}

const registries = new WeakMap<HomeserverServices, AppserviceRegistry>();

export function setAppserviceRegistry(s: HomeserverServices, r: AppserviceRegistry): void {
  registries.set(s, r);
}

/** The registry wired for `s`; an empty one when no appservice module was wired (tests). */
export function getAppserviceRegistry(s: HomeserverServices): AppserviceRegistry {
  let r = registries.get(s);
  if (!r) {
    r = new AppserviceRegistry([], s.config.server_name);
    registries.set(s, r);
  }
  return r;
}

/**
 * For ordinary registration (and the admin API): a user id inside an appservice's exclusive
 * namespace is reserved for it (spec: 400 M_EXCLUSIVE).
 */
export function checkUserIdNotExclusive(s: HomeserverServices, userId: string, allowedAppserviceId?: string): void {
  if (getAppserviceRegistry(s).isExclusiveUserId(userId, allowedAppserviceId) !== null) {
    throw new MatrixError(400, 'M_EXCLUSIVE', `user id ${userId} is reserved by an application service`);
  }
}

/**
 * For creating and deleting room aliases: an appservice may only touch aliases in its own
 * namespace; anyone else not those in another appservice's exclusive namespace (400 M_EXCLUSIVE).
 */
export function checkAliasModifiable(s: HomeserverServices, alias: string, auth: Auth): void {
  const registry = getAppserviceRegistry(s);
  if (auth.appserviceId) {
    const as = registry.get(auth.appserviceId);
    if (!as || !as.isAliasInNamespace(alias)) {
      throw new MatrixError(400, 'M_EXCLUSIVE', `alias ${alias} is outside this application service's aliases namespace`);
    }
    return;
  }
  if (!registry.mayModifyAlias(alias, auth.userId)) {
    throw new MatrixError(400, 'M_EXCLUSIVE', `alias ${alias} is reserved by an application service`);
  }
}
