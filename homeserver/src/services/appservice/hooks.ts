// The small interface through which core routes (register, login, alias creation) consult the
// application-service module, without importing it: the module installs its hooks at wiring time.
import type { Auth, RequestContext } from '../../api/router.ts';
import type { JsonObject } from '../../core/pdu.ts';

export interface AppserviceHooks {
  /** `m.login.application_service` login: returns the user id to log in as, or throws. */
  login(ctx: RequestContext, body: JsonObject): Promise<string>;
  /**
   * `m.login.application_service` registration: returns the new user id. Pass the request's auth as
   * is: without a token it throws 401 M_MISSING_TOKEN, with a non-appservice token 401
   * M_UNKNOWN_TOKEN (spec).
   */
  registerUser(auth: Auth | undefined, body: JsonObject): Promise<string>;
  /** Throws 400 M_EXCLUSIVE when `userId` lies in an appservice's exclusive users namespace. */
  checkNotExclusive(userId: string): void;
  /**
   * Throws 400 M_EXCLUSIVE when `alias` lies in another appservice's exclusive aliases namespace, or
   * (with `auth` of an appservice request) outside that appservice's own aliases namespace. Pass the
   * request's auth: without it an appservice cannot create aliases in its own exclusive namespace.
   */
  checkAliasNotExclusive(alias: string, auth?: Auth): void;
}

const hooksByServer = new WeakMap<object, AppserviceHooks>();

export function setAppserviceHooks(services: object, hooks: AppserviceHooks): void {
  hooksByServer.set(services, hooks);
}

export function getAppserviceHooks(services: object): AppserviceHooks | undefined {
  return hooksByServer.get(services);
}
