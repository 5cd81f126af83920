import type * as tf from '@tensorflow/tfjs-core';
import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs-layers';

/** A tfjs-layers layer (the library only needs what every layer has). */
export type Layer = LayersModel['layers'][number];

/** A layer that is itself a model (functional or sequential), used as a layer. */
export type Container = Layer & { layers: Layer[]; inputs: SymbolicTensor[]; outputs: SymbolicTensor[] };

/** One application of a layer in a graph (a tfjs-layers "node"). */
export interface LayerCall {
  readonly layer: Layer;
  readonly inputs: readonly SymbolicTensor[];
  readonly outputs: readonly SymbolicTensor[];
}

/** The concrete tensor computed for each symbolic tensor of a graph. */
export type Values = Map<SymbolicTensor, tf.Tensor>;

/** Duck-typed so that models built by another copy of tfjs-layers are still recognized. */
export function isContainer(layer: Layer): layer is Container {
  const l = layer as Partial<Container>;
  return Array.isArray(l.layers) && Array.isArray(l.inputs) && Array.isArray(l.outputs);
}

/**
 * The layer calls that compute `outputs`, in an order where every call comes after the calls
 * that feed it. Input layers are left out: their tensors are fed.
 *
 * Walks the graph from the outputs through each symbolic tensor's node, so it sees exactly the
 * graph of this model even when its layers are also used elsewhere.
 */
export function callsInOrder(outputs: readonly SymbolicTensor[]): LayerCall[] {
  const order: LayerCall[] = [];
  const seen = new Set<object>();
  const visit = (t: SymbolicTensor): void => {
    const node = t.sourceLayer.inboundNodes[t.nodeIndex];
    if (seen.has(node)) return;
    seen.add(node);
    if (node.inboundLayers.length === 0) return; // an input layer
    node.inputTensors.forEach(visit);
    order.push({ layer: node.outboundLayer, inputs: node.inputTensors, outputs: node.outputTensors });
  };
  outputs.forEach(visit);
  return order;
}

/** Applies one call to the values of its inputs, in inference mode, and records its outputs. */
export function runCall(call: LayerCall, values: Values, apply: ApplyLayer = applyLayer): void {
  const outputs = apply(call.layer, call.inputs.map((s) => valueOf(values, s)));
  call.outputs.forEach((s, i) => values.set(s, outputs[i]));
}

/** How a call is evaluated: normally `layer.apply`, but the scoring call may differ. */
export type ApplyLayer = (layer: Layer, inputs: tf.Tensor[]) => tf.Tensor[];

/** `layer.apply` on concrete tensors with `training: false` — what `model.predict` does. */
export function applyLayer(layer: Layer, inputs: tf.Tensor[]): tf.Tensor[] {
  const out = layer.apply(inputs.length === 1 ? inputs[0] : inputs, { training: false });
  return (Array.isArray(out) ? out : [out]) as tf.Tensor[];
}

export function valueOf(values: Values, s: SymbolicTensor): tf.Tensor {
  const v = values.get(s);
  if (v === undefined) throw new Error(`tfjs-gradcam internal error: no value for ${s.name}`);
  return v;
}
