import * as tf from '@tensorflow/tfjs-core';
import { GradCamError, formatShape } from '../errors';
import { type Graph, type GraphModelLike, type GraphNode, dominates, graphOf, nodesBetween, scoreNodeOf } from './graph-model';
import { runGraph } from './graph-run';

/** A node whose output is a feature map `[N,h,w,C]`. */
export interface FeatureMapNode {
  readonly name: string;
  /** `[null,h,w,C]` (h, w null when the model takes any image size). */
  readonly shape: ReadonlyArray<number | null>;
}

/** What Grad-CAM needs to know about a GraphModel, found once per model. */
export interface GraphFacts {
  readonly graph: Graph;
  /** The input node. */
  readonly input: string;
  /** The output node. */
  readonly output: string;
  /** The tensor of pre-softmax scores: the Softmax's input, or `output`. */
  readonly scores: string;
  /** The nodes from the input to the output, in execution order. */
  readonly order: readonly GraphNode[];
  /** `[null,H,W,C]`. */
  readonly inputShape: ReadonlyArray<number | null>;
  /** `[null,...]`. */
  readonly outputShape: ReadonlyArray<number | null>;
  readonly numClasses: number | undefined;
  /** Feature-map nodes with a spatial size above 1×1, in execution order (the output left out). */
  readonly candidates: readonly FeatureMapNode[];
  /** Every rank-4 float node's shape, by name. */
  readonly featureMaps: ReadonlyMap<string, ReadonlyArray<number | null>>;
}

/** Image size used to run a model that takes any size once, to learn its nodes' shapes. */
const PROBE_SIZE = 224;

const known = new WeakMap<GraphModelLike, GraphFacts>();

/**
 * Learns a GraphModel's input, output, score tensor and feature-map nodes. Node shapes come from
 * one run of the graph on a blank image (a graph stores no shapes for its inner nodes); the
 * result is remembered per model, which is never changed.
 *
 * @throws GradCamError `UNSUPPORTED_MODEL` for several inputs or outputs, a non-image input or a
 *   graph that does not run.
 */
export function graphFacts(model: GraphModelLike): GraphFacts {
  const cached = known.get(model);
  if (cached !== undefined) return cached;
  const graph = graphOf(model);
  if (graph.inputs.length !== 1 || graph.outputs.length !== 1) {
    const names = (nodes: readonly GraphNode[]): string => nodes.map((n) => n.name).join(', ');
    throw new GradCamError(
      'UNSUPPORTED_MODEL',
      `This GraphModel has ${graph.inputs.length} inputs (${names(graph.inputs)}) and ${graph.outputs.length} outputs ` +
        `(${names(graph.outputs)}); tfjs-gradcam supports graphs with one image input [N,H,W,C] and one output.`,
    );
  }
  const input = graph.inputs[0].name;
  const output = graph.outputs[0].name;
  const declared = model.inputs[0]?.shape;
  if (declared !== undefined && declared.length !== 4) {
    throw new GradCamError(
      'UNSUPPORTED_MODEL',
      `This GraphModel takes input ${formatShape(declared.map((d) => (d < 0 ? null : d)))}; tfjs-gradcam needs images [N,H,W,C].`,
    );
  }
  const inputShape = [null, ...[1, 2, 3].map((i) => (declared === undefined || declared[i] < 0 ? null : declared[i]))];
  const order = nodesBetween(graph, input, output);
  const shapes = probeShapes(model, input, inputShape, order);
  const anySize = inputShape[1] === null || inputShape[2] === null;
  const featureMaps = new Map<string, Array<number | null>>();
  for (const [name, { shape, dtype }] of shapes) {
    if (shape.length === 4 && dtype === 'float32') featureMaps.set(name, [null, anySize ? null : shape[1], anySize ? null : shape[2], shape[3]]);
  }
  const candidates = order
    .filter((n) => n.name !== output && shapes.get(n.name)?.dtype === 'float32')
    .filter((n) => {
      const shape = shapes.get(n.name)?.shape ?? [];
      return shape.length === 4 && shape[1] * shape[2] > 1;
    })
    .map((n) => ({ name: n.name, shape: featureMaps.get(n.name) as Array<number | null> }));
  const outShape = shapes.get(output)?.shape ?? [];
  const facts: GraphFacts = {
    graph,
    input,
    output,
    scores: scoreNodeOf(graph, output),
    order,
    inputShape,
    outputShape: [null, ...outShape.slice(1)],
    numClasses: outShape.length === 2 ? outShape[1] : undefined,
    candidates,
    featureMaps,
  };
  known.set(model, facts);
  return facts;
}

/** Runs the graph once on a blank image `[1,H,W,C]` and returns each node's output shape and dtype. */
function probeShapes(
  model: GraphModelLike,
  input: string,
  inputShape: ReadonlyArray<number | null>,
  order: readonly GraphNode[],
): Map<string, { shape: number[]; dtype: string }> {
  const names = order.filter((n) => n.name !== input && n.op !== 'Const').map((n) => n.name);
  const size = inputShape.slice(1).map((d, i) => d ?? (i === 2 ? 3 : PROBE_SIZE));
  const dtype = model.inputs[0]?.dtype === 'int32' ? 'int32' : 'float32';
  const blank = tf.zeros([1, ...size], dtype);
  try {
    const outs = runGraph(model, { [input]: blank }, names);
    const shapes = new Map(names.map((name, i) => [name, { shape: outs[i].shape, dtype: outs[i].dtype as string }] as const));
    tf.dispose(outs);
    return shapes;
  } finally {
    blank.dispose();
  }
}

/**
 * The target node: `name` when given (it must be a feature map on the way from the input to the
 * output), else the last feature-map node with a spatial size above 1×1 that every path to
 * the output passes through. Chosen by what the tensor is, not by its name: the converter may
 * rename or reorder ops (VGG16's `Relu(MaxPool(x))`).
 *
 * @throws GradCamError `UNKNOWN_LAYER`, `NOT_A_FEATURE_MAP` or `NO_FEATURE_MAP_LAYER`.
 */
export function resolveTargetNode(facts: GraphFacts, name?: string): string {
  if (name === undefined) {
    const found = [...facts.candidates].reverse().find((c) => dominates(facts.order, facts.input, facts.output, c.name));
    if (found === undefined) {
      throw new GradCamError(
        'NO_FEATURE_MAP_LAYER',
        'No node of this GraphModel outputs a 4-D feature map [N,h,w,C] with a spatial size above 1×1 on the way ' +
          'to its output, so there is nothing to build a class activation map from. Grad-CAM needs a convolutional model.',
      );
    }
    return found.name;
  }
  if (facts.graph.nodes[name] === undefined) {
    throw new GradCamError('UNKNOWN_LAYER', `No node named "${name}" in this GraphModel. ${describeCandidates(facts, name)}`);
  }
  if (name === facts.input || !facts.order.some((n) => n.name === name)) {
    throw new GradCamError(
      'UNKNOWN_LAYER',
      `Node "${name}" is not on the way from the model's input to its output. ${describeCandidates(facts, name)}`,
    );
  }
  const shape = facts.featureMaps.get(name);
  if (shape === undefined) {
    throw new GradCamError(
      'NOT_A_FEATURE_MAP',
      `Node "${name}" does not output a float feature map [N,h,w,C]; Grad-CAM needs one, such as a convolution ` +
        'or its activation. Omit layerName to pick the last one, or see featureMapLayers(model).',
    );
  }
  return name;
}

/** The candidate target nodes, those whose name contains `name`'s last part first, for error messages. */
function describeCandidates(facts: GraphFacts, name: string): string {
  const shown = 30;
  if (facts.candidates.length === 0) return 'It has no node with a spatial feature-map output.';
  const part = name.split('/').filter((p) => p !== '').slice(-2)[0] ?? name;
  const related = facts.candidates.filter((c) => c.name.includes(part));
  const list = (related.length > 0 ? related : facts.candidates).slice(-shown);
  const lines = list.map((c) => `  ${c.name} ${formatShape(c.shape)}`);
  const title = related.length > 0 ? `Feature-map nodes whose name contains "${part}"` : 'Feature-map nodes (the last ones)';
  return `${title} — the converter names a fused node after its last op, e.g. ".../block5_conv3/Relu":\n${lines.join('\n')}`;
}
