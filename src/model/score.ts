import type * as tf from '@tensorflow/tfjs-core';
import type { SymbolicTensor } from '@tensorflow/tfjs-layers';
import {
  type Container,
  type Layer,
  type LayerCall,
  type Values,
  applyLayer,
  callsInOrder,
  isContainer,
  runCall,
  valueOf,
} from './graph';

/**
 * Grad-CAM differentiates the class score *before* the softmax: through a softmax every class
 * competes with every other, and the map of a confident class washes out. A final sigmoid (a
 * single-logit or multi-label model) is dropped by the same rule: it only saturates.
 */

/** The output activations dropped to get scores. */
const FINAL_ACTIVATIONS: readonly unknown[] = ['softmax', 'sigmoid'];

/** An activation that passes its input through, for computing a layer without its activation. */
const LINEAR = { apply: (x: tf.Tensor): tf.Tensor => x, getClassName: (): string => 'linear' };

/** The name of a layer's `activation` config (`'relu'`, `'softmax'`…), if it has one. */
export function activationName(layer: Layer): unknown {
  return (layer.getConfig() as { activation?: unknown }).activation;
}

/** Whether a layer's `activation` is a final one that scores leave out (softmax, sigmoid). */
export function hasFinalActivation(layer: Layer): boolean {
  return FINAL_ACTIVATIONS.includes(activationName(layer));
}

/** A layer that is only a final activation: a `Softmax` layer, or an `Activation('softmax'|'sigmoid')`. */
function isFinalActivationOnly(layer: Layer): boolean {
  return layer.getClassName() === 'Softmax' || (layer.getClassName() === 'Activation' && hasFinalActivation(layer));
}

/**
 * Evaluates a layer so that it yields pre-softmax scores: a softmax-only (or sigmoid-only) layer
 * passes its input through, a layer with a fused softmax (or sigmoid) runs without it, a nested model does the same for its
 * own output layer, and any other layer runs as usual.
 *
 * The fused case runs the layer's own `call` on a prototype-linked view of the layer whose
 * `activation` is linear: the view reads the live weights, and the user's layer is never
 * touched.
 */
export function applyForScores(layer: Layer, inputs: tf.Tensor[]): tf.Tensor[] {
  if (isContainer(layer)) return runGraph(layer, inputs, layer.outputs[0]);
  if (isFinalActivationOnly(layer)) return [inputs[0]];
  if (hasFinalActivation(layer)) return callWithoutActivation(layer, inputs);
  return applyLayer(layer, inputs);
}

/**
 * What {@link applyForScores} left out of the output `scored` (a symbolic tensor of the graph):
 * from the scores it computed for it, the output as `predict` gives it.
 */
export function finishScores(scored: SymbolicTensor, scores: tf.Tensor): tf.Tensor {
  const layer = scored.sourceLayer as Layer;
  if (isContainer(layer)) {
    // applyForScores scores a nested model's first output only.
    return (scored.outputTensorIndex ?? 0) === 0 ? finishScores(layer.outputs[0], scores) : scores;
  }
  if (isFinalActivationOnly(layer)) return applyLayer(layer, [scores])[0];
  if (hasFinalActivation(layer)) return (layer as unknown as { activation: { apply(x: tf.Tensor): tf.Tensor } }).activation.apply(scores);
  return scores;
}

/**
 * Runs a layer whose last step is its `activation` (Dense, the convolutions, `Activation`)
 * without that activation, in inference mode: the layer's own `call` runs on a
 * prototype-linked view whose `activation` is linear. The view reads the live weights; the
 * user's layer is never touched.
 */
export function callWithoutActivation(layer: Layer, inputs: tf.Tensor[]): tf.Tensor[] {
  const linearView = Object.create(layer) as Layer & { activation: unknown };
  linearView.activation = LINEAR;
  const out = linearView.call(inputs.length === 1 ? inputs[0] : inputs, { training: false });
  return Array.isArray(out) ? out : [out];
}

/**
 * Runs a whole nested model on concrete inputs; the call that produces `scoresOf` (if any)
 * yields pre-softmax scores.
 */
export function runGraph(container: Container, feeds: tf.Tensor[], scoresOf?: SymbolicTensor): tf.Tensor[] {
  const values: Values = new Map(container.inputs.map((s, i) => [s, feeds[i]] as const));
  runCalls(callsInOrder(container.outputs), values, scoresOf);
  return container.outputs.map((s) => valueOf(values, s));
}

/** Runs calls in order; the one that produces `scoresOf` (if any) yields pre-softmax scores. */
export function runCalls(calls: readonly LayerCall[], values: Values, scoresOf?: SymbolicTensor): void {
  for (const call of calls) {
    runCall(call, values, scoresOf !== undefined && call.outputs.includes(scoresOf) ? applyForScores : applyLayer);
  }
}
