/**
 * The headers that make the page cross-origin isolated (`window.crossOriginIsolated`), which
 * browsers require before they offer `SharedArrayBuffer`, and so tfjs-backend-wasm its
 * multi-threaded build. Sent by Vite's dev and preview servers (vite.config.ts) and by the
 * tests' static server (test/browser/harness.ts `serve`).
 *
 * With `require-corp`, everything the page loads from another origin must allow it: a CORS
 * response (`fetch` in its default `cors` mode, as tfjs's model loaders use) or a
 * `Cross-Origin-Resource-Policy` header. The page's own files are same-origin.
 */
export const CROSS_ORIGIN_ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};
