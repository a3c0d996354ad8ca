// Component tests in a real browser: Vite's dev server serves web-client/src as ES modules, Debian's
// Chromium opens a blank page with the design tokens, and a test mounts one component with the
// properties it wants, then reads and drives it through Playwright (which pierces shadow roots).
import { createServer, type ViteDevServer } from 'vite';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { axeViolations, launchChromium, type AxeViolation } from './browser.ts';

const WEB = resolve(import.meta.dirname, '..', '..', 'web-client');

export interface ComponentHarness {
  /** A fresh page per call of `page()`; the last one is kept in `current`. */
  newPage(opts?: { width?: number; height?: number; colorScheme?: 'light' | 'dark'; reducedMotion?: 'reduce' | 'no-preference' }): Promise<Page>;
  /**
   * Imports `module` (a path under web-client/, e.g. 'src/ui/components/room-list/room-list.component.ts'),
   * creates `<tag>`, assigns `props` (JSON values; set functions with page.evaluate) and waits for its first render.
   */
  mount(page: Page, module: string, tag: string, props?: Record<string, unknown>): Promise<void>;
  /** Events of `type` the mounted element (or anything inside it, bubbling and composed) dispatched, by detail. */
  recordEvents(page: Page, type: string): Promise<() => Promise<unknown[]>>;
  axe(page: Page): Promise<AxeViolation[]>;
  close(): Promise<void>;
}

export async function startComponentHarness(): Promise<ComponentHarness> {
  const [server, browser]: [ViteDevServer, Browser] = await Promise.all([
    createServer({
      root: WEB, configFile: false, logLevel: 'silent', clearScreen: false,
      server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
      optimizeDeps: { noDiscovery: true, include: [] },
    }).then(async (s) => { await s.listen(); return s; }),
    launchChromium(),
  ]);
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('vite dev server has no port');
  const base = `http://127.0.0.1:${address.port}`;
  const contexts: Awaited<ReturnType<Browser['newContext']>>[] = [];

  return {
    async newPage(opts = {}) {
      const context = await browser.newContext({
        viewport: { width: opts.width ?? 800, height: opts.height ?? 600 },
        colorScheme: opts.colorScheme ?? 'light', reducedMotion: opts.reducedMotion ?? 'no-preference',
      });
      contexts.push(context);
      const page = await context.newPage();
      await page.goto(`${base}/src/testing/component-harness.html`);
      return page;
    },
    async mount(page, module, tag, props = {}) {
      // A string, not a function: vitest rewrites import() inside test code, which the page cannot run.
      await page.evaluate(`(async () => {
        await import(${JSON.stringify(`/${module}`)});
        const el = document.createElement(${JSON.stringify(tag)});
        Object.assign(el, ${JSON.stringify(props)});
        document.getElementById('stage').append(el);
        await el.updateComplete;
      })()`);
    },
    async recordEvents(page, type) {
      const key = JSON.stringify(`__events_${type}`);
      await page.evaluate(`(() => {
        window[${key}] = [];
        document.addEventListener(${JSON.stringify(type)}, (e) => { window[${key}].push(e.detail ?? null); }, { capture: true });
      })()`);
      return () => page.evaluate<unknown[]>(`window[${key}] ?? []`);
    },
    axe: (page) => axeViolations(page),
    async close() {
      await Promise.all(contexts.map((c) => c.close().catch(() => {})));
      await browser.close();
      await server.close();
    },
  };
}
