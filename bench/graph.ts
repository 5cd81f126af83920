/**
 * `npm run bench:graph`: GradCam on tfjs-converter GraphModels next to one `predict` of the same
 * graph, and next to GradCam on the same network as a LayersModel, measured side by side on wasm.
 * The networks are the GraphModel test fixtures (small VGG16-, ResNet- and MobileNetV2-shaped
 * nets converted from Keras, scripts/fixtures/graph/), on their three images.
 * With `--full`, also full-size VGG16 and MobileNetV2 graphs (224×224, one image) from
 * bench/.models/, which `scripts/fixtures/graph/bench_models.py` writes (not committed);
 * `--full=mobilenetv2` (or `vgg16`) for one of them.
 *   --rounds=N   rounds (default 15)
 *   --kernels    with --full, also the kernel time of each (see kernelTimes): a ratio that other
 *                jobs on a shared machine move less than wall-clock medians
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { GradCam } from '../src';
import { GRAPH_NETS, graphReference, loadGraphDir, loadGraphFixture, loadLayersFixture, tensorOf } from '../test/helpers/graph-fixtures';

tf.env().set('PROD', true);
const rounds = Number(process.argv.find((a) => a.startsWith('--rounds='))?.split('=')[1] ?? 15);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = (fn: () => void): number => {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
};

/** Median ms of each op, run round-robin after a warm-up. */
function interleaved(ops: Record<string, () => void>): Record<string, number> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(ops).map((k) => [k, []]));
  for (const fn of Object.values(ops)) fn();
  for (let r = 0; r < rounds; r++) for (const [k, fn] of Object.entries(ops)) samples[k].push(time(fn));
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
}

/**
 * Kernel ms of each op: the sum over its kernels (in order) of each kernel's fastest time in
 * `rounds` interleaved runs under `tf.profile`. Custom-gradient scopes are left out (their
 * kernels are counted on their own).
 */
async function kernelTimes(ops: Record<string, () => void>): Promise<Record<string, number>> {
  const best: Record<string, number[]> = Object.fromEntries(Object.keys(ops).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(ops)) {
      const info = await tf.profile(fn);
      const kernels = info.kernels.filter((k) => !k.name.endsWith('__op') && k.name !== 'unnamed scope');
      kernels.forEach((k, i) => (best[name][i] = Math.min(best[name][i] ?? Infinity, k.kernelTimeMs as number)));
    }
  }
  return Object.fromEntries(Object.entries(best).map(([k, v]) => [k, v.reduce((a, b) => a + b, 0)]));
}

const predictOp = (graph: { predict(x: tf.Tensor): unknown }, images: tf.Tensor) => (): void => {
  const out = graph.predict(images) as tf.Tensor;
  out.dataSync();
  out.dispose();
};

async function main(): Promise<void> {
  await tf.setBackend('wasm');
  console.log(`# GraphModel benchmark (wasm)\n`);
  console.log(`- ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores; Node ${process.version}; tfjs ${tf.version_core}`);
  console.log(`- medians of ${rounds} interleaved rounds after a warm-up; a batch of 3 images; times in ms\n`);
  console.log('| network | input | graph predict | graph explain | explain / predict | layers explain |');
  console.log('|---|---|---|---|---|---|');
  for (const net of GRAPH_NETS) {
    const graph = loadGraphFixture(net);
    const layers = await loadLayersFixture(net);
    const images = tensorOf(graphReference(net).images) as tf.Tensor4D;
    const [g, l] = [new GradCam(graph), new GradCam(layers)];
    const m = interleaved({ predict: predictOp(graph, images), graph: () => g.explain(images).dispose(), layers: () => l.explain(images).dispose() });
    const [p, e, le] = [m.predict, m.graph, m.layers];
    const size = images.shape.slice(1, 3).join('×');
    console.log(`| ${net} | ${size} | ${p.toFixed(2)} | ${e.toFixed(2)} | ${(e / p).toFixed(2)} | ${le.toFixed(2)} |`);
    [g, l, graph, layers, images].forEach((x) => x.dispose());
  }
  if (!process.argv.some((a) => a === '--full' || a.startsWith('--full='))) return;
  console.log("\n| full-size graph | target node | predict | explain | explain / predict | explain, cacheTransposedKernels: 'auto' | its ratio |");
  console.log('|---|---|---|---|---|---|---|');
  const full = process.argv.find((a) => a.startsWith('--full='))?.split('=')[1]?.split(',') ?? ['vgg16', 'mobilenetv2'];
  for (const name of full) {
    const dir = `bench/.models/${name}`;
    if (!fs.existsSync(`${dir}/model.json`)) {
      console.log(`| ${name} | (missing: run scripts/fixtures/graph/bench_models.py) | | | | | |`);
      continue;
    }
    const graph = loadGraphDir(dir);
    const image = tf.randomUniform([1, 224, 224, 3], -1, 1, 'float32', 7);
    // The default caches every Wᵀ; 'auto' (the pool's and the command's choice for few images) not VGG16's fc1 and fc2.
    const [g, all] = [new GradCam(graph), new GradCam(graph, { cacheTransposedKernels: 'auto' })];
    const ops = { predict: predictOp(graph, image), explain: () => g.explain(image).dispose(), all: () => all.explain(image).dispose() };
    const row = (m: Record<string, number>, digits: number): string =>
      `${m.predict.toFixed(digits)} | ${m.explain.toFixed(digits)} | ${(m.explain / m.predict).toFixed(2)} | ${m.all.toFixed(digits)} | ${(m.all / m.predict).toFixed(2)} |`;
    console.log(`| ${name} | \`${g.layerName}\` | ${row(interleaved(ops), 1)}`);
    if (process.argv.includes('--kernels')) console.log(`|   kernel time | | ${row(await kernelTimes(ops), 1)}`);
    [g, all, graph, image].forEach((x) => x.dispose());
  }
}

void main();
