import { describe, expect, it } from 'vitest';
import { ConfigError, parseBridgeConfig } from './config.ts';

const valid = {
  server_name: 'a.example',
  homeserver_url: 'http://127.0.0.1:8008/',
  listen: { port: 9000 },
  data_dir: './data',
  policy_file: 'policies/school-a.yaml',
  appservice: { id: 'peerline', url: 'http://127.0.0.1:9000' },
  admins: ['@admin:a.example'],
  development: { federation_endpoints: { 'a.example': { url: 'https://127.0.0.1:8448', accept_self_signed: true } } },
};

describe('bridge config', () => {
  it('fills defaults and resolves paths against the config file', () => {
    const c = parseBridgeConfig(valid, '/etc/peerline/bridge.yaml');
    expect(c.data_dir).toBe('/etc/peerline/data');
    expect(c.policy_file).toBe('/etc/peerline/policies/school-a.yaml');
    expect(c.homeserver_url).toBe('http://127.0.0.1:8008');
    expect(c.listen.address).toBe('127.0.0.1');
    expect(c.appservice.sender_localpart).toBe('peerline-bot');
    expect(c.session).toEqual({ ttl_seconds: 900, max_lifetime_seconds: 43_200 });
    expect(c.federation_endpoints['a.example']).toEqual({ url: 'https://127.0.0.1:8448', accept_self_signed: true });
  });

  it('names the file, the path and the expectation of a bad setting', () => {
    const bad = { ...valid, listen: { port: 'nine thousand' }, unknown_thing: 1 };
    let message = '';
    try {
      parseBridgeConfig(bad, '/etc/peerline/bridge.yaml');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      message = (e as Error).message;
    }
    expect(message).toContain('/etc/peerline/bridge.yaml');
    expect(message).toContain('at $.listen.port: expected an integer ≥ 0 and ≤ 65535, found "nine thousand"');
    expect(message).toContain('at $.unknown_thing: is not a known setting');
  });

  it('requires federation endpoints to be https', () => {
    const bad = { ...valid, development: { federation_endpoints: { 'a.example': { url: 'http://127.0.0.1:8448' } } } };
    expect(() => parseBridgeConfig(bad, 'b.yaml')).toThrow(/\$\.development\.federation_endpoints\["a\.example"\]\.url: expected an https:\/\/ base URL/);
  });

  it('refuses bootstrap admins of another server', () => {
    expect(() => parseBridgeConfig({ ...valid, admins: ['@boss:b.example'] }, 'b.yaml')).toThrow(/at \$\.admins: expected users of a\.example/);
  });

  it('keeps SQLite unless a PostgreSQL URL is given, and prefers the environment over the file', () => {
    expect(parseBridgeConfig(valid, 'b.yaml').database_url).toBeNull();
    const inFile = { ...valid, database: { url: 'postgres://bridge@db:5432/peerline_bridge' } };
    expect(parseBridgeConfig(inFile, 'b.yaml').database_url).toBe('postgres://bridge@db:5432/peerline_bridge');
    const env = { PEERLINE_BRIDGE_DATABASE_URL: 'postgresql://bridge:pw@db2:5432/other' };
    expect(parseBridgeConfig(inFile, 'b.yaml', env).database_url).toBe('postgresql://bridge:pw@db2:5432/other');
    expect(parseBridgeConfig(valid, 'b.yaml', { PEERLINE_BRIDGE_DATABASE_URL: '' }).database_url).toBeNull();
  });

  it('rejects a database URL that is not PostgreSQL without repeating it', () => {
    expect(() => parseBridgeConfig({ ...valid, database: { url: 'mysql://x@db/y' } }, 'b.yaml')).toThrow(/at \$\.database\.url: expected a PostgreSQL URL/);
    let message = '';
    try {
      parseBridgeConfig(valid, 'b.yaml', { PEERLINE_BRIDGE_DATABASE_URL: 'db.internal:5432 password=hunter2' });
    } catch (e) {
      message = (e as ConfigError).message;
    }
    expect(message).toBe('PEERLINE_BRIDGE_DATABASE_URL is invalid: expected a URL starting with postgres:// or postgresql://');
  });
});
