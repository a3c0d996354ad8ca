// The runtime configuration: public/config.json, overridden by ?hs= and ?bridge= (tests and
// development point one build at any homeserver).

export interface RuntimeConfig {
  homeserverUrl: string;
  bridgeUrl: string | null;
  region: string;
}

export function parseConfig(json: unknown, search: string): RuntimeConfig {
  const o = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const params = new URLSearchParams(search);
  const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);
  return {
    homeserverUrl: str(params.get('hs')) ?? str(o['homeserver_url']) ?? '',
    bridgeUrl: str(params.get('bridge')) ?? str(o['bridge_url']),
    region: str(params.get('region')) ?? str(o['region']) ?? 'default',
  };
}

export async function loadConfig(): Promise<RuntimeConfig> {
  let json: unknown = {};
  try {
    const res = await fetch(new URL('config.json', document.baseURI), { cache: 'no-cache' });
    if (res.ok) json = await res.json();
  } catch { /* offline: the query string and defaults still apply */ }
  return parseConfig(json, location.search);
}
