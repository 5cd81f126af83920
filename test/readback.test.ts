import * as tf from '@tensorflow/tfjs-core';
import { readClassesAndScores } from '../src/readback';
import { type Steps, runAsync, runSync } from '../src/steps';
import { expectGradCamError } from './helpers/expect';

/**
 * The end-of-call read: classes and scores, and the finite checks, which sum each tensor (a
 * non-finite sum) and only then check values one by one, to tell NaN/∞ from finite values whose
 * sum leaves float32's range.
 */
const MAX = 3.4e38; // near float32's largest finite value: two of them sum to Infinity

function read(input: number[], result: number[], scores = [0.5, 2]): () => Steps<{ classIndex: number[]; scores: number[] }> {
  return function* () {
    const tensors = [tf.tensor1d(input), tf.tensor1d(result), tf.tensor1d(scores), tf.tensor1d([1, 0], 'int32')];
    try {
      return yield* readClassesAndScores(tensors[3] as tf.Tensor1D, tensors[2] as tf.Tensor1D, tensors[0], tensors[1], 'map');
    } finally {
      tf.dispose(tensors);
    }
  };
}

/** Runs the steps synchronously, counting the reads. */
function countingReads<T>(steps: Steps<T>): { value: T; reads: number } {
  let reads = 0;
  const counted = (function* () {
    let next = steps.next();
    while (!next.done) {
      if (next.value.kind === 'read') reads++;
      next = steps.next(yield next.value);
    }
    return next.value;
  })();
  return { value: runSync(counted), reads };
}

describe('readClassesAndScores', () => {
  it('returns classes and scores with one read when everything is finite', () => {
    const before = tf.memory().numTensors;
    const { value, reads } = countingReads(read([1, -2, 3], [0, 0.5, 1])());
    expect(value).toEqual({ classIndex: [1, 0], scores: [0.5, 2] });
    expect(reads).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('finite values whose sum overflows are not an error (a second, exact read tells)', () => {
    const before = tf.memory().numTensors;
    const { value, reads } = countingReads(read([MAX, MAX, -1], [MAX, MAX])());
    expect(value.scores).toEqual([0.5, 2]);
    expect(reads).toBe(2);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('NaN or ±Infinity in the input is NON_FINITE_INPUT, also when they cancel in a sum', () => {
    for (const input of [[1, NaN], [Infinity, 2], [-Infinity, 0], [Infinity, -Infinity], [MAX, MAX, NaN]]) {
      expectGradCamError(() => runSync(read(input, [0, 1])()), 'NON_FINITE_INPUT', /NaN or Infinity/);
    }
  });

  it('a non-finite result or score is NON_FINITE_RESULT, input overflow or not', () => {
    expectGradCamError(() => runSync(read([1, 2], [NaN, 1])()), 'NON_FINITE_RESULT', /non-finite score or map/);
    expectGradCamError(() => runSync(read([MAX, MAX], [0, Infinity])()), 'NON_FINITE_RESULT');
    expectGradCamError(() => runSync(read([1, 2], [0, 1], [NaN, 1])()), 'NON_FINITE_RESULT', /scores: NaN, 1/);
  });

  it('reads the same asynchronously, rejecting with the same errors', async () => {
    const before = tf.memory().numTensors;
    await expect(runAsync(read([MAX, MAX], [1, 2]))).resolves.toEqual({ classIndex: [1, 0], scores: [0.5, 2] });
    await expect(runAsync(read([Infinity, -Infinity], [1, 2]))).rejects.toMatchObject({ code: 'NON_FINITE_INPUT' });
    expect(tf.memory().numTensors).toBe(before);
  });
});
