import * as tf from '@tensorflow/tfjs-core';

/**
 * Test-time augmentations for `augSmooth`, the ones pytorch-grad-cam uses through ttach:
 * horizontal flip × brightness 0.9/1/1.1. A map computed on an augmented image is mapped back
 * onto the original by undoing the flip (brightness does not move pixels).
 */
export interface Augmentation {
  readonly identity: boolean;
  /** `[N,H,W,C]` images → augmented copies (a new tensor). */
  apply(images: tf.Tensor4D): tf.Tensor4D;
  /** `[N,h,w]` map of an augmented copy → the same map on the original image's grid. */
  invertMap(map: tf.Tensor3D): tf.Tensor3D;
}

/** Reverses the width axis of `[N,H,W]` or `[N,H,W,C]`. */
function flipWidth<T extends tf.Tensor>(t: T): T {
  return tf.reverse(t, 2) as T;
}

function augmentation(flip: boolean, brightness: number): Augmentation {
  return {
    identity: !flip && brightness === 1,
    apply: (images) =>
      tf.tidy(() => {
        const brighter = brightness === 1 ? tf.clone(images) : (tf.mul(images, brightness) as tf.Tensor4D);
        return flip ? flipWidth(brighter) : brighter;
      }),
    invertMap: (map) => (flip ? flipWidth(map) : tf.clone(map)),
  };
}

export const AUGMENTATIONS: readonly Augmentation[] = [false, true].flatMap((flip) =>
  [1, 0.9, 1.1].map((brightness) => augmentation(flip, brightness)),
);
