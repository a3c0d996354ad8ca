import { describe, expect, it } from 'vitest';
import { currentResources, FALLBACK_RESOURCES, refreshResources } from './crisis-resources.ts';
import type { KeyValueStorage } from '../platform/storage.ts';

function memoryStorage(): KeyValueStorage & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return { map, getItem: (k) => map.get(k) ?? null, setItem: (k, v) => { map.set(k, v); }, removeItem: (k) => { map.delete(k); } };
}

const bridgeList = [{ region: 'GB', language: 'en', name: 'Samaritans', phone: '116 123', hours: '24/7' }];
const answer = (body: unknown, status = 200): typeof fetch => (async () => new Response(JSON.stringify(body), { status })) as typeof fetch;

describe('crisis resources', () => {
  it('shows the built-in list before anything was ever fetched', () => {
    expect(currentResources(memoryStorage())).toEqual(FALLBACK_RESOURCES);
  });

  it('caches the bridge list and shows it afterwards without the network', async () => {
    const storage = memoryStorage();
    let asked = '';
    const fetchFn = (async (url: string) => { asked = url; return new Response(JSON.stringify({ resources: bridgeList })); }) as unknown as typeof fetch;
    expect(await refreshResources(storage, 'https://bridge.example/', { region: 'GB', language: 'en' }, fetchFn)).toEqual(bridgeList);
    expect(asked).toBe('https://bridge.example/v1/crisis-resources?region=GB&language=en');
    expect(currentResources(storage)).toEqual(bridgeList);
  });

  it('keeps the cached list when the bridge is unreachable or answers an error', async () => {
    const storage = memoryStorage();
    await refreshResources(storage, 'https://bridge.example', { region: 'GB', language: 'en' }, answer({ resources: bridgeList }));
    const offline = (async () => { throw new TypeError('Failed to fetch'); }) as typeof fetch;
    expect(await refreshResources(storage, 'https://bridge.example', { region: 'GB', language: 'en' }, offline)).toEqual(bridgeList);
    expect(await refreshResources(storage, 'https://bridge.example', { region: 'GB', language: 'en' }, answer({ errcode: 'X' }, 500))).toEqual(bridgeList);
  });

  it('ignores an empty or malformed list instead of caching it', async () => {
    const storage = memoryStorage();
    await refreshResources(storage, 'https://bridge.example', { region: 'GB', language: 'en' }, answer({ resources: [] }));
    await refreshResources(storage, 'https://bridge.example', { region: 'GB', language: 'en' }, answer({ resources: [{ phone: '1' }] }));
    expect(storage.map.size).toBe(0);
    storage.setItem('peerline.crisis-resources', '{not json');
    expect(currentResources(storage)).toEqual(FALLBACK_RESOURCES);
  });

  it('does not call the network when no bridge is configured', async () => {
    const never = (async () => { throw new Error('must not fetch'); }) as typeof fetch;
    expect(await refreshResources(memoryStorage(), null, { region: 'GB', language: 'en' }, never)).toEqual(FALLBACK_RESOURCES);
  });
});
