import * as tf from '@tensorflow/tfjs-core';
import { GradCamError } from '../errors';
import { assertRank } from './assert';

/**
 * Step 4 of Grad-CAM: bilinear resize of each map to `[H, W]` with half-pixel centres and
 * edge clamping — the convention of OpenCV's `INTER_LINEAR` and Keras, so heatmaps match
 * pytorch-grad-cam's (tfjs's default flags shift the map by half a cell).
 *
 * @param maps `[N,h,w]`.
 * @param size `[H, W]`, the output size (usually the input image's).
 * @returns `[N,H,W]`.
 * @throws GradCamError `SHAPE_MISMATCH` unless `maps` is 3-D; `BAD_OPTION` for a bad size.
 */
export function bilinearResize(maps: tf.Tensor3D, size: readonly [number, number]): tf.Tensor3D {
  assertRank(maps, 3, 'maps', '[N,h,w]');
  const [height, width]: readonly unknown[] = Array.isArray(size) ? size : [];
  if (!Array.isArray(size) || size.length !== 2 || !isPositiveInt(height) || !isPositiveInt(width)) {
    throw new GradCamError('BAD_OPTION', `size must be [H, W] with positive integers, got ${Array.isArray(size) ? `[${size.join(', ')}]` : String(size)}.`);
  }
  return tf.tidy(() => {
    const channelsLast = tf.expandDims(maps, 3) as tf.Tensor4D;
    const resized = tf.image.resizeBilinear(channelsLast, [height, width], false, true);
    return tf.squeeze(resized, [3]) as tf.Tensor3D;
  });
}

function isPositiveInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x > 0;
}
