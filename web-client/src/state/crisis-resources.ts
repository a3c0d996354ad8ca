// Crisis resources must show at any moment, network or not: the bridge's list is cached on the device
// after every successful fetch, and a built-in list stands in until there is one.
import type { KeyValueStorage } from '../platform/storage.ts';

export interface CrisisResource {
  region: string;
  language: string;
  name: string;
  phone?: string;
  sms?: string;
  url?: string;
  hours?: string;
  description?: string;
}

const CACHE_KEY = 'peerline.crisis-resources';

/** Shown when no institution list has ever been fetched: services that answer internationally. */
export const FALLBACK_RESOURCES: readonly CrisisResource[] = [
  { region: 'default', language: 'en', name: 'Emergency services', phone: '112', hours: '24/7', description: 'If you or someone else is in immediate danger.' },
  { region: 'default', language: 'en', name: 'Find a Helpline', url: 'https://findahelpline.com', hours: '24/7', description: 'Free, confidential helplines in your country.' },
  { region: 'default', language: 'en', name: 'Befrienders Worldwide', url: 'https://befrienders.org', description: 'Emotional support centres around the world.' },
];

function isResource(v: unknown): v is CrisisResource {
  const o = v as Record<string, unknown> | null;
  return typeof o === 'object' && o !== null && typeof o['name'] === 'string' && typeof o['region'] === 'string' && typeof o['language'] === 'string';
}

export function cachedResources(storage: KeyValueStorage): CrisisResource[] | null {
  try {
    const v: unknown = JSON.parse(storage.getItem(CACHE_KEY) ?? 'null');
    return Array.isArray(v) && v.length > 0 && v.every(isResource) ? v : null;
  } catch {
    return null;
  }
}

/** What to show right now, without touching the network. */
export function currentResources(storage: KeyValueStorage): CrisisResource[] {
  return cachedResources(storage) ?? [...FALLBACK_RESOURCES];
}

/** GET {bridge}/v1/crisis-resources and cache the answer; keeps the old cache on any failure. */
export async function refreshResources(storage: KeyValueStorage, bridgeUrl: string | null, opts: { region: string; language: string }, fetchFn: typeof fetch = fetch): Promise<CrisisResource[]> {
  if (!bridgeUrl) return currentResources(storage);
  try {
    const q = new URLSearchParams({ region: opts.region, language: opts.language });
    const res = await fetchFn(`${bridgeUrl.replace(/\/+$/, '')}/v1/crisis-resources?${q}`);
    if (res.ok) {
      const body = (await res.json()) as { resources?: unknown };
      if (Array.isArray(body.resources) && body.resources.length > 0 && body.resources.every(isResource)) {
        storage.setItem(CACHE_KEY, JSON.stringify(body.resources));
        return body.resources;
      }
    }
  } catch { /* offline or bridge down: the cache answers */ }
  return currentResources(storage);
}
