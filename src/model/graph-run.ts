import * as tf from '@tensorflow/tfjs-core';
import { GradCamError } from '../errors';
import type { GraphModelLike } from './graph-model';

/**
 * `model.execute(feeds, outputs)` as a list of tensors, with a GraphModel's own failures turned
 * into a `GradCamError` that says what to do.
 *
 * @throws GradCamError `UNSUPPORTED_MODEL` when the graph does not run (control flow, an op the
 *   backend lacks, …).
 */
export function runGraph(model: GraphModelLike, feeds: tf.NamedTensorMap, outputs: string[]): tf.Tensor[] {
  try {
    const out = model.execute(feeds, outputs);
    return Array.isArray(out) ? out : [out];
  } catch (err) {
    if (err instanceof GradCamError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new GradCamError('UNSUPPORTED_MODEL', `The GraphModel does not run on the ${tf.getBackend()} backend: ${message}${hintFor(message)}`);
  }
}

function hintFor(message: string): string {
  if (/dynamic op|executeAsync/.test(message)) {
    return ' — the graph has control flow, which only model.executeAsync runs; tfjs-gradcam needs a graph that model.execute runs.';
  }
  if (/rank-1 bias/.test(message)) {
    return ' — a fused convolution carries a bias of rank 4 (Keras 3 exports); the cpu backend runs it.';
  }
  return '';
}
