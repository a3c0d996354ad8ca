// The shared-secret registration MAC must be byte-for-byte Synapse's, or register_new_matrix_user
// and provisioning scripts cannot create accounts. Expected values come from the OpenSSL recipe in
// Synapse's docs/admin_api/register_api.md.
import { describe, expect, it } from 'vitest';
import { macMatches, newNonce, registrationMac } from './shared-secret.ts';

describe('shared-secret registration MAC', () => {
  it('matches the value OpenSSL computes for nonce, user, password and admin joined by NULs', () => {
    expect(registrationMac('shared_secret', 'thisisanonce', 'pepper_roni', 'pizza', true)).toBe('48715842ad67d5dc9a9ee938a3bda4fcfae8d7c7');
  });

  it('appends the user type after another NUL when one is given', () => {
    expect(registrationMac('s3cret', 'n0nce', 'bot1', 'pw', false, 'bot')).toBe('51613f1d06f40cd718607de2d60145df0fe875ef');
  });

  it('differs between admin and notadmin', () => {
    expect(registrationMac('k', 'n', 'u', 'p', true)).not.toBe(registrationMac('k', 'n', 'u', 'p', false));
  });

  it('accepts only the exact expected MAC', () => {
    const mac = registrationMac('k', 'n', 'u', 'p', false);
    expect(macMatches(mac, mac)).toBe(true);
    expect(macMatches(mac, mac.toUpperCase())).toBe(false);
    expect(macMatches(mac, mac.slice(0, -1))).toBe(false);
    expect(macMatches(mac, '')).toBe(false);
  });

  it('hands out long random hex nonces that do not repeat', () => {
    const a = newNonce();
    expect(a).toMatch(/^[0-9a-f]{128}$/);
    expect(newNonce()).not.toBe(a);
  });
});
