import * as tf from '@tensorflow/tfjs-core';
import { firstComponentProjection } from '../core/projection';
import { type CamMethod, gradientsOf } from './method';

/**
 * EigenGradCAM: EigenCAM applied to `g·A` (gradients times activations) instead of `A`, which
 * makes the map class-specific. Returned before ReLU, like EigenCAM.
 */
export const eigenGradCam: CamMethod = {
  name: 'eigengradcam',
  needsGradients: true,
  compute: (inputs) => ({
    map: tf.tidy(() =>
      firstComponentProjection(tf.mul(gradientsOf(inputs, 'eigengradcam'), inputs.activations) as tf.Tensor4D),
    ),
  }),
};
