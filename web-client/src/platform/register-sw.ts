/// <reference types="vite/client" />
// Registers the service worker (dist/sw.js) once the first screen has painted and the browser is
// idle, so installing it never competes with first paint. Only in builds: the dev server has no sw.js.

/** Its scope is sw.js's folder, the app's root, whatever page the app was opened on. */
export function registerServiceWorker(url = './sw.js'): void {
  if (!('serviceWorker' in navigator) || !import.meta.env.PROD) return;
  const register = (): void => {
    navigator.serviceWorker.register(new URL(url, document.baseURI)).catch(() => {
      /* unsupported context (e.g. plain http on a LAN address): the app works without it */
    });
  };
  // After the load event, then a frame, then idle time: the worker's precache fetches come last.
  const afterPaint = (): void => { requestAnimationFrame(() => setTimeout(() => ('requestIdleCallback' in window ? requestIdleCallback(register, { timeout: 3000 }) : register()), 0)); };
  if (document.readyState === 'complete') afterPaint();
  else window.addEventListener('load', afterPaint, { once: true });
}
