/**
 * The models the metrics accept, reduced to one thing: a function from images `[B,H,W,C]` to
 * pre-softmax class scores `[B,K]`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { GradCamError, formatShape } from '../errors';
import { type GraphModelLike as ExplainableGraph, graphOf, nodeNameOf, scoreNodeOf } from '../model/graph-model';
import type { Container } from '../model/graph';
import { toInputBatch } from '../model/input';
import { runGraph } from '../model/score';
import { type ModelSplit, splitModel } from '../model/split-model';

/** A classifier as a function: images `[B,H,W,C]` → class logits `[B,K]` (before any softmax). */
export type ClassifierFunction = (images: tf.Tensor4D) => tf.Tensor2D;

/**
 * A tfjs-converter `GraphModel` (or anything shaped like one), recognised by its methods so that
 * this package never imports tfjs-converter.
 */
export interface GraphModelLike {
  execute(inputs: tf.Tensor, outputs?: string | string[]): tf.Tensor | tf.Tensor[];
  readonly outputNodes: string[];
}

/**
 * What the metrics score: a `LayersModel`, a `GraphModel`, or a {@link ClassifierFunction}.
 * Scores are taken before the model's final softmax (LayersModel: the softmax activation of
 * the output layer, or a Softmax layer; GraphModel: a final `Softmax` or `Sigmoid` node, as
 * GradCam scores it) and, with
 * `score: 'probability'`, passed through a softmax.
 */
export type MetricModel = LayersModel | GraphModelLike | ClassifierFunction;

function isLayersModel(model: object): model is LayersModel {
  return Array.isArray((model as { layers?: unknown }).layers) && typeof (model as { getLayer?: unknown }).getLayer === 'function';
}

function isGraphModel(model: object): model is GraphModelLike {
  return typeof (model as { execute?: unknown }).execute === 'function' && Array.isArray((model as { outputNodes?: unknown }).outputNodes);
}

/**
 * Turns any accepted model into a logits function (the caller owns what it returns).
 *
 * @throws GradCamError `UNSUPPORTED_MODEL` for anything else.
 */
export function logitsOf(model: MetricModel): ClassifierFunction {
  if (typeof model === 'function') return (x) => model(x);
  if (typeof model === 'object' && model !== null && isLayersModel(model)) {
    // The split's head runs the layers after the last feature map without the final softmax.
    const split = splitOrNone(model);
    if (split === undefined) return wholeModelScores(model);
    return (x) => {
      const pass = split.forward(x);
      try {
        return pass.head(pass.activations);
      } finally {
        pass.dispose();
      }
    };
  }
  if (typeof model === 'object' && model !== null && isGraphModel(model)) {
    // The score node GradCam differentiates: before a final Softmax or Sigmoid, through the
    // Identity nodes the converter puts after it.
    const graph = graphOf(model as unknown as ExplainableGraph);
    const node = scoreNodeOf(graph, graph.outputs[0]?.name ?? nodeNameOf(model.outputNodes[0]));
    return (x) => model.execute(x, node) as tf.Tensor2D;
  }
  throw new GradCamError(
    'UNSUPPORTED_MODEL',
    'model must be a tf.LayersModel, a GraphModel, or a function (images [N,H,W,C]) => logits [N,K].',
  );
}

/** The model cut at its last feature map, or undefined for a one-input, one-output model that has none. */
function splitOrNone(model: LayersModel): ModelSplit | undefined {
  try {
    return splitModel(model);
  } catch (err) {
    const noFeatureMap = err instanceof GradCamError && err.code === 'NO_FEATURE_MAP_LAYER';
    if (noFeatureMap && model.inputs.length === 1 && model.outputs.length === 1) return undefined;
    throw err;
  }
}

/**
 * A classifier with no feature map (Flatten + Dense on pixels, maps pooled to 1×1): scores need
 * none, so the whole model runs, its final softmax (or sigmoid) left out as GradCam leaves it.
 */
function wholeModelScores(model: LayersModel): ClassifierFunction {
  return (x) =>
    tf.tidy(() => {
      const batch = toInputBatch(x, model.inputs[0].shape);
      return runGraph(model as unknown as Container, [batch], model.outputs[0])[0] as tf.Tensor2D;
    });
}

/** Checks a model's output for a batch of `batch` images: a tensor `[batch,K]`. */
export function checkLogits(logits: unknown, batch: number): asserts logits is tf.Tensor2D {
  if (!(logits instanceof tf.Tensor) || logits.rank !== 2 || logits.shape[0] !== batch) {
    const got = logits instanceof tf.Tensor ? formatShape(logits.shape) : typeof logits;
    throw new GradCamError(
      'UNSUPPORTED_MODEL',
      `the model must map ${batch} images to class scores [${batch},K], got ${got}.`,
    );
  }
}
