import * as tf from '@tensorflow/tfjs-core';
import { type CamMethod, gradientsOf } from './method';

/** pytorch-grad-cam's constant in the denominator. */
const EPSILON = 1e-7;

/**
 * XGradCAM (Fu et al. 2020): gradients weighted by the normalized activations,
 * `w_c = Σ_hw g·A / (Σ_hw A + 1e-7)`.
 */
export const xGradCam: CamMethod = {
  name: 'xgradcam',
  needsGradients: true,
  compute: (inputs) => ({
    weights: tf.tidy(() => {
      const a = inputs.activations;
      const weighted = tf.sum(tf.mul(gradientsOf(inputs, 'xgradcam'), a), [1, 2]);
      return tf.div(weighted, tf.add(tf.sum(a, [1, 2]), EPSILON)) as tf.Tensor2D;
    }),
  }),
};
