// Identity assertion with an as_token (acting as the sender, a namespace user, or one of its
// devices), rate-limit exemptions, appservice registration and login, and the exclusive-namespace
// checks ordinary registration and alias creation make.
import { describe, expect, it } from 'vitest';
import type { HomeserverServices } from '../../app.ts';
import type { RequestContext } from '../../api/router.ts';
import { MatrixError } from '../../api/errors.ts';
import { Database } from '../../storage/database.ts';
import { allMigrations } from '../../storage/migrations.ts';
import { UsersStore } from '../../storage/users-store.ts';
import { AccountsService } from '../users/accounts.ts';
import { parseRegistration } from './registration.ts';
import { AppserviceRegistry, checkAliasModifiable, checkUserIdNotExclusive, setAppserviceRegistry } from './registry.ts';
import { appserviceAuthenticator, appserviceRateLimitExempt } from './auth.ts';
import { createAppserviceHooks } from './session-hooks.ts';

const SERVER = 'hs.example';

function setup() {
  const db = new Database(':memory:');
  db.migrate(allMigrations);
  const usersStore = new UsersStore(db);
  const accounts = new AccountsService({ db, store: usersStore, clock: { now: () => Date.now() }, serverName: SERVER, tokenLifetimeMs: null });
  const s = { config: { server_name: SERVER }, db, usersStore, accounts } as unknown as HomeserverServices;
  const registry = new AppserviceRegistry([
    parseRegistration({
      id: 'irc', url: null, as_token: 'irc-as', hs_token: 'irc-hs', sender_localpart: '_irc_bot',
      namespaces: { users: [{ exclusive: true, regex: '@_irc_.*' }], aliases: [{ exclusive: true, regex: '#_irc_.*' }] },
    }, 'irc.yaml'),
    parseRegistration({
      id: 'logger', url: null, as_token: 'log-as', hs_token: 'log-hs', sender_localpart: 'logbot', rate_limited: false,
      namespaces: { users: [{ exclusive: false, regex: '@.*' }], aliases: [{ exclusive: false, regex: '#.*' }] },
    }, 'logger.yaml'),
  ], SERVER);
  setAppserviceRegistry(s, registry);
  const auth = appserviceAuthenticator(s, registry);
  const hooks = createAppserviceHooks(s, registry);
  return { s, db, accounts, registry, auth, hooks };
}

const q = (params: Record<string, string> = {}): URLSearchParams => new URLSearchParams(params);

function matrixError(fn: () => unknown): MatrixError {
  try {
    fn();
  } catch (e) {
    if (e instanceof MatrixError) return e;
    throw e;
  }
  throw new Error('expected a MatrixError');
}

async function asyncMatrixError(p: Promise<unknown>): Promise<MatrixError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof MatrixError) return e;
    throw e;
  }
  throw new Error('expected a MatrixError');
}

describe('as_token authentication', () => {
  it('acts as the sender when no user_id is given, with no device', () => {
    const { auth } = setup();
    expect(auth.authenticate('irc-as', q())).toEqual({ userId: '@_irc_bot:hs.example', deviceId: null, appserviceId: 'irc', isGuest: false });
  });

  it('ignores tokens that are not as_tokens', () => {
    const { auth } = setup();
    expect(auth.authenticate('irc-hs', q())).toBeNull();
    expect(auth.authenticate('irc-a', q())).toBeNull();
  });

  it('acts as a registered user of its namespace named by user_id', async () => {
    const { auth, accounts } = setup();
    await accounts.createUser({ localpart: '_irc_alice', password: null });
    expect(auth.authenticate('irc-as', q({ user_id: '@_irc_alice:hs.example' }))?.userId).toBe('@_irc_alice:hs.example');
  });

  it('refuses with 403 M_FORBIDDEN a user_id outside the namespace or not yet registered', () => {
    const { auth } = setup();
    const outside = matrixError(() => auth.authenticate('irc-as', q({ user_id: '@bob:hs.example' })));
    expect([outside.status, outside.errcode]).toEqual([403, 'M_FORBIDDEN']);
    const unregistered = matrixError(() => auth.authenticate('irc-as', q({ user_id: '@_irc_nobody:hs.example' })));
    expect([unregistered.status, unregistered.errcode]).toEqual([403, 'M_FORBIDDEN']);
  });

  it('acts on an existing device named by device_id and rejects unknown devices with M_UNKNOWN_DEVICE', async () => {
    const { auth, accounts } = setup();
    await accounts.createUser({ localpart: '_irc_alice', password: null });
    const login = await accounts.issueLogin('@_irc_alice:hs.example', { deviceId: 'DEV1', ip: '127.0.0.1' });
    expect(auth.authenticate('irc-as', q({ user_id: login.user_id, device_id: 'DEV1' }))?.deviceId).toBe('DEV1');
    expect(auth.authenticate('irc-as', q({ user_id: login.user_id, 'org.matrix.msc3202.device_id': 'DEV1' }))?.deviceId).toBe('DEV1');
    const e = matrixError(() => auth.authenticate('irc-as', q({ user_id: login.user_id, device_id: 'NOPE' })));
    expect([e.status, e.errcode]).toEqual([400, 'M_UNKNOWN_DEVICE']);
  });
});

describe('rate-limit exemption', () => {
  it('exempts the sender always, namespace users only with rate_limited: false, and never ordinary users', () => {
    const { registry } = setup();
    const exempt = appserviceRateLimitExempt(registry);
    expect(exempt('@_irc_bot:hs.example', 'irc')).toBe(true);
    expect(exempt('@_irc_alice:hs.example', 'irc')).toBe(false);
    expect(exempt('@anyone:hs.example', 'logger')).toBe(true);
    expect(exempt('@_irc_bot:hs.example')).toBe(false);
  });
});

describe('appservice registration and login hooks', () => {
  const asAuth = (userId: string, appserviceId: string) => ({ userId, deviceId: null, appserviceId, isGuest: false });

  it('registers a passwordless user inside the namespace, owned by the appservice', async () => {
    const { hooks, s } = setup();
    const userId = await hooks.registerUser(asAuth('@_irc_bot:hs.example', 'irc'), { type: 'm.login.application_service', username: '_irc_alice' });
    expect(userId).toBe('@_irc_alice:hs.example');
    const row = s.usersStore.getUser(userId)!;
    expect(row.password_hash).toBeNull();
    expect(row.appservice_id).toBe('irc');
  });

  it('refuses with 400 M_EXCLUSIVE a username outside the namespace or inside another appservice\'s exclusive one', async () => {
    const { hooks } = setup();
    const outside = await asyncMatrixError(hooks.registerUser(asAuth('@_irc_bot:hs.example', 'irc'), { username: 'bob' }));
    expect([outside.status, outside.errcode]).toEqual([400, 'M_EXCLUSIVE']);
    const stolen = await asyncMatrixError(hooks.registerUser(asAuth('@logbot:hs.example', 'logger'), { username: '_irc_carol' }));
    expect([stolen.status, stolen.errcode]).toEqual([400, 'M_EXCLUSIVE']);
  });

  it('answers 401 without a token and for a token that is not an as_token', async () => {
    const { hooks } = setup();
    const missing = await asyncMatrixError(hooks.registerUser(undefined as never, { username: '_irc_a' }));
    expect([missing.status, missing.errcode]).toEqual([401, 'M_MISSING_TOKEN']);
    const user = await asyncMatrixError(hooks.login({ auth: { userId: '@u:hs.example', deviceId: 'D', isGuest: false } } as RequestContext, { identifier: { type: 'm.id.user', user: '_irc_a' } }));
    expect([user.status, user.errcode]).toEqual([401, 'M_UNKNOWN_TOKEN']);
  });

  it('logs in as a registered namespace user by localpart or full id, and not as anyone else', async () => {
    const { hooks, accounts } = setup();
    await accounts.createUser({ localpart: '_irc_alice', password: null });
    const ctx = { auth: asAuth('@_irc_bot:hs.example', 'irc') } as RequestContext;
    expect(await hooks.login(ctx, { identifier: { type: 'm.id.user', user: '_irc_alice' } })).toBe('@_irc_alice:hs.example');
    expect(await hooks.login(ctx, { identifier: { type: 'm.id.user', user: '@_irc_alice:hs.example' } })).toBe('@_irc_alice:hs.example');
    const outside = await asyncMatrixError(hooks.login(ctx, { identifier: { type: 'm.id.user', user: 'bob' } }));
    expect([outside.status, outside.errcode]).toEqual([403, 'M_EXCLUSIVE']);
    const unregistered = await asyncMatrixError(hooks.login(ctx, { identifier: { type: 'm.id.user', user: '_irc_zed' } }));
    expect(unregistered.status).toBe(403);
    const badId = await asyncMatrixError(hooks.login(ctx, { identifier: { type: 'm.id.thirdparty', medium: 'email' } }));
    expect(badId.errcode).toBe('M_INVALID_PARAM');
  });
});

describe('exclusive namespaces for everyone else', () => {
  it('reserves user ids in an exclusive namespace and the sender, but not non-exclusive ones', () => {
    const { s, hooks } = setup();
    expect(matrixError(() => checkUserIdNotExclusive(s, '@_irc_x:hs.example')).errcode).toBe('M_EXCLUSIVE');
    expect(matrixError(() => hooks.checkNotExclusive('@_irc_bot:hs.example')).status).toBe(400);
    expect(() => hooks.checkNotExclusive('@bob:hs.example')).not.toThrow();
  });

  it('lets an appservice take aliases in its namespace only, and keeps humans out of exclusive ones', () => {
    const { s, hooks } = setup();
    const human = { userId: '@bob:hs.example', deviceId: 'D', isGuest: false };
    expect(matrixError(() => checkAliasModifiable(s, '#_irc_chan:hs.example', human)).errcode).toBe('M_EXCLUSIVE');
    expect(() => checkAliasModifiable(s, '#chat:hs.example', human)).not.toThrow();
    const irc = { userId: '@_irc_bot:hs.example', deviceId: null, appserviceId: 'irc', isGuest: false };
    expect(() => checkAliasModifiable(s, '#_irc_chan:hs.example', irc)).not.toThrow();
    expect(matrixError(() => checkAliasModifiable(s, '#chat:hs.example', irc)).errcode).toBe('M_EXCLUSIVE');
    expect(() => hooks.checkAliasNotExclusive('#_irc_chan:hs.example', irc)).not.toThrow();
    expect(matrixError(() => hooks.checkAliasNotExclusive('#_irc_chan:hs.example')).errcode).toBe('M_EXCLUSIVE');
  });
});
