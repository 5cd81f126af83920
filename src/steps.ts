import type * as tf from '@tensorflow/tfjs-core';

/**
 * One pipeline, two ways to run it. A public call is written once as a generator of {@link Step}s;
 * {@link runSync} answers a read with `dataSync()`, {@link runAsync} with `await data()` and
 * hands the event loop back at each pause. Everything else — the tensor work, the checks, the
 * bookkeeping — is the same code.
 *
 * A generator never yields inside `tf.tidy`: a suspended call must not leave a scope open, or
 * another call (or the page) would create its tensors in it.
 */
export type Step = { readonly kind: 'read'; readonly tensor: tf.Tensor } | { readonly kind: 'pause' };

/** What a read step is answered with (the pipeline reads numeric tensors only). */
export type ReadValues = tf.TypedArray;

/** A computation that stops at reads and pauses and returns `T`. */
export type Steps<T> = Generator<Step, T, ReadValues | undefined>;

/** Reads a tensor's values: the one place a pipeline leaves the device. */
export function* readValues(tensor: tf.Tensor): Steps<ReadValues> {
  return (yield { kind: 'read', tensor }) as ReadValues;
}

/** A point between two long pieces of work (e.g. ScoreCAM's chunks) where an async run lets the page run. */
export function* pause(): Steps<void> {
  yield { kind: 'pause' };
}

/** Runs the steps to the end at once: reads with `dataSync()`, pauses are no-ops. */
export function runSync<T>(steps: Steps<T>): T {
  let next = steps.next();
  while (!next.done) {
    const step = next.value;
    let value: ReadValues | undefined;
    try {
      value = step.kind === 'read' ? (step.tensor.dataSync() as ReadValues) : undefined;
    } catch (err) {
      next = steps.throw(err); // lets the generator's `finally` blocks free what they own
      continue;
    }
    next = steps.next(value);
  }
  return next.value;
}

/**
 * Runs the steps without ever blocking on the device: reads with `await data()`, and each pause
 * waits for a macrotask, so the page can handle input and paint between chunks. Starts after a
 * microtask, outside any `tf.tidy` of the caller (which would otherwise dispose the tensors the
 * first steps create); every error, validation included, rejects the promise.
 */
export async function runAsync<T>(start: () => Steps<T>): Promise<T> {
  await Promise.resolve();
  const steps = start();
  let next = steps.next();
  while (!next.done) {
    const step = next.value;
    let value: ReadValues | undefined;
    try {
      value = step.kind === 'read' ? ((await step.tensor.data()) as ReadValues) : await nextTask();
    } catch (err) {
      next = steps.throw(err);
      continue;
    }
    next = steps.next(value);
  }
  return next.value;
}

/** Resolves in a later macrotask. */
function nextTask(): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), 0));
}
