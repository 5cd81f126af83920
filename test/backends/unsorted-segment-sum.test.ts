import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { expectClose } from '../helpers/expect';
import { ensureGradientKernels } from '../../src';
import { onCpuThenWasm } from '../helpers/cpu-vs-wasm';

/** The gradient of gather (UnsortedSegmentSum, which wasm lacks) must equal the cpu backend's. */
function gatherGradient(axis: number): { values: number[]; shape: number[] } {
  return tf.tidy(() => {
    const x = tf.randomNormal([4, 5, 3], 0, 1, 'float32', 1);
    const valid = tf.tensor1d([2, 0, 2, 1], 'int32'); // 2 twice: its gradients add up
    const weights = tf.randomNormal(tf.gather(x, valid, axis).shape, 0, 1, 'float32', 2);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, valid, axis), weights)))(x);
    return { values: Array.from(g.dataSync()), shape: g.shape };
  });
}

describe('UnsortedSegmentSum on wasm', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each([0, 1, 2])('the gradient of gather along axis %i equals the cpu backend’s, and leaks nothing', async (axis) => {
    const { cpu: expected, wasm: actual } = await onCpuThenWasm(() => gatherGradient(axis));
    expect(actual.shape).toEqual(expected.shape);
    expectClose(actual.values, expected.values, 1e-5);
  });

  it('drops ids outside [0, numSegments), as TensorFlow does', async () => {
    await tf.setBackend('wasm');
    ensureGradientKernels();
    const out = tf.unsortedSegmentSum(tf.tensor2d([[1, 2], [3, 4], [5, 6]]), tf.tensor1d([1, -1, 1], 'int32'), 3);
    expect(Array.from(out.dataSync())).toEqual([0, 0, 6, 8, 0, 0]);
    out.dispose();
  });
});
