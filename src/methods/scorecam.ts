import * as tf from '@tensorflow/tfjs-core';
import { channelScoringMethod, chunkChannels } from './channel-chunks';
import type { CamMethod } from './method';

/** pytorch-grad-cam's constant in the per-channel min-max normalisation of the masks. */
const EPSILON = 1e-8;

/**
 * Score-CAM (Wang et al. 2020), as pytorch-grad-cam computes it: each channel, upsampled to the
 * image size (bilinear, align corners, as torch's `UpsamplingBilinear2d`) and min-max normalised
 * to [0, 1] (`(U − min)/(max − min + 1e-8)`), masks the image; the target score of each masked
 * image is a forward pass of the whole model; the weights are the softmax of these scores over
 * the channels of each image.
 *
 * Costs N·C forward passes, `inputs.batchSize` masked images at a time; `inputs.progress`
 * counts them. Only one chunk's masks and masked images exist at any time. With
 * `inputs.maxChannels` (Faster-ScoreCAM, tf-keras-vis's `max_N`), only each image's channels of
 * largest spatial variance mask it, and the softmax runs over those (the others weigh 0).
 */
export const scoreCam: CamMethod = channelScoringMethod({
  name: 'scorecam',
  scoreChunk: (inputs, image, chunk) => {
    const [, height, width, inChannels] = inputs.images.shape;
    // Upsampling is per channel, so upsampling a chunk of channels gives the same masks as
    // upsampling them all, without holding C full-size masks.
    const upsampled = tf.image.resizeBilinear(chunkChannels(inputs.activations, image, chunk), [height, width], true, false);
    const lo = tf.min(upsampled, [1, 2], true);
    const hi = tf.max(upsampled, [1, 2], true);
    const masks = tf.div(tf.sub(upsampled, lo), tf.add(tf.sub(hi, lo), EPSILON));
    // [1,H,W,B] → [B,H,W,1]: one mask per variant, broadcast over the image's channels.
    const perVariant = tf.transpose(masks, [3, 1, 2, 0]);
    const x = tf.slice(inputs.images, [image, 0, 0, 0], [1, height, width, inChannels]);
    return inputs.scoreImages(image, tf.mul(x, perVariant) as tf.Tensor4D);
  },
  weights: (_inputs, scores) => tf.softmax(scores),
});
