// The federation settings as loadConfig reads them (flags and YAML).
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../config.ts';

const dir = mkdtempSync(join(tmpdir(), 'peerline-fedcfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const base = ['--server-name', 'a.example', '--data-dir', dir];

function fromYaml(yaml: string) {
  const f = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(f, yaml);
  return loadConfig([...base, '--config', f]);
}

describe('federation settings', () => {
  it('default to no allow-list, no verification exceptions, no extra CA, no notary and a generated certificate', () => {
    const c = loadConfig(base);
    expect(c.federation_domain_whitelist).toBeNull();
    expect(c.federation_insecure_skip_verify_for).toEqual([]);
    expect(c.federation_ca_file).toBeNull();
    expect(c.trusted_key_servers).toEqual([]);
    expect([c.tls_certificate_path, c.tls_private_key_path]).toEqual([null, null]);
  });

  it('collect repeated flags into lists', () => {
    const c = loadConfig([...base, '--federation-domain-whitelist', 'b.example', '--federation-domain-whitelist', 'c.example:8449',
      '--federation-insecure-skip-verify-for', 'localhost', '--trusted-key-servers', 'notary.example']);
    expect(c.federation_domain_whitelist).toEqual(['b.example', 'c.example:8449']);
    expect(c.federation_insecure_skip_verify_for).toEqual(['localhost']);
    expect(c.trusted_key_servers).toEqual([{ server_name: 'notary.example' }]);
  });

  it('read an empty allow-list from YAML as "federate with nobody", unlike an absent one', () => {
    expect(fromYaml('federation_domain_whitelist: []\n').federation_domain_whitelist).toEqual([]);
    expect(fromYaml('federation_domain_whitelist: null\n').federation_domain_whitelist).toBeNull();
  });

  it('read trusted_key_servers in Synapse\'s form', () => {
    const c = fromYaml('trusted_key_servers:\n  - server_name: notary.example\n    verify_keys:\n      "ed25519:auto": "Noi6WqcDj0QmPxCNQqgezwTlBKrfqehY1u2FyWP9uYw"\n');
    expect(c.trusted_key_servers).toEqual([{ server_name: 'notary.example', verify_keys: { 'ed25519:auto': 'Noi6WqcDj0QmPxCNQqgezwTlBKrfqehY1u2FyWP9uYw' } }]);
  });

  it('reject malformed values with the setting named', () => {
    expect(() => fromYaml('trusted_key_servers:\n  - verify_keys: {}\n')).toThrow(/trusted_key_servers\[0\]\.server_name/);
    expect(() => fromYaml('trusted_key_servers:\n  - server_name: n.example\n    perspective: 1\n')).toThrow(/trusted_key_servers\[0\]\.perspective/);
    expect(() => fromYaml('federation_domain_whitelist: 7\n')).toThrow(ConfigError);
    expect(() => fromYaml('federation_ca_file: ""\n')).toThrow(/federation_ca_file/);
  });
});
