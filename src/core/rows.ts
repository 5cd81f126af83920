import * as tf from '@tensorflow/tfjs-core';

/**
 * Rows `rows[0], rows[1], …` of `t` (along the batch axis), as a new tensor. The common pattern
 * of several classes per image — `[0…n−1]` repeated k times — is k copies concatenated, which
 * every backend does fast; anything else is a `gather` (whose wasm kernel checks each index in
 * JavaScript, slowly).
 */
export function selectRows<T extends tf.Tensor>(t: T, rows: readonly number[]): T {
  const n = t.shape[0];
  const repeats = rows.length / n;
  if (Number.isInteger(repeats) && rows.every((r, i) => r === i % n)) {
    // concat of copies, not tf.tile: wasm's Tile kernel is ~10× slower than a copy.
    return (repeats === 1 ? tf.clone(t) : tf.concat(new Array<T>(repeats).fill(t))) as T;
  }
  return tf.tidy(() => tf.gather(t, tf.tensor1d(rows as number[], 'int32')) as T);
}
