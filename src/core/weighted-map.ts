import * as tf from '@tensorflow/tfjs-core';
import { GradCamError, formatShape } from '../errors';
import { assertRank } from './assert';

/**
 * Step 3 of Grad-CAM: `ReLU(Σ_c w_c · A_c)` per image (eq. 2 of the paper) — a sum over
 * channels, not a mean, so the map's scale matches pytorch-grad-cam's.
 *
 * @param activations `[N,h,w,C]` feature maps of the target layer.
 * @param weights `[N,C]` channel weights (e.g. from {@link poolWeights}).
 * @returns `[N,h,w]` class activation maps, ≥ 0, not normalized.
 */
export function weightedActivationMap(activations: tf.Tensor4D, weights: tf.Tensor2D): tf.Tensor3D {
  assertRank(activations, 4, 'activations', '[N,h,w,C]');
  assertRank(weights, 2, 'weights', '[N,C]');
  const [n, , , c] = activations.shape;
  if (weights.shape[0] !== n || weights.shape[1] !== c) {
    throw new GradCamError(
      'SHAPE_MISMATCH',
      `weights ${formatShape(weights.shape)} do not fit activations ${formatShape(activations.shape)}: ` +
        `expected [${n},${c}] (one weight per image and channel).`,
    );
  }
  return tf.tidy(() => {
    const perPixel = tf.mul(activations, tf.reshape(weights, [n, 1, 1, c]));
    return tf.relu(tf.sum(perPixel, 3)) as tf.Tensor3D;
  });
}
