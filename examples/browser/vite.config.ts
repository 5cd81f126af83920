/**
 * The browser example: `npx vite examples/browser` to develop, `npm run build:page` to build into
 * examples/browser/dist (a static site: serve it from any path, e.g. `npx vite preview examples/browser`).
 *
 * The page imports the library from the repository's src/ (relative imports), so it builds
 * without `npm run build` first; a project of your own would import 'tfjs-gradcam',
 * 'tfjs-gradcam/browser' and 'tfjs-gradcam/demo' instead.
 *
 * Both servers send COOP/COEP (isolation.ts), so the page is cross-origin isolated and the wasm
 * backend runs its multi-threaded build. A static host serving dist/ must send them too, else
 * wasm runs on one thread (the page still works).
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { CROSS_ORIGIN_ISOLATION_HEADERS } from './isolation';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * Minify by renaming only, without compressing. tfjs-backend-wasm starts each thread of its
 * threaded build from the source text of its Emscripten factory (`factory.toString()`, run in a
 * worker on its own), whose `typeof _scriptDir !== "undefined" && _scriptDir` reads a variable of
 * the enclosing module. Compression turns that into `_scriptDir !== void 0 && _scriptDir` (the
 * variable is declared, there), which in the thread's worker throws "ReferenceError: e is not
 * defined" (the mangled name), and the backend never starts.
 */
const minify = { compress: false, mangle: true } as const;

export default defineConfig({
  root: here,
  base: './',
  server: { host: '127.0.0.1', headers: { ...CROSS_ORIGIN_ISOLATION_HEADERS } },
  preview: { host: '127.0.0.1', headers: { ...CROSS_ORIGIN_ISOLATION_HEADERS } },
  build: {
    outDir: resolve(here, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    rolldownOptions: {
      output: { minify },
      input: {
        main: resolve(here, 'index.html'),
        // The tests' page: the browser entry's functions on `window`, nothing else.
        test: resolve(here, 'test.html'),
      },
    },
  },
  // The live loop's worker (src/frame-worker.ts) is an ES module, like the page.
  worker: { format: 'es', rolldownOptions: { output: { minify } } },
  // The wasm backend loads its .wasm files itself (from the URLs given to setWasmPaths).
  assetsInclude: ['**/*.wasm'],
});
