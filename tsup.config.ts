import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2020',
  // tfjs is a peer dependency: the user's copy must be the one we register gradients on.
  external: [/^@tensorflow\//],
  tsconfig: 'tsconfig.build.json',
});
