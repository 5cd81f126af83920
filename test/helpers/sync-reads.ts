import * as tf from '@tensorflow/tfjs-core';

/** What {@link watchSyncReads} saw while a promise was pending. */
export interface Watched<T> {
  /** The value it resolved to, or undefined when it rejected. */
  readonly value?: T;
  /** What it rejected with. */
  readonly error?: unknown;
  /** One entry per synchronous read made between the call and its settling, e.g. `Tensor.dataSync`. */
  readonly syncReads: string[];
}

/**
 * Calls `start` and waits for its promise, counting every synchronous read from the device made
 * meanwhile: `Tensor.prototype.dataSync`, `arraySync` and `bufferSync`, and the engine's
 * `readSync`, which they go through. Restores them afterwards. (The cpu and wasm backends answer
 * `await data()` with their own `readSync`, so a backend's `readSync` is no sign of a blocking
 * read here; webgl's kernel-level reads, e.g. `topk` on short rows, are kept out by design.)
 */
export async function watchSyncReads<T>(start: () => Promise<T>): Promise<Watched<T>> {
  const syncReads: string[] = [];
  const restores: Array<() => void> = [];
  const wrap = (target: object, name: string, label: string): void => {
    const host = target as Record<string, unknown>;
    const original = host[name] as (...args: unknown[]) => unknown;
    const own = Object.prototype.hasOwnProperty.call(host, name);
    host[name] = function (this: unknown, ...args: unknown[]): unknown {
      syncReads.push(label);
      return original.apply(this, args);
    };
    restores.push(() => {
      if (own) host[name] = original;
      else delete host[name];
    });
  };
  for (const name of ['dataSync', 'arraySync', 'bufferSync']) wrap(tf.Tensor.prototype, name, `Tensor.${name}`);
  wrap(tf.engine(), 'readSync', 'engine.readSync');
  try {
    return { value: await start(), syncReads };
  } catch (error) {
    return { error, syncReads };
  } finally {
    for (const restore of restores.reverse()) restore();
  }
}
