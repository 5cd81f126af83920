import * as tf from '@tensorflow/tfjs-core';
import { topKIndices } from '../core/top-k';
import { type Steps, pause, runSync } from '../steps';
import type { CamMethod, CamMethodName, MethodInputs } from './method';

/**
 * The channels of one chunk: `count` of them, either `first … first + count − 1` or, when only
 * some channels are scored, `indices` (int32 `[count]`).
 */
export interface ChannelChunk {
  readonly first: number;
  readonly count: number;
  readonly indices?: tf.Tensor1D;
}

/** The scores of one chunk of channel variants of image `image`, as `[count]`. */
export type ChunkScorer = (inputs: MethodInputs, image: number, chunk: ChannelChunk) => tf.Tensor1D;

/** What a method that scores one variant per channel says: how to score a chunk, and the weights from the scores. */
export interface ChannelScoring {
  readonly name: CamMethodName;
  readonly scoreChunk: ChunkScorer;
  /**
   * `[N,C']` weights of the scored channels from their variants' scores `[N,C']` (runs inside
   * `tf.tidy`); C' is C, or `maxChannels` (the channels not scored weigh 0).
   */
  weights(inputs: MethodInputs, scores: tf.Tensor2D): tf.Tensor2D;
}

/** A method from its chunk scorer and weights: `weightSteps` pauses between chunks, `compute` runs them all at once. */
export function channelScoringMethod(scoring: ChannelScoring): CamMethod {
  function* weightSteps(inputs: MethodInputs): Steps<tf.Tensor2D> {
    const { scores, channels } = yield* scoreChannelChunks(inputs, scoring.name, scoring.scoreChunk);
    try {
      return tf.tidy(() => spreadOverChannels(scoring.weights(inputs, scores), channels, inputs.activations.shape[3]));
    } finally {
      tf.dispose([scores, channels ?? []]);
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
 * Runs a perturbation method's forward passes: for each image, its channels in chunks of
 * `inputs.batchSize`, one `score` call per chunk (inside its own `tf.tidy`, so a chunk's
 * variants are freed before the next is built), then `inputs.progress`, counted in variants
 * scored (`total` = N·C forward passes of one variant each, N·maxChannels with `maxChannels`),
 * then a pause (outside any tidy).
 *
 * With `inputs.maxChannels` below C, each image's channels are its `maxChannels` of largest
 * spatial variance (Faster-ScoreCAM, Wang et al. 2020), largest first.
 *
 * @returns `[N,C']`: the score of image n's variant for its c-th scored channel, and, when only
 *   some channels are scored, `channels` int32 `[N,C']`: which channel each column is.
 */
export function* scoreChannelChunks(
  inputs: MethodInputs,
  method: string,
  score: ChunkScorer,
): Steps<{ scores: tf.Tensor2D; channels?: tf.Tensor2D }> {
  const [n, , , c] = inputs.activations.shape;
  const batchSize = inputs.batchSize;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`tfjs-gradcam internal error: ${method} needs a positive integer batchSize, got ${batchSize}`);
  }
  const scored = Math.min(inputs.maxChannels ?? c, c);
  const channels = scored < c ? topVarianceChannels(inputs.activations, scored) : undefined;
  const total = n * scored;
  // One running tensor, grown by concat, instead of a list of per-chunk scores: the number of
  // live tensors then stays the same however many chunks there are.
  let scores = tf.zeros([0]) as tf.Tensor1D;
  try {
    for (let image = 0; image < n; image++) {
      for (let first = 0; first < scored; first += batchSize) {
        const count = Math.min(batchSize, scored - first);
        const chunk = tf.tidy(() =>
          score(inputs, image, {
            first,
            count,
            indices: channels && (tf.reshape(tf.slice(channels, [image, first], [1, count]), [count]) as tf.Tensor1D),
          }),
        );
        const grown = tf.concat([scores, chunk]);
        tf.dispose([scores, chunk]);
        scores = grown;
        const done = image * scored + first + count;
        inputs.progress(done, total);
        if (done < total) yield* pause();
      }
    }
    return { scores: tf.reshape(scores, [n, scored]), channels };
  } catch (err) {
    channels?.dispose();
    throw err;
  } finally {
    scores.dispose();
  }
}

/** int32 `[N,k]`: each image's k channels of largest spatial variance, largest first (on the device, no read-back). */
export function topVarianceChannels(activations: tf.Tensor4D, k: number): tf.Tensor2D {
  return tf.tidy(() => topKIndices(tf.moments(activations, [1, 2]).variance as tf.Tensor2D, k));
}

/** The chunk's channels of image `image`'s activations `[1,h,w,C]` → `[1,h,w,count]`. */
export function chunkChannels(activations: tf.Tensor4D, image: number, chunk: ChannelChunk): tf.Tensor4D {
  const [, h, w, c] = activations.shape;
  if (chunk.indices === undefined) return tf.slice(activations, [image, 0, 0, chunk.first], [1, h, w, chunk.count]);
  return tf.gather(tf.slice(activations, [image, 0, 0, 0], [1, h, w, c]), chunk.indices, 3);
}

/** The chunk's channel numbers, int32 `[count]`. */
export function chunkChannelNumbers(chunk: ChannelChunk): tf.Tensor1D {
  return chunk.indices === undefined ? tf.range(chunk.first, chunk.first + chunk.count, 1, 'int32') : tf.clone(chunk.indices);
}

/**
 * Weights `[N,C]` from the weights of the scored channels `[N,C']`: each put at its channel's
 * place, 0 elsewhere. Without `channels` (every channel scored), the weights themselves.
 */
export function spreadOverChannels(weights: tf.Tensor2D, channels: tf.Tensor2D | undefined, c: number): tf.Tensor2D {
  if (channels === undefined) return weights;
  return tf.tidy(() => {
    const [n, k] = weights.shape;
    // [N,1,C'] × one-hot [N,C',C] → [N,1,C]: exact, since each row of the one-hot has one 1.
    const oneHot = tf.cast(tf.oneHot(channels, Math.max(c, 2)), 'float32');
    const placed = tf.matMul(tf.reshape(weights, [n, 1, k]), tf.slice(oneHot, [0, 0, 0], [n, k, c]));
    return tf.reshape(placed, [n, c]) as tf.Tensor2D;
  });
}
