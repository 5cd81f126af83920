import * as tf from '@tensorflow/tfjs-core';
import { weightedActivationMap } from '../../src';
import { expectClose, expectGradCamError } from '../helpers/expect';

/** Calls weightedActivationMap, reads the result, disposes it and checks nothing leaked. */
function mapOf(a: tf.Tensor4D, w: tf.Tensor2D): { shape: number[]; values: Float32Array } {
  const before = tf.memory().numTensors;
  const cam = weightedActivationMap(a, w);
  const out = { shape: cam.shape, values: cam.dataSync() as Float32Array };
  cam.dispose();
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

describe('weightedActivationMap', () => {
  // activations[0][h][w] = [channel 0, channel 1]
  const pixels = [
    [[1, 2], [3, -1]],
    [[-2, 1], [0.5, 4]],
  ];

  it('computes ReLU(Σ_c w_c·A_c) by hand for a [1,2,2,2] case, zeroing a negative sum', () => {
    const a = tf.tensor4d([pixels]);
    const w = tf.tensor2d([[2, 0.5]]);
    // (0,0): 2·1 + 0.5·2 = 3
    // (0,1): 2·3 + 0.5·(−1) = 5.5
    // (1,0): 2·(−2) + 0.5·1 = −3.5 → ReLU → 0
    // (1,1): 2·0.5 + 0.5·4 = 3
    const { shape, values } = mapOf(a, w);
    expect(shape).toEqual([1, 2, 2]);
    expectClose(values, [3, 5.5, 0, 3]);
    tf.dispose([a, w]);
  });

  it('uses each image\'s own weights in a batch of 2 (images do not mix)', () => {
    const a = tf.tensor4d([
      pixels,
      [
        [[4, -3], [0, 2]],
        [[1, 1], [-5, 6]],
      ],
    ]);
    // image 0 takes channel 0 only, image 1 channel 1 only (scaled by 2)
    const w = tf.tensor2d([
      [1, 0],
      [0, 2],
    ]);
    // image 0: ReLU([1, 3, −2, 0.5]) = [1, 3, 0, 0.5]
    // image 1: ReLU(2·[−3, 2, 1, 6]) = [0, 4, 2, 12]
    const { shape, values } = mapOf(a, w);
    expect(shape).toEqual([2, 2, 2]);
    expectClose(values, [1, 3, 0, 0.5, 0, 4, 2, 12]);
    tf.dispose([a, w]);
  });

  it('is a SUM over channels, not a mean', () => {
    const a = tf.ones([1, 2, 3, 4]) as tf.Tensor4D;
    const w = tf.tensor2d([[1, 1, 1, 1]]);
    // Σ over 4 channels of 1·1 = 4 (a mean would give 1)
    const { shape, values } = mapOf(a, w);
    expect(shape).toEqual([1, 2, 3]);
    expectClose(values, [4, 4, 4, 4, 4, 4]);
    tf.dispose([a, w]);
  });

  it.each([
    ['too many channels', [1, 3]],
    ['too few channels', [1, 1]],
    ['wrong batch', [2, 2]],
  ])('rejects weights with %s with SHAPE_MISMATCH naming both shapes', (_why, wShape) => {
    const a = tf.tensor4d([pixels]);
    const w = tf.zeros<tf.Rank>(wShape as number[]) as tf.Tensor2D;
    const err = expectGradCamError(() => weightedActivationMap(a, w), 'SHAPE_MISMATCH');
    expect(err.message).toContain(`[${(wShape as number[]).join(',')}]`);
    expect(err.message).toContain('[1,2,2,2]');
    tf.dispose([a, w]);
  });

  it('rejects weights that are not 2-D, and activations that are not 4-D', () => {
    const a = tf.tensor4d([pixels]);
    const w1 = tf.tensor1d([1, 2]);
    expectGradCamError(() => weightedActivationMap(a, w1 as unknown as tf.Tensor2D), 'SHAPE_MISMATCH');
    const a3 = tf.zeros([2, 2, 2]);
    const w = tf.tensor2d([[1, 2]]);
    const err = expectGradCamError(() => weightedActivationMap(a3 as tf.Tensor4D, w), 'SHAPE_MISMATCH');
    expect(err.message).toContain('[2,2,2]');
    tf.dispose([a, w1, a3, w]);
  });
});
