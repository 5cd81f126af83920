import type { CamMethod } from './method';

/**
 * CAM (Zhou et al. 2016), for models whose target layer feeds global average pooling and one
 * Dense layer: the Dense kernel's column for the class weighs the channels. No gradients; for
 * such models it equals Grad-CAM up to a constant factor.
 */
export const classActivationMap: CamMethod = {
  name: 'cam',
  needsGradients: false,
  compute: (inputs) => ({ weights: inputs.gapClassWeights() }),
};
