import { firstComponentProjection } from '../core/projection';
import type { CamMethod } from './method';

/**
 * EigenCAM (Muhammad & Yeasin 2020): the activations' projection on their first principal
 * component — no gradients, no class. The map is returned before ReLU (the pipeline applies
 * it); its sign follows the rule of {@link firstComponentProjection}.
 */
export const eigenCam: CamMethod = {
  name: 'eigencam',
  needsGradients: false,
  compute: (inputs) => ({ map: firstComponentProjection(inputs.activations) }),
};
