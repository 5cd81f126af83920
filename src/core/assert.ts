import type * as tf from '@tensorflow/tfjs-core';
import { GradCamError, formatShape } from '../errors';

/** Throws a `SHAPE_MISMATCH` GradCamError unless `t` has the given rank. */
export function assertRank(t: tf.Tensor, rank: number, what: string, layout: string): void {
  if (t.rank !== rank) {
    throw new GradCamError(
      'SHAPE_MISMATCH',
      `${what} must be a ${rank}-D tensor ${layout}, got shape ${formatShape(t.shape)}.`,
    );
  }
}
