// Shared-secret registration is off unless a secret is configured (Synapse: "If the registration
// shared secret is not configured, this API is not enabled").
import { describe, expect, it } from 'vitest';
import type { HomeserverServices } from '../../app.ts';
import { Router, type RequestContext, type Auth } from '../router.ts';
import { MatrixError } from '../errors.ts';
import { register } from './admin.ts';

function route(method: 'GET' | 'POST', path: string) {
  const router = new Router();
  register(router, { config: { registration_shared_secret: null, server_name: 'hs.example' } } as unknown as HomeserverServices);
  const found = router.find(method, path);
  if (!('spec' in found)) throw new Error(`no route for ${method} ${path}`);
  return found.spec.handler;
}

async function errorOf(p: unknown): Promise<MatrixError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof MatrixError) return e;
    throw e;
  }
  throw new Error('expected a MatrixError');
}

describe('shared-secret registration without a configured secret', () => {
  const ctx = { body: { nonce: 'n', username: 'u', password: 'p', mac: 'm' }, query: new URLSearchParams() } as unknown as RequestContext & { auth: Auth };

  it('refuses to hand out nonces with 400', async () => {
    const e = await errorOf(route('GET', '/_synapse/admin/v1/register')(ctx));
    expect([e.status, e.message]).toEqual([400, 'Shared secret registration is not enabled']);
  });

  it('refuses registrations with 400 before looking at the body', async () => {
    const e = await errorOf(route('POST', '/_synapse/admin/v1/register')(ctx));
    expect([e.status, e.message]).toEqual([400, 'Shared secret registration is not enabled']);
  });
});
