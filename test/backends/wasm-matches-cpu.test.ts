import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { type CamMethodName, GradCam, guidedBackprop } from '../../src';
import { buildFixtureModel, loadFixture, toTensor } from '../helpers/fixtures';

/**
 * Every feature-map layer of the depthwise-separable fixture as the target — depthwise
 * convolutions, their ReLU6 layers, pointwise convolutions, pooling — on wasm and on cpu: the
 * heatmaps agree within 1e-3. Early targets put depthwise and linear convolutions after the
 * target, which needs the gradient kernels the library supplies on wasm. Two methods per layer:
 * Grad-CAM (pooled gradients) and LayerCAM (the gradient at every position); the other gradient
 * methods differ from these only in the arithmetic on the same gradients, which the parity
 * suites check on wasm.
 */
const fx = loadFixture('dw');
const LAYERS = ['stem_conv', 'dw1', 'dw1_relu6', 'pw1', 'pool1', 'dw2', 'pw2', 'dw3', 'pw3'];
const METHODS: CamMethodName[] = ['gradcam', 'layercam'];

async function heatmaps(backend: string): Promise<Map<string, Float32Array>> {
  await tf.setBackend(backend);
  const model = buildFixtureModel(fx);
  const images = tf.concat(fx.images.map((img) => toTensor(img.tensor)));
  const out = new Map<string, Float32Array>();
  for (const layerName of LAYERS) {
    const gc = new GradCam(model, { layerName });
    for (const method of METHODS) {
      const r = gc.explain(images, { method, classIndex: [3, 1] });
      out.set(`${layerName} ${method}`, r.heatmap.dataSync() as Float32Array);
      r.dispose();
    }
    gc.dispose();
  }
  const guided = guidedBackprop(model, images, { classIndex: [3, 1] });
  out.set('guided backprop', guided.saliency.dataSync() as Float32Array);
  guided.dispose();
  images.dispose();
  model.dispose();
  return out;
}

describe('wasm agrees with cpu on every target layer of a depthwise-separable network', () => {
  let cpu: Map<string, Float32Array>;
  let wasm: Map<string, Float32Array>;
  beforeAll(async () => {
    cpu = await heatmaps('cpu');
    wasm = await heatmaps('wasm');
    await tf.setBackend('cpu');
  }, 300_000);

  it.each([...LAYERS.flatMap((l) => METHODS.map((m) => `${l} ${m}`)), 'guided backprop'])('%s', (key) => {
    const a = cpu.get(key) as Float32Array;
    const b = wasm.get(key) as Float32Array;
    const scale = key === 'guided backprop' ? Math.max(...Array.from(a).map(Math.abs)) : 1;
    const worst = Math.max(...Array.from(a).map((v, i) => Math.abs(v - b[i])));
    expect(worst / scale).toBeLessThan(1e-3);
  });
});
