// Builds the single-page app into web-client/dist. matrix-js-sdk and its Rust crypto WASM are only
// reached through dynamic import(), so Rollup splits them out of the first screen's chunk.
// A second entry builds the service worker to dist/sw.js (unhashed: browsers look it up by name),
// and after the build the list of shell files it precaches is written into it.
import { defineConfig, type Plugin } from 'vite';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const SW_ENTRY = 'sw';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** Fills dist/sw.js's precache list: index.html and what it loads, the locale chunks, public/. */
function precacheShell(): Plugin {
  return {
    name: 'peerline-precache-shell',
    apply: 'build',
    writeBundle(options, bundle) {
      const outDir = options.dir ?? resolve(import.meta.dirname, 'dist');
      const html = readFileSync(join(outDir, 'index.html'), 'utf8');
      const fromHtml = [...html.matchAll(/(?:src|href)="\.\/([^"]+)"/g)].map((m) => m[1]!);
      // Chunks the entry imports statically load before first paint too.
      const staticImports = (file: string, seen: Set<string>): void => {
        const c = bundle[file];
        if (seen.has(file) || !c || c.type !== 'chunk') return;
        seen.add(file);
        for (const f of c.imports) staticImports(f, seen);
      };
      const firstScreen = new Set<string>();
      for (const f of fromHtml) staticImports(f, firstScreen);
      const locales = Object.values(bundle).filter((c) => c.type === 'chunk' && (c.facadeModuleId ?? '').includes('/src/locales/')).map((c) => c.fileName);
      const publicFiles = filesUnder(resolve(import.meta.dirname, 'public')).map((p) => relative(resolve(import.meta.dirname, 'public'), p).split('\\').join('/'));
      const list = [...new Set(['index.html', ...fromHtml, ...firstScreen, ...locales, ...publicFiles])].sort();
      const swPath = join(outDir, 'sw.js');
      const sw = readFileSync(swPath, 'utf8');
      const placeholder = /(["'`])__PEERLINE_PRECACHE__\1/;
      if (!placeholder.test(sw)) throw new Error('sw.js: precache placeholder not found');
      writeFileSync(swPath, sw.replace(placeholder, JSON.stringify(JSON.stringify(list))));
    },
  };
}

/**
 * Packages whose modules do nothing on import but define exports, so a module none of whose exports is
 * used can be left out (Rollup would otherwise keep, e.g., all of matrix-widget-api: it is CommonJS and
 * only the SDK's unused widget client, embedded.js, requires it). Neither package has a bare
 * side-effect import (`import "./x.js"`); a module whose exports are used keeps all its statements.
 */
const SIDE_EFFECT_FREE_PACKAGES = /\/node_modules\/(?:matrix-js-sdk|matrix-widget-api)\//;

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [precacheShell()],
  resolve: {
    alias: [
      // The SDK's "browser" entry (lib/browser-index.js) puts the whole namespace on globalThis.matrixcs,
      // which keeps every export (calls, widgets, sliding sync…) in the bundle, and installs a legacy
      // libolm crypto store that only matters for migrating pre-Rust-crypto data, which Peerline never
      // had. lib/matrix.js is what that entry re-exports, without either.
      { find: /^matrix-js-sdk$/, replacement: 'matrix-js-sdk/lib/matrix.js' },
    ],
  },
  // A JSON module's default export only (the SDK's homoglyph table, via unhomoglyph's require of
  // data.json, was otherwise emitted twice: as an object and as one getter per key). Without named
  // exports, Vite also emits large JSON as JSON.parse('…'), which parses faster than an object literal.
  json: { namedExports: false },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // The crypto WASM is several MB; the warning is about it, not about the app's own code.
    chunkSizeWarningLimit: 8000,
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: {
        index: resolve(import.meta.dirname, 'index.html'),
        [SW_ENTRY]: resolve(import.meta.dirname, 'src/platform/service-worker.ts'),
      },
      output: {
        entryFileNames: (chunk) => (chunk.name === SW_ENTRY ? 'sw.js' : 'assets/[name]-[hash].js'),
      },
      treeshake: { moduleSideEffects: (id) => !SIDE_EFFECT_FREE_PACKAGES.test(id) },
    },
  },
});
