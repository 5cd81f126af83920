import * as tf from '@tensorflow/tfjs-core';
import { type CamMethod, gradientsOf } from './method';

/**
 * LayerCAM (Jiang et al. 2021): each activation weighed by its own positive gradient,
 * `Σ_c relu(g)·A` — sharper maps, and meaningful at early layers too.
 */
export const layerCam: CamMethod = {
  name: 'layercam',
  needsGradients: true,
  compute: (inputs) => ({
    contributions: tf.tidy(() => tf.mul(tf.relu(gradientsOf(inputs, 'layercam')), inputs.activations) as tf.Tensor4D),
  }),
};
