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

/** Element-wise |actual − expected| ≤ tol; on failure, lists the elements that differ. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  const bad = Array.from(expected)
    .map((e, i) => ({ i, actual: actual[i], expected: e }))
    .filter(({ actual: a, expected: e }) => !(Math.abs(a - e) <= tol));
  expect(bad).toEqual([]);
}

/**
 * Awaits `promise`, expects it to reject with a GradCamError with `code` and a message matching
 * `pattern`, and checks that no tensor was left behind meanwhile.
 */
export async function expectGradCamRejection(promise: Promise<unknown>, code: GradCamErrorCode, pattern: RegExp): Promise<void> {
  const before = tf.memory().numTensors;
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GradCamError);
  expect((err as GradCamError).code).toBe(code);
  expect((err as GradCamError).message).toMatch(pattern);
  expect(tf.memory().numTensors).toBe(before);
}

/** Awaits `call`, which must reject with a GradCamError and leave no tensor behind; returns the error. */
export async function rejectionWithoutLeak(call: () => Promise<unknown>): Promise<GradCamError> {
  const before = tf.memory().numTensors;
  const err = await call().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(GradCamError);
  expect(tf.memory().numTensors).toBe(before);
  return err as GradCamError;
}
