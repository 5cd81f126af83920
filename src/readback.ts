import * as tf from '@tensorflow/tfjs-core';
import { GradCamError } from './errors';
import { type Steps, readValues } from './steps';

/**
 * The one read from the device at the end of a public call: each row's class (−1 when there
 * is none) and score, plus whether the input and the result are finite — checked here so that
 * bad numbers become an error instead of a NaN map. A step of the pipeline: `runSync` reads it
 * with `dataSync()`, `runAsync` with `await data()`.
 *
 * @param what names the result in the error message (e.g. `map at layer "conv5"`).
 * @throws GradCamError `NON_FINITE_INPUT` or `NON_FINITE_RESULT`.
 */
export function* readClassesAndScores(
  classes: tf.Tensor1D | undefined,
  scores: tf.Tensor1D,
  input: tf.Tensor,
  result: tf.Tensor,
  what: string,
): Steps<{ classIndex: number[]; scores: number[] }> {
  const rows = scores.shape[0];
  // A sum is finite only if every value is, and costs half of isFinite + all (wasm); a
  // non-finite sum may also be finite values past float32's range, which the exact check below
  // tells apart, on that rare path only.
  const summary = tf.tidy(() =>
    tf.concat([classes === undefined ? tf.fill([rows], -1) : tf.cast(classes, 'float32'), scores, tf.cast(tf.stack([tf.sum(input), tf.sum(result)]), 'float32')]),
  );
  let values: number[];
  try {
    values = Array.from(yield* readValues(summary));
  } finally {
    summary.dispose();
  }
  let [inputFinite, resultFinite] = [Number.isFinite(values[2 * rows]), Number.isFinite(values[2 * rows + 1])];
  if (!inputFinite || !resultFinite) [inputFinite, resultFinite] = yield* allFinite([input, result]);
  if (!inputFinite) {
    throw new GradCamError('NON_FINITE_INPUT', 'input contains NaN or Infinity; check the preprocessing.');
  }
  const scoreValues = values.slice(rows, 2 * rows);
  if (!resultFinite || !scoreValues.every(Number.isFinite)) {
    throw new GradCamError(
      'NON_FINITE_RESULT',
      `the model produced a non-finite score or ${what} (scores: ${scoreValues.join(', ')}); check its weights.`,
    );
  }
  return { classIndex: values.slice(0, rows), scores: scoreValues };
}

/** Whether each tensor's values are all finite (one read). */
export function* allFinite(tensors: readonly tf.Tensor[]): Steps<boolean[]> {
  const flags = tf.tidy(() => tf.cast(tf.stack(tensors.map((t) => tf.all(tf.isFinite(t)))), 'float32'));
  try {
    return Array.from(yield* readValues(flags), (v) => v === 1);
  } finally {
    flags.dispose();
  }
}
