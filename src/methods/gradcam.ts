import { poolWeights } from '../core/pool';
import { type CamMethod, gradientsOf } from './method';

/** Grad-CAM (Selvaraju et al. 2017): each channel weighs the spatial mean of its gradient. */
export const gradCam: CamMethod = {
  name: 'gradcam',
  needsGradients: true,
  compute: (inputs) => ({ weights: poolWeights(gradientsOf(inputs, 'gradcam')) }),
};
