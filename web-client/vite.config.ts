// Builds the single-page app into web-client/dist. matrix-js-sdk and its Rust crypto WASM are only
// reached through dynamic import(), so Rollup splits them out of the first screen's chunk.
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // The crypto WASM is several MB; the warning is about it, not about the app's own code.
    chunkSizeWarningLimit: 8000,
    modulePreload: { polyfill: false },
  },
});
