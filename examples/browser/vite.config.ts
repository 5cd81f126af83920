/**
 * The browser example: `npx vite examples/browser` to develop, `npm run build:page` to build into
 * examples/browser/dist (a static site: serve it from any path, e.g. `npx vite preview examples/browser`).
 *
 * The page imports the library from the repository's src/ (relative imports), so it builds
 * without `npm run build` first; a project of your own would import 'tfjs-gradcam',
 * 'tfjs-gradcam/browser' and 'tfjs-gradcam/demo' instead.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: './',
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  build: {
    outDir: resolve(here, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    rolldownOptions: {
      input: {
        main: resolve(here, 'index.html'),
        // The tests' page: the browser entry's functions on `window`, nothing else.
        test: resolve(here, 'test.html'),
      },
    },
  },
  // The live loop's worker (src/frame-worker.ts) is an ES module, like the page.
  worker: { format: 'es' },
  // The wasm backend loads its .wasm files itself (from the URLs given to setWasmPaths).
  assetsInclude: ['**/*.wasm'],
});
