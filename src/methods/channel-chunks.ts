import * as tf from '@tensorflow/tfjs-core';
import type { MethodInputs } from './method';

/**
 * The scores of one chunk of channel variants of one image: `count` variants, for channels
 * `first … first + count − 1` of image `image`, as `[count]`.
 */
export type ChunkScorer = (image: number, first: number, count: number) => tf.Tensor1D;

/**
 * Runs a perturbation method's forward passes: for each image, the channels in chunks of
 * `inputs.batchSize`, one `score` call per chunk (inside its own `tf.tidy`, so a chunk's
 * variants are freed before the next is built), then `inputs.progress`, counted in variants
 * scored (`total` = N·C forward passes of one variant each).
 *
 * @returns `[N,C]`: the score of image n's variant for channel c.
 */
export function scoreChannelChunks(inputs: MethodInputs, method: string, score: ChunkScorer): tf.Tensor2D {
  const [n, , , c] = inputs.activations.shape;
  const batchSize = inputs.batchSize;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`tfjs-gradcam internal error: ${method} needs a positive integer batchSize, got ${batchSize}`);
  }
  const total = n * c;
  // One running tensor, grown by concat, instead of a list of per-chunk scores: the number of
  // live tensors then stays the same however many chunks there are.
  let scores = tf.zeros([0]) as tf.Tensor1D;
  try {
    for (let image = 0; image < n; image++) {
      for (let first = 0; first < c; first += batchSize) {
        const count = Math.min(batchSize, c - first);
        const chunk = tf.tidy(() => score(image, first, count));
        const grown = tf.concat([scores, chunk]);
        tf.dispose([scores, chunk]);
        scores = grown;
        inputs.progress(image * c + first + count, total);
      }
    }
    return tf.reshape(scores, [n, c]);
  } finally {
    scores.dispose();
  }
}
