// Synapse's shared-secret registration (docs/admin_api/register_api.md): the MAC a client computes
// from a one-time nonce and the account details with the configured registration_shared_secret.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Hex HMAC-SHA1 over `nonce\0username\0password\0admin|notadmin[\0user_type]`. */
export function registrationMac(secret: string, nonce: string, username: string, password: string, admin: boolean, userType?: string | null): string {
  const mac = createHmac('sha1', Buffer.from(secret, 'utf8'));
  mac.update(nonce, 'utf8');
  mac.update('\0');
  mac.update(username, 'utf8');
  mac.update('\0');
  mac.update(password, 'utf8');
  mac.update('\0');
  mac.update(admin ? 'admin' : 'notadmin');
  if (userType) {
    mac.update('\0');
    mac.update(userType, 'utf8');
  }
  return mac.digest('hex');
}

/** Constant-time comparison of the expected MAC with the one given. */
export function macMatches(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Synapse hands out 64 random bytes as hex. */
export function newNonce(): string {
  return randomBytes(64).toString('hex');
}

/** Synapse's built-in user types. */
export const USER_TYPES: readonly string[] = ['support', 'bot'];
