import * as tf from '@tensorflow/tfjs-core';
import { GradCamError, type GradCamErrorCode } from '../../src';

/**
 * Runs `fn`, expects it to throw a GradCamError with `code` (and a message matching `pattern`),
 * and checks that no tensor was left behind by the failed call.
 */
export function expectGradCamError(fn: () => unknown, code: GradCamErrorCode, pattern?: RegExp): GradCamError {
  const before = tf.memory().numTensors;
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(GradCamError);
  const err = caught as GradCamError;
  expect(err.code).toBe(code);
  expect(err.name).toBe('GradCamError');
  if (pattern) expect(err.message).toMatch(pattern);
  expect(tf.memory().numTensors).toBe(before);
  return err;
}
