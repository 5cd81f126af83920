import * as tf from '@tensorflow/tfjs-core';
import { type Graph, type GraphModelLike, type GraphNode, dataInputs, isFirstOutput, nodeNameOf } from './graph-model';

/**
 * Two ops of a GraphModel's head that the library computes itself, with the same kernels as
 * the graph (the same values), to spare an executor run each and, for the pooling, tfjs's
 * gradient, which builds a `ones` array of the feature map's size in JavaScript and copies it
 * to the device on every call.
 */

/**
 * The tensor a node averages over its spatial axes: a `Mean` over axes 1 and 2 of a rank-4
 * tensor, without keepDims (global average pooling, as converted from Keras), or undefined.
 */
export function pooledInputOf(model: GraphModelLike, node: GraphNode | undefined): string | undefined {
  if (node?.op !== 'Mean' || node.attrParams.keepDims?.value === true) return undefined;
  const [input, axes] = dataInputs(node);
  if (!isFirstOutput(input)) return undefined; // feeds hold a node's first output only
  const axesValue = axes === undefined ? undefined : model.weights[nodeNameOf(axes)]?.[0];
  if (axesValue === undefined || axesValue.rank > 1) return undefined;
  return [...axesValue.dataSync()].sort().join() === '1,2' ? input : undefined;
}

/**
 * `mean(x, [1,2])` of `[B,h,w,C]`, as the graph's `Mean` computes it, whose gradient is tfjs's
 * own values (`dy / (h·w)` at every position) built on the device.
 */
export function globalAveragePool(x: tf.Tensor4D): tf.Tensor2D {
  const [batch, height, width, channels] = x.shape;
  const pool = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({
    value: tf.mean(args[0] as tf.Tensor4D, [1, 2]),
    // tfjs: (dy · ones) / (h·w); here 0 + dy / (h·w): the same float32 values.
    gradFunc: (dy: tf.Tensor) =>
      tf.tidy(() => tf.add(tf.fill([batch, height, width, channels], 0), tf.reshape(tf.div(dy, height * width), [batch, 1, 1, channels]))),
  }));
  return pool(x) as tf.Tensor2D;
}

/** The output as an activation of the scores: `output = op(scores)`, through `Identity` nodes. */
export interface FinalActivation {
  readonly output: string;
  readonly scores: string;
  readonly op: 'Softmax' | 'Sigmoid';
}

/** The graph's final softmax or sigmoid over `scores`, when `output` is exactly that; else undefined. */
export function finalActivationOf(graph: Graph, output: string, scores: string): FinalActivation | undefined {
  let node = graph.nodes[nodeNameOf(output)];
  while (node?.op === 'Identity' && dataInputs(node).length === 1) node = graph.nodes[nodeNameOf(dataInputs(node)[0])];
  if (node === undefined || (node.op !== 'Softmax' && node.op !== 'Sigmoid')) return undefined;
  const inputs = dataInputs(node);
  return inputs.length === 1 && nodeNameOf(inputs[0]) === nodeNameOf(scores) ? { output, scores, op: node.op } : undefined;
}

/** Applies a {@link FinalActivation} to the scores. */
export function applyFinalActivation(final: FinalActivation, scores: tf.Tensor): tf.Tensor {
  return final.op === 'Softmax' ? tf.softmax(scores) : tf.sigmoid(scores);
}
