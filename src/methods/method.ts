import type * as tf from '@tensorflow/tfjs-core';

/**
 * A CAM method that weighs channels: given activations `A` and gradients `G` (both
 * `[N,h,w,C]`), one weight per image and channel `[N,C]`. The shared pipeline turns them into
 * `ReLU(Σ_c w_c·A_c)` and a heatmap.
 */
export interface ChannelWeightMethod {
  readonly name: string;
  channelWeights(activations: tf.Tensor4D, gradients: tf.Tensor4D): tf.Tensor2D;
}
