import * as tf from '@tensorflow/tfjs-core';
import { GradCamError, formatShape } from '../errors';

/**
 * Throws a `BAD_INPUT` GradCamError unless `t` is a numeric tf.Tensor, so that a wrong argument
 * gets a message instead of a TypeError from deep inside tfjs.
 */
export function assertTensor(t: unknown, what: string, layout: string): asserts t is tf.Tensor {
  if (!(t instanceof tf.Tensor)) {
    const got = t === null ? 'null' : Array.isArray(t) ? 'an array' : typeof t;
    throw new GradCamError('BAD_INPUT', `${what} must be a tf.Tensor ${layout}, got ${got}.`);
  }
  if (t.dtype === 'string' || t.dtype === 'complex64') {
    throw new GradCamError('BAD_INPUT', `${what} must be a numeric tensor ${layout}, got dtype ${t.dtype}.`);
  }
}

/** Throws a `SHAPE_MISMATCH` GradCamError unless `t` has the given rank (`BAD_INPUT` unless it is a tensor). */
export function assertRank(t: tf.Tensor, rank: number, what: string, layout: string): void {
  assertTensor(t, what, layout);
  if (t.rank !== rank) {
    throw new GradCamError(
      'SHAPE_MISMATCH',
      `${what} must be a ${rank}-D tensor ${layout}, got shape ${formatShape(t.shape)}.`,
    );
  }
}
