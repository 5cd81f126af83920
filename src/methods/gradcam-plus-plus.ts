import * as tf from '@tensorflow/tfjs-core';
import { type CamMethod, gradientsOf } from './method';

/** pytorch-grad-cam's constant in the denominator of α. */
const EPSILON = 1e-6;

/**
 * Grad-CAM++ (Chattopadhyay et al. 2018): per-pixel coefficients
 * `α = g² / (2g² + Σ_hw(A)·g³ + 1e-6)` (0 where g = 0) weigh the positive gradients,
 * `w_c = Σ_hw relu(g)·α` — so that several instances of a class all count.
 */
export const gradCamPlusPlus: CamMethod = {
  name: 'gradcam++',
  needsGradients: true,
  compute: (inputs) => ({
    weights: tf.tidy(() => {
      const g = gradientsOf(inputs, 'gradcam++');
      const g2 = tf.square(g);
      const g3 = tf.mul(g2, g);
      const activationSums = tf.sum(inputs.activations, [1, 2], true);
      const alpha = tf.div(g2, tf.add(tf.add(tf.mul(g2, 2), tf.mul(activationSums, g3)), EPSILON));
      const alphaWhereGradient = tf.where(tf.notEqual(g, 0), alpha, tf.zerosLike(alpha));
      return tf.sum(tf.mul(tf.relu(g), alphaWhereGradient), [1, 2]) as tf.Tensor2D;
    }),
  }),
};
