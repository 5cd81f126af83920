import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { onCpuThenWasm } from '../helpers/cpu-vs-wasm';

/**
 * The wasm Conv2DBackpropFilter the library supplies must give the cpu backend's filter
 * gradients, for the paddings and strides convolutions use.
 */
type Shape4 = [number, number, number, number];
const CASES: Array<{ name: string; x: Shape4; filter: Shape4; strides: number; pad: 'same' | 'valid' }> = [
  { name: '3×3 same, stride 1', x: [2, 9, 9, 3], filter: [3, 3, 3, 5], strides: 1, pad: 'same' },
  { name: '3×3 valid, stride 2', x: [2, 9, 8, 4], filter: [3, 3, 4, 6], strides: 2, pad: 'valid' },
  { name: '5×5 same, stride 2 (uneven padding)', x: [1, 10, 10, 2], filter: [5, 5, 2, 3], strides: 2, pad: 'same' },
  { name: '1×1 pointwise', x: [3, 4, 4, 8], filter: [1, 1, 8, 4], strides: 1, pad: 'valid' },
];

/** dLoss/dFilter for loss = Σ conv(x, f) · weights, with a linear fused conv (the case wasm lacks). */
function filterGradient(c: (typeof CASES)[number]): { values: Float32Array; shape: number[] } {
  return tf.tidy(() => {
    const x = tf.randomNormal(c.x, 0, 1, 'float32', 1) as tf.Tensor4D;
    const filter = tf.randomNormal(c.filter, 0, 1, 'float32', 2) as tf.Tensor4D;
    const out = tf.conv2d(x, filter, c.strides, c.pad);
    const weights = tf.randomNormal(out.shape, 0, 1, 'float32', 3);
    const loss = (f: tf.Tensor) => tf.sum(tf.mul(tf.fused.conv2d({ x, filter: f as tf.Tensor4D, strides: c.strides, pad: c.pad }), weights));
    const grad = tf.grad(loss)(filter);
    return { values: grad.dataSync() as Float32Array, shape: grad.shape };
  });
}

describe('Conv2DBackpropFilter on wasm', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each(CASES)('$name: equals the cpu backend, and leaks nothing', async (c) => {
    const { cpu: expected, wasm: actual } = await onCpuThenWasm(() => filterGradient(c));
    expect(actual.shape).toEqual(c.filter);
    const worst = Math.max(...Array.from(actual.values).map((v, i) => Math.abs(v - expected.values[i])));
    expect(worst).toBeLessThan(1e-3);
    expect(Math.max(...Array.from(expected.values).map(Math.abs))).toBeGreaterThan(0.1); // not trivially zero
  });
});
