import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { onCpuThenWasm } from '../helpers/cpu-vs-wasm';

/**
 * The wasm depthwise gradient kernels the library supplies must give the cpu backend's gradients.
 * (tfjs itself has no gradient for dilated depthwise convolutions, so there is no dilated case.)
 */
type Shape4 = [number, number, number, number];
const CASES: Array<{ name: string; x: Shape4; filter: Shape4; strides: number; pad: 'same' | 'valid'; dilations: number }> = [
  { name: '3×3 same, stride 1', x: [2, 7, 7, 4], filter: [3, 3, 4, 1], strides: 1, pad: 'same', dilations: 1 },
  { name: '3×3 same, stride 2', x: [1, 8, 9, 3], filter: [3, 3, 3, 1], strides: 2, pad: 'same', dilations: 1 },
  { name: '3×3 valid, multiplier 2', x: [2, 6, 6, 3], filter: [3, 3, 3, 2], strides: 1, pad: 'valid', dilations: 1 },
];

/** Gradients of Σ depthwise(x, f) · w w.r.t. x and f, through the fused op (linear), as on MobileNet. */
function gradients(c: (typeof CASES)[number]): { dx: Float32Array; df: Float32Array } {
  return tf.tidy(() => {
    const x = tf.randomNormal(c.x, 0, 1, 'float32', 1) as tf.Tensor4D;
    const f = tf.randomNormal(c.filter, 0, 1, 'float32', 2) as tf.Tensor4D;
    const out = tf.depthwiseConv2d(x, f, c.strides, c.pad, 'NHWC', c.dilations);
    const w = tf.randomNormal(out.shape, 0, 1, 'float32', 3);
    const loss = (a: tf.Tensor4D, b: tf.Tensor4D) =>
      tf.sum(tf.mul(tf.fused.depthwiseConv2d({ x: a, filter: b, strides: c.strides, pad: c.pad, dilations: c.dilations }), w)) as tf.Scalar;
    const [dx, df] = tf.grads(loss as (...xs: tf.Tensor[]) => tf.Scalar)([x, f]);
    return { dx: dx.dataSync() as Float32Array, df: df.dataSync() as Float32Array };
  });
}

const worst = (a: Float32Array, b: Float32Array): number => Math.max(...Array.from(a).map((v, i) => Math.abs(v - b[i])));

describe('depthwise gradient kernels on wasm', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each(CASES)('$name: input and filter gradients equal the cpu backend, no leak', async (c) => {
    const { cpu: expected, wasm: actual } = await onCpuThenWasm(() => gradients(c));
    expect(worst(actual.dx, expected.dx)).toBeLessThan(1e-4);
    expect(worst(actual.df, expected.df)).toBeLessThan(1e-4);
    expect(Math.max(...Array.from(expected.dx).map(Math.abs))).toBeGreaterThan(0.1);
  });
});
