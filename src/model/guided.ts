import * as tf from '@tensorflow/tfjs-core';
import type { SymbolicTensor } from '@tensorflow/tfjs-layers';
import { GradCamError } from '../errors';
import {
  type ApplyLayer,
  type Layer,
  type Values,
  applyLayer,
  callsInOrder,
  isContainer,
  runCall,
  valueOf,
} from './graph';
import { activationName, applyForScores, callWithoutActivation } from './score';

/**
 * Guided backpropagation (Springenberg et al., 2015, "Striving for simplicity: the all
 * convolutional net") runs the model as usual but changes the backward pass of every ReLU:
 * the gradient passes only where the ReLU's input was positive (as in plain backprop) *and*
 * the gradient arriving from above is positive. Only evidence *for* the class flows back.
 *
 * This module runs a whole model with our own graph executor, in inference mode, with every
 * rectifier guided:
 *
 * - a layer whose last step is a `'relu'` or `'relu6'` activation (Dense, Conv1D/2D/3D, the
 *   transposed convolutions, DepthwiseConv2D, SeparableConv2D) runs without its activation on a
 *   prototype-linked view (see {@link callWithoutActivation}), then through the guided
 *   rectifier;
 * - an `Activation('relu')` / `Activation('relu6')` layer and a `ReLU` layer (with or without
 *   `maxValue`) become the guided rectifier;
 * - nested models are run the same way, recursively;
 * - the model's final softmax is dropped, as for Grad-CAM: the score is the class logit.
 *
 * Capped rectifiers (`'relu6'`, `ReLU({maxValue})`) are guided too: the gradient passes where
 * 0 < x < cap and the incoming gradient is positive. pytorch-grad-cam replaces only
 * `torch.nn.ReLU` modules (a `ReLU6` keeps its plain gradient there), so on models with capped
 * rectifiers this library's guided backprop differs from theirs by design.
 *
 * Any other layer with a `'relu'`/`'relu6'` activation (e.g. a recurrent layer, where the
 * activation is not the last step) cannot be guided and is refused. Other activations (ELU,
 * LeakyReLU, sigmoid…) keep their plain gradient, as in pytorch-grad-cam.
 */

/** Layers whose `call` ends with `this.activation.apply(...)`, so that it can be split off. */
const ACTIVATION_LAST = new Set([
  'Dense',
  'Conv1D',
  'Conv2D',
  'Conv3D',
  'Conv2DTranspose',
  'Conv3DTranspose',
  'DepthwiseConv2D',
  'SeparableConv2D',
]);

/** How a layer rectifies, if it does: `fused` when the rectifier ends a linear layer. */
interface Rectifier {
  readonly fused: boolean;
  /** The upper clip (6 for relu6), or undefined for a plain ReLU. */
  readonly cap: number | undefined;
}

/** A graph to run with guided rectifiers: a LayersModel or a nested model. */
export interface GuidedGraph {
  readonly name: string;
  readonly inputs: readonly SymbolicTensor[];
  readonly outputs: readonly SymbolicTensor[];
}

/**
 * The rectifier a layer applies, or undefined when it has none.
 *
 * @throws GradCamError `UNSUPPORTED_MODEL` when the layer has a relu activation that is not its
 *   last step.
 */
function rectifierOf(layer: Layer): Rectifier | undefined {
  const kind = layer.getClassName();
  if (kind === 'ReLU') {
    const maxValue = (layer.getConfig() as { maxValue?: unknown }).maxValue;
    return { fused: false, cap: typeof maxValue === 'number' ? maxValue : undefined };
  }
  const activation = activationName(layer);
  if (activation !== 'relu' && activation !== 'relu6') return undefined;
  const cap = activation === 'relu6' ? 6 : undefined;
  if (kind === 'Activation') return { fused: false, cap };
  if (ACTIVATION_LAST.has(kind)) return { fused: true, cap };
  throw new GradCamError(
    'UNSUPPORTED_MODEL',
    `Layer "${layer.name}" (${kind}) uses a ${activation} activation that is not its last step, so guided ` +
      'backpropagation cannot guide it. Supported rectifiers: ReLU and Activation layers, and the relu/relu6 ' +
      `activation of ${[...ACTIVATION_LAST].join(', ')}.`,
  );
}

/**
 * The guided rectifier: forward `min(max(x, 0), cap)` (a ReLU when `cap` is undefined);
 * backward `dy` where `0 < x < cap` and `dy > 0`, zero elsewhere.
 */
export function guidedRectifier(cap?: number): (x: tf.Tensor) => tf.Tensor {
  const rectify = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const x = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    save([x]);
    return {
      value: cap === undefined ? tf.relu(x) : tf.clipByValue(x, 0, cap),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const input = saved[0];
          let pass = tf.logicalAnd(tf.greater(input, 0), tf.greater(dy, 0));
          if (cap !== undefined) pass = tf.logicalAnd(pass, tf.less(input, cap));
          return tf.where(pass, dy, tf.zerosLike(dy));
        }),
    };
  });
  return (x) => rectify(x);
}

/** Applies one layer with its rectifier (if any) guided; nested models recurse. */
const applyGuided: ApplyLayer = (layer, inputs) => {
  if (isContainer(layer)) return runGuided(layer, inputs);
  const rectifier = rectifierOf(layer);
  if (rectifier === undefined) return applyLayer(layer, inputs);
  const pre = rectifier.fused ? callWithoutActivation(layer, inputs)[0] : inputs[0];
  return [guidedRectifier(rectifier.cap)(pre)];
};

/** Applies the layer that produces the scores: like {@link applyGuided}, without a final softmax. */
function applyGuidedForScores(layer: Layer, inputs: tf.Tensor[], output: number): tf.Tensor[] {
  if (isContainer(layer)) return runGuided(layer, inputs, layer.outputs[output]);
  // A rectifying layer has no softmax to drop; anything else is scored as for Grad-CAM.
  if (rectifierOf(layer) !== undefined) return applyGuided(layer, inputs);
  return applyForScores(layer, inputs);
}

/**
 * Runs `graph` on concrete inputs with every rectifier guided; the call that produces
 * `scoresOf` (if any) yields pre-softmax scores. Run it inside a gradient function or
 * `tf.tidy`: intermediate tensors are left to the enclosing scope.
 */
export function runGuided(graph: GuidedGraph, feeds: readonly tf.Tensor[], scoresOf?: SymbolicTensor): tf.Tensor[] {
  const values: Values = new Map(graph.inputs.map((s, i) => [s, feeds[i]] as const));
  for (const call of callsInOrder(graph.outputs)) {
    const at = scoresOf === undefined ? -1 : call.outputs.indexOf(scoresOf);
    runCall(call, values, at < 0 ? applyGuided : (layer, xs) => applyGuidedForScores(layer, xs, at));
  }
  return graph.outputs.map((s) => valueOf(values, s));
}

/**
 * The model's pre-softmax output for `input`, computed with every rectifier guided, so that
 * its gradient w.r.t. the input is the guided backpropagation. For a single-output model.
 */
export function guidedLogits(model: GuidedGraph, input: tf.Tensor): tf.Tensor {
  return runGuided(model, [input], model.outputs[0])[0];
}

/**
 * Checks, before running anything, that every rectifier of `graph` (nested models included)
 * can be guided.
 *
 * @throws GradCamError `UNSUPPORTED_MODEL` naming the first layer that cannot.
 */
export function assertGuidable(graph: GuidedGraph): void {
  for (const call of callsInOrder(graph.outputs)) {
    if (isContainer(call.layer)) assertGuidable(call.layer);
    else rectifierOf(call.layer);
  }
}
