import { defineConfig } from 'tsup';

// tfjs and sharp are peer dependencies: the user's copies must be the ones we use.
const external = [/^@tensorflow\//, 'sharp'];

export default defineConfig([
  {
    // The library: the core, the demo model and scenes, the Node helpers (files, images), and the metrics.
    entry: { index: 'src/index.ts', demo: 'src/demo/index.ts', node: 'src/node/index.ts', browser: 'src/browser/index.ts', metrics: 'src/metrics/index.ts' },
    format: ['esm', 'cjs'],
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
    // The `tfjs-gradcam` command.
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node18',
    platform: 'node',
    banner: { js: '#!/usr/bin/env node' },
    external,
    // The demo model (its weights are ~100 KB of base64) comes from the package's own
    // dist/demo.js, next to cli.js, instead of a second copy bundled into the command.
    esbuildPlugins: [
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
