import * as path from 'node:path';
import { type Options, defineConfig } from 'tsup';

type Plugin = NonNullable<Options['esbuildPlugins']>[number];

// tfjs and sharp are peer dependencies: the user's copies must be the ones we use.
const external = [/^@tensorflow\//, 'sharp'];

/**
 * The pool finds its worker script beside the built module: through __filename in CommonJS (and
 * under jest), through import.meta.url in ESM, where an import of `…/this-file` resolves to this-file.esm.ts.
 */
const thisFileEsm: Plugin = {
  name: 'this-file-esm',
  setup(build) {
    // CommonJS is built as ESM and converted (splitting): tell the formats apart by TSUP_FORMAT.
    if (build.initialOptions.define?.TSUP_FORMAT !== '"esm"') return;
    build.onResolve({ filter: /(^|\/)this-file$/ }, (args) => ({ path: path.join(args.resolveDir, `${args.path}.esm.ts`) }));
  },
};

export default defineConfig([
  {
    // The library: the core, the demo model and scenes, the Node helpers (files, images), and the metrics.
    // pool-worker: the worker thread of tfjs-gradcam/node's explainInWorkers, found beside node.{js,cjs}.
    entry: {
      index: 'src/index.ts',
      demo: 'src/demo/index.ts',
      node: 'src/node/index.ts',
      browser: 'src/browser/index.ts',
      metrics: 'src/metrics/index.ts',
      'pool-worker': 'src/node/pool/worker.ts',
    },
    format: ['esm', 'cjs'],
    esbuildPlugins: [thisFileEsm],
    // Shared code (GradCamError above all) in common chunks, so that `instanceof` works across
    // the entries in both formats.
    splitting: true,
    dts: true,
    sourcemap: true,
    target: 'es2020',
    external,
    tsconfig: 'tsconfig.build.json',
  },
  {
    // The `tfjs-gradcam` command, and the worker thread of its --jobs.
    entry: { cli: 'src/cli/main.ts', 'cli-worker': 'src/cli/worker.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node18',
    platform: 'node',
    banner: { js: '#!/usr/bin/env node' },
    external,
    // The demo model (its weights are ~100 KB of base64) comes from the package's own
    // dist/demo.js, next to cli.js, instead of a second copy bundled into the command.
    esbuildPlugins: [
      thisFileEsm,
      {
        name: 'demo-from-package',
        setup(build) {
          build.onResolve({ filter: /^\.\.\/demo$/ }, () => ({ path: './demo.js', external: true }));
        },
      },
    ],
    tsconfig: 'tsconfig.build.json',
  },
]);
