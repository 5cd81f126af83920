import * as tf from '@tensorflow/tfjs-core';
import { poolWeights } from '../../src';
import { expectClose, expectGradCamError } from '../helpers/expect';

/** Fails with the offending entries when any |actual − expected| > tol. */
describe('poolWeights', () => {
  it('averages a [2,2,2,3] gradient over h and w into [2,3]', () => {
    // g[n][h][w][c]
    const g = tf.tensor4d([
      [
        [[1, 2, 3], [5, -2, 0]],
        [[3, 4, -3], [-1, 8, 4]],
      ],
      [
        [[10, 0, 1], [20, 0, 1]],
        [[30, 0, 1], [40, 4, 5]],
      ],
    ]);
    const before = tf.memory().numTensors;
    const w = poolWeights(g);
    expect(w.shape).toEqual([2, 3]);
    expect(w.dtype).toBe('float32');
    // image 0: c0 (1+5+3−1)/4 = 2, c1 (2−2+4+8)/4 = 3, c2 (3+0−3+4)/4 = 1
    // image 1: c0 (10+20+30+40)/4 = 25, c1 (0+0+0+4)/4 = 1, c2 (1+1+1+5)/4 = 2
    expectClose(w.dataSync(), [2, 3, 1, 25, 1, 2]);
    w.dispose();
    expect(tf.memory().numTensors).toBe(before);
    g.dispose();
  });

  it('is a mean, not a sum: a constant gradient gives that constant', () => {
    const g = tf.fill([1, 3, 5, 2], 0.25) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const w = poolWeights(g);
    expect(w.shape).toEqual([1, 2]);
    expectClose(w.dataSync(), [0.25, 0.25]);
    w.dispose();
    expect(tf.memory().numTensors).toBe(before);
    g.dispose();
  });

  it.each([
    ['3-D', [2, 2, 3]],
    ['5-D', [1, 2, 2, 3, 1]],
    ['2-D', [4, 3]],
  ])('rejects a %s gradient with SHAPE_MISMATCH naming its shape', (_name, shape) => {
    const g = tf.zeros(shape as number[]);
    const err = expectGradCamError(() => poolWeights(g as tf.Tensor4D), 'SHAPE_MISMATCH');
    expect(err.message).toContain(`[${(shape as number[]).join(',')}]`);
    g.dispose();
  });
});
