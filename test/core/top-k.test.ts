import * as tf from '@tensorflow/tfjs-core';
import { topKIndices } from '../../src/core/top-k';

describe('topKIndices', () => {
  it('gives tf.topk\'s indices: largest first, ties to the lower index', () => {
    const scores = tf.tensor2d([
      [0.1, 3, -2, 3, 7, 0],
      [5, 5, 5, -1, 5, 4],
      [-3, -1, -2, -6, -5, -4],
    ]);
    for (const k of [1, 2, 4, 6]) {
      const got = topKIndices(scores, k);
      const want = tf.topk(scores, k);
      expect(got.dtype).toBe('int32');
      expect(got.arraySync()).toEqual(want.indices.arraySync());
      tf.dispose([got, want.indices, want.values]);
    }
    // Written out: row 0 → 4, then the tie 1 before 3; row 1 → the four 5s in index order.
    const top3 = topKIndices(scores, 3);
    expect(top3.arraySync()).toEqual([
      [4, 1, 3],
      [0, 1, 2],
      [1, 2, 0],
    ]);
    tf.dispose([top3, scores]);
  });

  it('leaves no tensor behind', () => {
    const scores = tf.tensor2d([[1, 2, 3]]);
    const before = tf.memory().numTensors;
    topKIndices(scores, 2).dispose();
    expect(tf.memory().numTensors).toBe(before);
    scores.dispose();
  });
});
