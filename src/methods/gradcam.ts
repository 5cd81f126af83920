import { poolWeights } from '../core/pool';
import type { ChannelWeightMethod } from './method';

/** Grad-CAM (Selvaraju et al. 2017): each channel weighs the spatial mean of its gradient. */
export const gradCamMethod: ChannelWeightMethod = {
  name: 'gradcam',
  channelWeights: (_activations, gradients) => poolWeights(gradients),
};
