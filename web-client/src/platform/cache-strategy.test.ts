import { describe, expect, it } from 'vitest';
import { strategyFor } from './cache-strategy.ts';

const SCOPE = 'https://app.example/peerline/';
const at = (path: string, mode = 'cors', method = 'GET') => strategyFor(method, mode, new URL(path, SCOPE), SCOPE);

describe('service worker cache strategy', () => {
  it('never answers Matrix API requests from the cache, on any origin', () => {
    expect(at('https://matrix.a.example/_matrix/client/v3/sync?since=s1')).toBe('pass');
    expect(at('https://matrix.a.example/_matrix/client/v1/media/download/a.example/abc')).toBe('pass');
    expect(at('https://app.example/peerline/_matrix/client/v3/rooms/!r/messages')).toBe('pass');
  });

  it('leaves writes alone, even to cacheable paths', () => {
    expect(at('config.json', 'cors', 'POST')).toBe('pass');
    expect(at('https://bridge.example/v1/crisis-resources', 'cors', 'PUT')).toBe('pass');
  });

  it('serves every page load from the shell, whatever its query string', () => {
    expect(at('./?hs=http%3A%2F%2F127.0.0.1%3A8008&lang=de', 'navigate')).toBe('shell');
    expect(at('index.html', 'navigate')).toBe('shell');
  });

  it('fetches config.json and the bridge crisis resources fresh, falling back to the cache', () => {
    expect(at('config.json')).toBe('network-first');
    expect(at('https://bridge.example/v1/crisis-resources?region=GB&language=en')).toBe('network-first');
    expect(at('manifest.webmanifest')).toBe('network-first');
  });

  it('answers hashed build assets from the cache first', () => {
    expect(at('assets/index-l9dbLsiZ.js')).toBe('cache-first');
    expect(at('assets/matrix_sdk_crypto_wasm_bg-DQQaknxI.wasm')).toBe('cache-first');
  });

  it('ignores other origins and paths outside its scope', () => {
    expect(at('https://other.example/peerline/assets/x-12345678.js')).toBe('pass');
    expect(at('https://app.example/elsewhere/config.json')).toBe('pass');
    expect(at('https://bridge.example/v1/rooms')).toBe('pass');
  });
});
