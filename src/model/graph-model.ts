import type * as tf from '@tensorflow/tfjs-core';
import { GradCamError } from '../errors';

/**
 * What tfjs-gradcam uses of a `GraphModel` from `@tensorflow/tfjs-converter` (a model converted
 * from a TensorFlow SavedModel, TF Hub or Kaggle). Any `tf.GraphModel` has this shape; the
 * library never imports tfjs-converter itself.
 */
export interface GraphModelLike {
  /** Runs the graph: feeds by node name (any node, not only inputs), outputs by node name. */
  execute(inputs: tf.Tensor | tf.Tensor[] | tf.NamedTensorMap, outputs?: string | string[]): tf.Tensor | tf.Tensor[];
  /** The graph's input nodes. */
  readonly inputNodes: string[];
  /** The graph's output nodes. */
  readonly outputNodes: string[];
  /** The inputs' shapes (`-1` for unknown sizes) and dtypes. */
  readonly inputs: ReadonlyArray<{ readonly name: string; readonly shape?: number[]; readonly dtype: string }>;
  /** The graph's constants (its weights) by node name; the live tensors. */
  readonly weights: { readonly [name: string]: tf.Tensor[] };
}

/** A node of the converter's parsed graph (the fields read here). */
export interface GraphNode {
  readonly name: string;
  readonly op: string;
  /** Input tensor names, `node` or `node:k` for a node's k-th output. */
  readonly inputNames: readonly string[];
  readonly inputs: readonly GraphNode[];
  readonly children: readonly GraphNode[];
  readonly attrParams: { readonly [name: string]: { readonly value?: unknown } | undefined };
}

/** The converter's parsed graph. */
export interface Graph {
  readonly nodes: { readonly [name: string]: GraphNode };
  readonly inputs: readonly GraphNode[];
  readonly outputs: readonly GraphNode[];
}

/** Whether `model` is a tfjs-converter `GraphModel` (told by its shape: a LayersModel has `layers`). */
export function isGraphModel(model: unknown): model is GraphModelLike {
  if (typeof model !== 'object' || model === null || 'layers' in model) return false;
  const m = model as Partial<GraphModelLike>;
  return typeof m.execute === 'function' && Array.isArray(m.inputNodes) && Array.isArray(m.outputNodes);
}

/**
 * The parsed graph a GraphModel executes. tfjs-converter keeps it on its (private) executor;
 * it is only read here.
 *
 * @throws GradCamError `UNSUPPORTED_MODEL` when the model is not loaded or the converter
 *   version keeps its graph elsewhere.
 */
export function graphOf(model: GraphModelLike): Graph {
  const graph = (model as unknown as { executor?: { graph?: Partial<Graph> } }).executor?.graph;
  if (graph === undefined || typeof graph.nodes !== 'object' || !Array.isArray(graph.outputs) || !Array.isArray(graph.inputs)) {
    throw new GradCamError(
      'UNSUPPORTED_MODEL',
      'Cannot read the graph of this GraphModel: load it with tf.loadGraphModel first (tfjs-converter 4.x).',
    );
  }
  return graph as Graph;
}

/** `node:k` → `node` (the converter names a node's k-th output `node:k`). */
export function nodeNameOf(tensorName: string): string {
  return tensorName.replace(/:\d+$/, '');
}

/** Whether a tensor name is its node's first output (`node` or `node:0`): the one a feed by node name gives. */
export function isFirstOutput(tensorName: string): boolean {
  return !/:[1-9]\d*$/.test(tensorName);
}

/** Input tensor names of a node, control dependencies (`^node`) left out. */
export function dataInputs(node: GraphNode): string[] {
  return node.inputNames.filter((n) => !n.startsWith('^'));
}

/**
 * The nodes on the way from `input` to `output`, in an execution order: every node that
 * depends on the input and that the output depends on, each after its inputs.
 */
export function nodesBetween(graph: Graph, input: string, output: string): GraphNode[] {
  const fromInput = new Set<string>();
  const stack = [input];
  while (stack.length > 0) {
    const name = stack.pop() as string;
    if (fromInput.has(name)) continue;
    fromInput.add(name);
    for (const child of graph.nodes[name]?.children ?? []) stack.push(child.name);
  }
  // Depth-first post-order from the output: each node after all its inputs.
  const order: GraphNode[] = [];
  const seen = new Set<string>();
  const visit = (root: string): void => {
    const todo: Array<{ name: string; expanded: boolean }> = [{ name: root, expanded: false }];
    while (todo.length > 0) {
      const top = todo.pop() as { name: string; expanded: boolean };
      const node = graph.nodes[top.name];
      if (node === undefined || !fromInput.has(top.name)) continue;
      if (top.expanded) {
        order.push(node);
        continue;
      }
      if (seen.has(top.name)) continue;
      seen.add(top.name);
      todo.push({ name: top.name, expanded: true });
      const inputs = dataInputs(node).map(nodeNameOf);
      for (let i = inputs.length - 1; i >= 0; i--) if (!seen.has(inputs[i])) todo.push({ name: inputs[i], expanded: false });
    }
  };
  visit(output);
  return order;
}

/** The nodes of `order` that depend on `start` (itself excluded), in the same order. */
export function downstreamOf(order: readonly GraphNode[], start: string): GraphNode[] {
  const reached = new Set([start]);
  const out: GraphNode[] = [];
  for (const node of order) {
    if (node.name !== start && dataInputs(node).some((i) => reached.has(nodeNameOf(i)))) {
      reached.add(node.name);
      out.push(node);
    }
  }
  return out;
}

/** Whether every path from `input` to `output` in `order` passes through `node`. */
export function dominates(order: readonly GraphNode[], input: string, output: string, node: string): boolean {
  if (node === input || node === output) return true;
  const reached = new Set([input]);
  for (const n of order) {
    if (n.name !== node && n.name !== input && dataInputs(n).some((i) => reached.has(nodeNameOf(i)))) reached.add(n.name);
  }
  return !reached.has(output);
}

/**
 * The tensors a head starting at `start` reads from the rest of the graph: inputs of the
 * downstream `head` nodes that depend on the image (`order` holds exactly those) but not on
 * `start`. Constants are left out — the model supplies them itself.
 */
export function skipInputs(order: readonly GraphNode[], head: readonly GraphNode[], start: string): string[] {
  const imageDependent = new Set(order.map((n) => n.name));
  const inHead = new Set([start, ...head.map((n) => n.name)]);
  const found = new Set<string>();
  for (const node of head) {
    for (const input of dataInputs(node)) {
      const name = nodeNameOf(input);
      if (!inHead.has(name) && imageDependent.has(name)) found.add(input);
    }
  }
  return [...found];
}

/**
 * The node whose output is the pre-activation score: the input of a `Softmax` (or `Sigmoid`, a
 * binary model's) that produces the output (through `Identity` nodes), as for LayersModels; the
 * output itself when there is none.
 */
export function scoreNodeOf(graph: Graph, output: string): string {
  let name = output;
  for (;;) {
    const node = graph.nodes[name];
    if (node === undefined) return output;
    const inputs = dataInputs(node);
    if (node.op === 'Identity' && inputs.length === 1) {
      name = nodeNameOf(inputs[0]);
      continue;
    }
    return (node.op === 'Softmax' || node.op === 'Sigmoid') && inputs.length === 1 ? inputs[0] : output;
  }
}
