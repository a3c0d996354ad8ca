import { describe, expect, it } from 'vitest';
import { parseConfig } from './config.ts';

describe('runtime config', () => {
  it('reads the homeserver and bridge from config.json', () => {
    expect(parseConfig({ homeserver_url: 'https://matrix.a.example', bridge_url: 'https://bridge.a.example', region: 'GB' }, ''))
      .toEqual({ homeserverUrl: 'https://matrix.a.example', bridgeUrl: 'https://bridge.a.example', region: 'GB' });
  });

  it('lets ?hs= and ?bridge= override the file', () => {
    const c = parseConfig({ homeserver_url: 'https://matrix.a.example', bridge_url: null }, '?hs=http%3A%2F%2F127.0.0.1%3A9000&bridge=http://127.0.0.1:9001');
    expect(c.homeserverUrl).toBe('http://127.0.0.1:9000');
    expect(c.bridgeUrl).toBe('http://127.0.0.1:9001');
  });

  it('falls back to no bridge and the default region when the file is missing or malformed', () => {
    expect(parseConfig('nonsense', '')).toEqual({ homeserverUrl: '', bridgeUrl: null, region: 'default' });
  });
});
