// Entry point. Paints the app (sign-in and crisis button) with Lit alone, then, once the browser is
// idle after first paint, starts fetching matrix-js-sdk and its crypto WASM in the background.
import { preferredLocale, setLocale } from './ui/localization.ts';
import { preloadChatClient } from './state/app-store.ts';
import { registerServiceWorker } from './platform/register-sw.ts';
import './ui/app-shell.ts';

const locale = preferredLocale(location.search, navigator.languages);
document.documentElement.lang = locale;
if (locale !== 'en') void setLocale(locale);

const afterFirstPaint = (fn: () => void): void => {
  requestAnimationFrame(() => setTimeout(() => ('requestIdleCallback' in window ? requestIdleCallback(fn, { timeout: 2000 }) : fn()), 0));
};
afterFirstPaint(() => { void preloadChatClient().catch(() => { /* offline: retried when needed */ }); });
registerServiceWorker();
