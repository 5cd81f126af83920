/**
 * `npm run bench:graph`: GradCam on tfjs-converter GraphModels next to one `predict` of the same
 * graph, and next to GradCam on the same network as a LayersModel, measured side by side on wasm.
 * The networks are the GraphModel test fixtures (small VGG16-, ResNet- and MobileNetV2-shaped
 * nets converted from Keras, scripts/fixtures/graph/), on their three images.
 *   --rounds=N   rounds (default 15)
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
import * as os from 'node:os';
import { GradCam } from '../src';
import { GRAPH_NETS, graphReference, loadGraphFixture, loadLayersFixture, tensorOf } from '../test/helpers/graph-fixtures';

tf.env().set('PROD', true);
const rounds = Number(process.argv.find((a) => a.startsWith('--rounds='))?.split('=')[1] ?? 15);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = (fn: () => void): number => {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
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
    const ops: Record<string, () => void> = {
      predict: () => {
        const out = graph.predict(images) as tf.Tensor;
        out.dataSync();
        out.dispose();
      },
      graph: () => g.explain(images).dispose(),
      layers: () => l.explain(images).dispose(),
    };
    const samples: Record<string, number[]> = { predict: [], graph: [], layers: [] };
    for (const fn of Object.values(ops)) fn();
    for (let r = 0; r < rounds; r++) for (const [k, fn] of Object.entries(ops)) samples[k].push(time(fn));
    const [p, e, le] = ['predict', 'graph', 'layers'].map((k) => median(samples[k]));
    const size = images.shape.slice(1, 3).join('×');
    console.log(`| ${net} | ${size} | ${p.toFixed(2)} | ${e.toFixed(2)} | ${(e / p).toFixed(2)} | ${le.toFixed(2)} |`);
    [g, l, graph, layers, images].forEach((x) => x.dispose());
  }
}

void main();
