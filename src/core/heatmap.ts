import * as tf from '@tensorflow/tfjs-core';
import { normalize } from './normalize';
import { bilinearResize } from './resize';

/**
 * The post-processing every CAM method shares: normalize at feature resolution, resize to the
 * image size, normalize again — `normalize(bilinearResize(normalize(cam), size))`. This is
 * pytorch-grad-cam's order; the second normalization matters, since bilinear interpolation
 * lowers the peak.
 *
 * @param cam `[N,h,w]` maps (≥ 0).
 * @param size `[H, W]`.
 * @returns `[N,H,W]` heatmaps in [0, 1].
 */
export function camToHeatmap(cam: tf.Tensor3D, size: readonly [number, number]): tf.Tensor3D {
  return tf.tidy(() => normalize(bilinearResize(normalize(cam), size)));
}
