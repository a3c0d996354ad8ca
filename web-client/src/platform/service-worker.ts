// The service worker (built to dist/sw.js): keeps the app shell on the device so a cold start with
// no network still shows sign-in and a working crisis-resources button. Only public, content-free
// files are cached: the shell, hashed build assets, config.json and the bridge's crisis resources.
// Matrix API responses (messages, keys, media) and anything else pass straight to the network.

import { strategyFor } from './cache-strategy.ts';

// The DOM lib has no service-worker types and cannot be mixed with the WebWorker lib in one project,
// so the few shapes used here are declared locally.
interface ExtendableEvent extends Event { waitUntil(p: Promise<unknown>): void }
interface FetchEvent extends ExtendableEvent { readonly request: Request; respondWith(r: Response | Promise<Response>): void }
interface NotificationEvent extends ExtendableEvent { readonly notification: { close(): void } }
interface WindowClient { readonly url: string; focus(): Promise<unknown> }
interface WorkerScope {
  readonly registration: { readonly scope: string };
  skipWaiting(): Promise<void>;
  readonly clients: { claim(): Promise<void>; matchAll(o: { type: 'window'; includeUncontrolled: boolean }): Promise<WindowClient[]>; openWindow(url: string): Promise<unknown> };
  addEventListener(type: 'install' | 'activate', fn: (e: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', fn: (e: FetchEvent) => void): void;
  addEventListener(type: 'notificationclick', fn: (e: NotificationEvent) => void): void;
}
declare const self: WorkerScope;

/** Replaced at build time (vite.config.ts) with the JSON list of shell files for this build. */
const PRECACHE: readonly string[] = JSON.parse('__PEERLINE_PRECACHE__') as string[];
// The hashed file names change with their content, so the list names the build.
const CACHE = `peerline-shell-${hash(PRECACHE.join('|'))}`;
const CACHE_PREFIX = 'peerline-shell-';

function hash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36);
}

const scope = (): string => self.registration.scope;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // cache: 'reload' skips the HTTP cache so the shell stored matches this build's files.
    await cache.addAll(PRECACHE.map((p) => new Request(new URL(p, scope()), { cache: 'reload' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name.startsWith(CACHE_PREFIX) && name !== CACHE) await caches.delete(name);
    // Take control of the page that registered us, so its next offline load is already served.
    await self.clients.claim();
  })());
});

/** Only whole, successful, non-opaque answers are worth keeping. */
const storable = (res: Response): boolean => res.ok && res.status === 200 && (res.type === 'basic' || res.type === 'cors');

async function networkFirst(req: Request, fallbackUrl?: string): Promise<Response> {
  const cache = await caches.open(CACHE);
  try {
    const res = await fetch(req);
    if (storable(res)) await cache.put(fallbackUrl ?? req, res.clone());
    return res;
  } catch (e) {
    const hit = (await cache.match(fallbackUrl ?? req)) ?? (fallbackUrl ? undefined : await cache.match(req, { ignoreSearch: true }));
    if (hit) return hit;
    throw e;
  }
}

async function cacheFirst(req: Request): Promise<Response> {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(req);
  if (hit) return hit;
  const res = await fetch(req);
  if (storable(res)) await cache.put(req, res.clone());
  return res;
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const strategy = strategyFor(req.method, req.mode, new URL(req.url), scope());
  if (strategy === 'pass') return;
  if (strategy === 'cache-first') event.respondWith(cacheFirst(req));
  // Every navigation (whatever its query string, e.g. ?lang=de) is the one index.html.
  else if (strategy === 'shell') event.respondWith(networkFirst(req, new URL('index.html', scope()).href));
  else event.respondWith(networkFirst(req));
});

// A "New message" notification (it carries no content) brings the app forward, or opens it.
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil((async () => {
    const open = (await self.clients.matchAll({ type: 'window', includeUncontrolled: true })).find((c) => c.url.startsWith(scope()));
    if (open) await open.focus();
    else await self.clients.openWindow(scope());
  })());
});
