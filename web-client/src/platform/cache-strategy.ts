// Which requests the service worker answers, and how. Kept apart from the worker so it can be tested
// without a service-worker global: the rule that matters most is what is never cached.

/**
 * - shell: a page load; the network, else the cached index.html.
 * - network-first: config.json, the bridge's crisis resources, manifest and icons; fresh when online.
 * - cache-first: hashed build assets, whose content never changes under a name.
 * - pass: everything else, untouched: above all the Matrix API (messages, keys, media).
 */
export type Strategy = 'shell' | 'network-first' | 'cache-first' | 'pass';

export function strategyFor(method: string, mode: string, url: URL, scopeUrl: string): Strategy {
  if (method !== 'GET') return 'pass';
  if (url.pathname.includes('/_matrix/')) return 'pass';
  // The bridge lives on its own origin; its crisis list holds nothing about the user.
  if (url.pathname.endsWith('/v1/crisis-resources')) return 'network-first';
  if (!url.href.startsWith(scopeUrl)) return 'pass';
  if (mode === 'navigate') return 'shell';
  const rel = url.href.slice(scopeUrl.length).split(/[?#]/)[0] ?? '';
  if (rel.startsWith('assets/')) return 'cache-first';
  if (rel === 'config.json' || rel === 'manifest.webmanifest' || rel.startsWith('icons/')) return 'network-first';
  return 'pass';
}
