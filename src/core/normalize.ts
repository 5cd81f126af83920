import * as tf from '@tensorflow/tfjs-core';
import { assertRank } from './assert';

/** Keeps a constant map at zero instead of 0/0; the value pytorch-grad-cam uses. */
const EPSILON = 1e-7;

/**
 * Min-max scales each map to [0, 1]: `(m − min m) / (max m − min m + 1e-7)`, per image.
 * A constant map becomes all zeros, never NaN.
 *
 * @param maps `[N,h,w]`.
 * @returns `[N,h,w]` in [0, 1].
 */
export function normalize(maps: tf.Tensor3D): tf.Tensor3D {
  assertRank(maps, 3, 'maps', '[N,h,w]');
  return tf.tidy(() => {
    const shifted = tf.sub(maps, tf.min(maps, [1, 2], true));
    return tf.div(shifted, tf.add(tf.max(shifted, [1, 2], true), EPSILON)) as tf.Tensor3D;
  });
}
