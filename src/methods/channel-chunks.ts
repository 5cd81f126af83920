import * as tf from '@tensorflow/tfjs-core';
import { type Steps, pause, runSync } from '../steps';
import type { CamMethod, CamMethodName, MethodInputs } from './method';

/**
 * The scores of one chunk of channel variants of one image: `count` variants, for channels
 * `first … first + count − 1` of image `image`, as `[count]`.
 */
export type ChunkScorer = (inputs: MethodInputs, image: number, first: number, count: number) => tf.Tensor1D;

/** What a method that scores one variant per channel says: how to score a chunk, and the weights from the scores. */
export interface ChannelScoring {
  readonly name: CamMethodName;
  readonly scoreChunk: ChunkScorer;
  /** `[N,C]` channel weights from the scores `[N,C]` of the channel variants (runs inside `tf.tidy`). */
  weights(inputs: MethodInputs, scores: tf.Tensor2D): tf.Tensor2D;
}

/** A method from its chunk scorer and weights: `weightSteps` pauses between chunks, `compute` runs them all at once. */
export function channelScoringMethod(scoring: ChannelScoring): CamMethod {
  function* weightSteps(inputs: MethodInputs): Steps<tf.Tensor2D> {
    const scores = yield* scoreChannelChunks(inputs, scoring.name, scoring.scoreChunk);
    try {
      return tf.tidy(() => scoring.weights(inputs, scores));
    } finally {
      scores.dispose();
    }
  }
  return {
    name: scoring.name,
    needsGradients: false,
    compute: (inputs) => ({ weights: runSync(weightSteps(inputs)) }),
    weightSteps,
  };
}

/**
 * Runs a perturbation method's forward passes: for each image, the channels in chunks of
 * `inputs.batchSize`, one `score` call per chunk (inside its own `tf.tidy`, so a chunk's
 * variants are freed before the next is built), then `inputs.progress`, counted in variants
 * scored (`total` = N·C forward passes of one variant each), then a pause (outside any tidy).
 *
 * @returns `[N,C]`: the score of image n's variant for channel c.
 */
export function* scoreChannelChunks(inputs: MethodInputs, method: string, score: ChunkScorer): Steps<tf.Tensor2D> {
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
        const chunk = tf.tidy(() => score(inputs, image, first, count));
        const grown = tf.concat([scores, chunk]);
        tf.dispose([scores, chunk]);
        scores = grown;
        inputs.progress(image * c + first + count, total);
        if (image * c + first + count < total) yield* pause();
      }
    }
    return tf.reshape(scores, [n, c]);
  } finally {
    scores.dispose();
  }
}
