import * as tf from '@tensorflow/tfjs-core';
import { type CamMethod, gradientsOf } from './method';

/**
 * HiResCAM (Draelos & Carin 2020): the element-wise product `g·A` summed over channels, without
 * averaging the gradients first — provably faithful to the model for a GAP-free head.
 */
export const hiResCam: CamMethod = {
  name: 'hirescam',
  needsGradients: true,
  compute: (inputs) => ({ contributions: tf.mul(gradientsOf(inputs, 'hirescam'), inputs.activations) as tf.Tensor4D }),
};
