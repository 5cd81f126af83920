import * as tf from '@tensorflow/tfjs-core';
import { ensureCorrectMaxPoolGrad } from '../backends/max-pool-grad';
import { GradCamError, formatShape } from '../errors';
import { assertRank } from './assert';
import { type ClassIndex, classIndexPerImage } from './class-index';

/**
 * The part of a model after the target layer: maps activations `[N,h,w,C]` to pre-softmax
 * class scores `[N,K]`. It must treat images independently (inference mode), as a model's
 * `predict` does.
 */
export type ScoreHead = (activations: tf.Tensor4D) => tf.Tensor2D;

/** What {@link gradientsForClass} returns; the caller owns (and disposes) the tensors. */
export interface ClassGradients {
  /** `[N,h,w,C]`: ∂(image n's class score)/∂(image n's activations). */
  gradients: tf.Tensor4D;
  /** `[N]`: each image's score for its class. */
  scores: tf.Tensor1D;
  /** `[N]` int32: the class each image was explained for. */
  classIndex: tf.Tensor1D;
}

/**
 * Step 1 of Grad-CAM: the gradient of each image's class score with respect to its own
 * activations, in one backward pass through `head`.
 *
 * The per-image scores are picked with a one-hot mask (no `gather`, whose gradient some
 * backends lack) and summed; since the head treats images independently, the gradient of that
 * sum w.r.t. image n's activations is exactly the gradient of image n's own score.
 *
 * @param head maps activations `[N,h,w,C]` to pre-softmax scores `[N,K]`.
 * @param activations `[N,h,w,C]` target-layer activations.
 * @param classIndex one class for all images, one per image, or omitted for each image's
 *   top-scoring class.
 */
export function gradientsForClass(
  head: ScoreHead,
  activations: tf.Tensor4D,
  classIndex?: ClassIndex,
): ClassGradients {
  assertRank(activations, 4, 'activations', '[N,h,w,C]');
  const batch = activations.shape[0];
  const requested = classIndex === undefined ? undefined : classIndexPerImage(classIndex, batch);
  let chosen: tf.Tensor1D | undefined;

  const selectedScores = (a: tf.Tensor4D): tf.Tensor1D => {
    const scores = head(a);
    if (scores.rank !== 2 || scores.shape[0] !== batch) {
      throw new GradCamError(
        'UNSUPPORTED_MODEL',
        `the head must return class scores [N,K] with N=${batch}, got ${formatShape(scores.shape)}.`,
      );
    }
    const numClasses = scores.shape[1];
    const cls =
      requested === undefined
        ? (tf.cast(tf.argMax(scores, 1), 'int32') as tf.Tensor1D)
        : tf.tensor1d(classIndexPerImage(requested, batch, numClasses), 'int32');
    chosen = tf.keep(cls);
    // oneHot's own dtype argument is ignored by the wasm kernel (it writes int32 data), so cast.
    const mask = tf.cast(tf.oneHot(cls, numClasses), 'float32');
    return tf.sum(tf.mul(scores, mask), 1) as tf.Tensor1D;
  };

  ensureCorrectMaxPoolGrad();
  const seed = tf.ones([batch]) as tf.Tensor1D;
  try {
    const { value, grad } = tf.valueAndGrad(selectedScores)(activations, seed);
    return { gradients: grad, scores: value, classIndex: chosen as tf.Tensor1D };
  } catch (err) {
    chosen?.dispose();
    throw err;
  } finally {
    seed.dispose();
  }
}
