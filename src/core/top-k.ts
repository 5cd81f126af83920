import * as tf from '@tensorflow/tfjs-core';

/**
 * The indices of each row's `k` largest scores, largest first, ties to the lower index — what
 * `tf.topk(scores, k).indices` gives, but computed on the device by every backend: webgl's and
 * webgpu's `topk` read the scores back synchronously for rows under 128 entries, which would
 * stall `explainTopKAsync`. k rounds of `argMax`, each masking the classes already taken.
 *
 * @param scores `[N,K]`.
 * @param k from 1 to K.
 * @returns `[N,k]` int32.
 */
export function topKIndices(scores: tf.Tensor2D, k: number): tf.Tensor2D {
  return tf.tidy(() => {
    const [n, numClasses] = scores.shape;
    const floor = tf.fill([n, numClasses], -Infinity) as tf.Tensor2D;
    let remaining: tf.Tensor2D = scores;
    const picks: tf.Tensor1D[] = [];
    for (let rank = 0; rank < k; rank++) {
      const pick = tf.cast(tf.argMax(remaining, 1), 'int32') as tf.Tensor1D;
      picks.push(pick);
      if (rank + 1 < k) remaining = tf.where<tf.Tensor2D>(tf.cast(tf.oneHot(pick, numClasses), 'bool'), floor, remaining);
    }
    return tf.stack(picks, 1) as tf.Tensor2D;
  });
}
