// The small interface through which core routes (register, login, alias creation) consult the
// application-service module, without importing it: the module installs its hooks at wiring time.
import type { Auth, RequestContext } from '../../api/router.ts';
import type { JsonObject } from '../../core/pdu.ts';

export interface AppserviceHooks {
  /** `m.login.application_service` login: returns the user id to log in as, or throws. */
  login(ctx: RequestContext, body: JsonObject): Promise<string>;
  /** `m.login.application_service` registration by an authenticated appservice: returns the new user id. */
  registerUser(auth: Auth, body: JsonObject): Promise<string>;
  /** Throws 400 M_EXCLUSIVE when `userId` lies in an appservice's exclusive users namespace. */
  checkNotExclusive(userId: string): void;
  /** Throws 400 M_EXCLUSIVE when `alias` lies in an appservice's exclusive aliases namespace. */
  checkAliasNotExclusive(alias: string): void;
}

const hooksByServer = new WeakMap<object, AppserviceHooks>();

export function setAppserviceHooks(services: object, hooks: AppserviceHooks): void {
  hooksByServer.set(services, hooks);
}

export function getAppserviceHooks(services: object): AppserviceHooks | undefined {
  return hooksByServer.get(services);
}
