import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The built package as a user gets it (`npm test` builds it first): both module formats load
 * by the package name through the `exports` map, and tfjs stays a peer dependency.
 */
const root = path.resolve(__dirname, '../..');

/** A dist file and the local chunks it loads, transitively (file names inside dist/). */
function withLocalChunks(file: string, seen: Set<string> = new Set()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  const code = fs.readFileSync(path.join(root, 'dist', file), 'utf8');
  const local = [...code.matchAll(/(?:from\s*|require\(|import\()["']\.\/([^"']+)["']/g)].map((m) => m[1]);
  return [file, ...local.flatMap((f) => withLocalChunks(f, seen))];
}

// Runs a tiny Grad-CAM with the cpu backend through the package's public entry, sync and async.
const program = (load: string): string => `
${load}
tf.env().set('PROD', true);
const model = tfl.sequential({ layers: [
  tfl.layers.conv2d({ inputShape: [6, 6, 3], filters: 2, kernelSize: 3, padding: 'same', activation: 'relu',
    kernelInitializer: tfl.initializers.ones() }),
  tfl.layers.globalAveragePooling2d({}),
  tfl.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tfl.initializers.ones() }),
] });
const image = tf.ones([6, 6, 3]);
const before = tf.memory().numTensors;
const explainer = new gradcam.GradCam(model);
const r = explainer.explain(image);
explainer.explainAsync(image).then((a) => {
  const sync = r.heatmap.dataSync();
  const asyncEqual = a.classIndex[0] === r.classIndex[0] && a.heatmap.dataSync().every((v, i) => Math.abs(v - sync[i]) <= 1e-6);
  const out = { layer: r.layerName, shape: r.heatmap.shape, version: gradcam.version, errorName: new gradcam.GradCamError('BAD_INPUT', 'x').name, asyncEqual,
    keras: [typeof gradcam.loadModel, typeof gradcam.preprocessInput, typeof gradcam.registerKerasLayers] };
  r.dispose();
  a.dispose();
  explainer.dispose();
  out.leaked = tf.memory().numTensors - before;
  console.log(JSON.stringify(out));
});
`;

function runNode(args: string[], source: string): unknown {
  const stdout = execFileSync(process.execPath, [...args, source], { cwd: root, encoding: 'utf8' });
  return JSON.parse(stdout.trim().split('\n').pop() as string);
}

/**
 * Runs `program` as ESM and as CommonJS, with `tf` (cpu backend), the main entry as `gradcam`
 * and `tfjs-gradcam/<entry>` as `<entry>`; returns both outputs.
 */
function inBothFormats(entry: string, program: (load: string) => string): unknown[] {
  const esm = `import * as tf from '@tensorflow/tfjs-core'; import '@tensorflow/tfjs-backend-cpu';
import * as gradcam from 'tfjs-gradcam'; import * as ${entry} from 'tfjs-gradcam/${entry}';`;
  const cjs = `const tf = require('@tensorflow/tfjs-core'); require('@tensorflow/tfjs-backend-cpu');
const gradcam = require('tfjs-gradcam'); const ${entry} = require('tfjs-gradcam/${entry}');`;
  return [runNode(['--input-type=module', '-e'], program(esm)), runNode(['--input-type=commonjs', '-e'], program(cjs))];
}

const expected = { shape: [1, 6, 6], version: '0.2.0', errorName: 'GradCamError', asyncEqual: true, leaked: 0, keras: ['function', 'function', 'function'] };

describe('the built package', () => {
  it('imports as ESM by its name', () => {
    const load = `import * as tf from '@tensorflow/tfjs-core'; import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers'; import * as gradcam from 'tfjs-gradcam';`;
    expect(runNode(['--input-type=module', '-e'], program(load))).toMatchObject({ ...expected, layer: expect.stringMatching(/^conv2d/) });
  });

  it('requires as CommonJS by its name', () => {
    const load = `const tf = require('@tensorflow/tfjs-core'); require('@tensorflow/tfjs-backend-cpu');
const tfl = require('@tensorflow/tfjs-layers'); const gradcam = require('tfjs-gradcam');`;
    expect(runNode(['--input-type=commonjs', '-e'], program(load))).toMatchObject({ ...expected, layer: expect.stringMatching(/^conv2d/) });
  });

  it('does not bundle tfjs: it imports the peer dependencies instead', () => {
    for (const file of ['dist/index.js', 'dist/index.cjs']) {
      const code = fs.readFileSync(path.join(root, file), 'utf8');
      expect(code).toMatch(/["']@tensorflow\/tfjs-core["']/);
      expect(code).not.toMatch(/registerKernel\(\{\s*kernelName:\s*["']Conv2D["']/);
      expect(code.length).toBeLessThan(150_000); // the library alone; bundled tfjs would be megabytes
    }
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(Object.keys(pkg.peerDependencies)).toEqual(['@tensorflow/tfjs-converter', '@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', 'sharp']);
    // GraphModels are told by their shape: the optional tfjs-converter is never imported.
    expect(pkg.peerDependenciesMeta['@tensorflow/tfjs-converter']).toEqual({ optional: true });
    // Nor by the chunks the main and browser entries load (a bundler fails on an import it
    // cannot resolve, even a dynamic one): only the Node entry imports it, at run time.
    const converterImport = /(from\s*|require\(|import\()["']@tensorflow\/tfjs-converter["']/;
    for (const file of ['index.js', 'index.cjs', 'browser.js', 'browser.cjs'].flatMap((f) => withLocalChunks(f))) {
      expect([file, converterImport.test(fs.readFileSync(path.join(root, 'dist', file), 'utf8'))]).toEqual([file, false]);
    }
    for (const entry of ['node.js', 'node.cjs']) {
      // The Node entry and the chunks it loads (shared with the worker scripts).
      const code = withLocalChunks(entry).map((file) => fs.readFileSync(path.join(root, 'dist', file), 'utf8')).join('\n');
      expect(code).toMatch(/(import\(|require\()["']@tensorflow\/tfjs-converter["']/);
      expect(code).not.toMatch(/from\s*["']@tensorflow\/tfjs-converter["']/);
    }
    expect(pkg.peerDependenciesMeta.sharp.optional).toBe(true);
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.sideEffects).toBe(false);
  });

  it('ships type declarations for both formats', () => {
    for (const file of ['dist/index.d.ts', 'dist/index.d.cts']) {
      const types = fs.readFileSync(path.join(root, file), 'utf8');
      expect(types).toMatch(/declare class GradCam/);
      expect(types).not.toMatch(/:\s*any\b/);
    }
  });

  // tfjs-gradcam/metrics: a metric on a tiny function model, and its errors are the main entry's GradCamError.
  const metricsProgram = (load: string): string => `
${load}
tf.env().set('PROD', true);
const model = (x) => tf.tidy(() => { const a = tf.reshape(tf.sum(x, [1, 2, 3]), [-1, 1]); return tf.concat([a, tf.zerosLike(a)], 1); });
const images = tf.ones([1, 2, 2, 1]);
const heatmaps = tf.fill([1, 2, 2], 0.5);
const before = tf.memory().numTensors;
(async () => {
  const change = await metrics.confidenceChange(model, images, heatmaps, { classIndex: 0, score: 'logit' });
  const err = await metrics.road(model, images, heatmaps, { classIndex: 0, percentiles: 100, order: 'most-relevant-first' }).catch((e) => e);
  console.log(JSON.stringify({ change, sameError: err instanceof gradcam.GradCamError, code: err.code, leaked: tf.memory().numTensors - before }));
})();
`;
  const metricsExpected = { change: [-2], sameError: true, code: 'BAD_OPTION', leaked: 0 };

  it('tfjs-gradcam/metrics imports as ESM and requires as CommonJS', () => {
    expect(inBothFormats('metrics', metricsProgram)).toEqual([metricsExpected, metricsExpected]);
    for (const file of ['dist/metrics.d.ts', 'dist/metrics.d.cts']) {
      const types = fs.readFileSync(path.join(root, file), 'utf8');
      expect(types).toMatch(/declare function roadCombined/);
      expect(types).not.toMatch(/:\s*any\b/);
    }
  });

  // tfjs-gradcam/browser loads in Node too (DOM only inside its functions): its drawing path on
  // the registered backends, and a canvas without a 2-D context rejects with the main entry's GradCamError.
  const browserProgram = (load: string): string => `
${load}
const canvas = { width: 0, height: 0, getContext: () => null };
browser.drawHeatmap(canvas, tf.zeros([2, 2])).catch((e) => {
  console.log(JSON.stringify({ paths: [browser.drawPath('cpu'), browser.drawPath('wasm')], sameError: e instanceof gradcam.GradCamError, code: e.code }));
});
`;
  const browserExpected = { paths: ['device', 'readback'], sameError: true, code: 'BAD_INPUT' };

  it('tfjs-gradcam/browser imports as ESM and requires as CommonJS', () => {
    expect(inBothFormats('browser', browserProgram)).toEqual([browserExpected, browserExpected]);
    for (const file of ['dist/browser.d.ts', 'dist/browser.d.cts']) {
      expect(fs.readFileSync(path.join(root, file), 'utf8')).toMatch(/declare function drawPath/);
    }
  });
});
