import * as tf from '@tensorflow/tfjs-core';
import { assertRank } from './assert';

/**
 * Step 2 of Grad-CAM: one weight per channel, the spatial mean of the gradients
 * (`α_c = 1/(h·w) Σ_ij ∂y/∂A_ij^c`, eq. 1 of the paper).
 *
 * @param gradients `[N,h,w,C]`, from {@link gradientsForClass}.
 * @returns `[N,C]` channel weights.
 */
export function poolWeights(gradients: tf.Tensor4D): tf.Tensor2D {
  assertRank(gradients, 4, 'gradients', '[N,h,w,C]');
  return tf.mean(gradients, [1, 2]);
}
