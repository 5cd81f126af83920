/**
 * The browser-safe half of the parity fixtures: their types, and the network built from one.
 * Nothing here touches node:fs or node:path, so the example's test page (Vite, in Chromium)
 * imports it too; fixtures.ts reads the files in Node and re-exports all of this.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CamMethodName } from '../../src';
import * as tfl from '@tensorflow/tfjs-layers';

export interface FlatArray {
  shape: number[];
  data: number[];
}
interface LayerSpec {
  name: string;
  inputs: string[];
  type: string;
  config: Record<string, unknown>;
}
export interface ParityCase {
  image: number;
  class: number;
  class_role: string;
  score: number;
  gradients: FlatArray;
  gradcam_weights: number[];
  gradcam_raw: FlatArray;
  raw_maps: Record<string, FlatArray>;
  heatmaps: Record<string, FlatArray>;
}
export interface Fixture {
  name: string;
  model: { kind: string; input: { name: string; shape: number[] }; output: string; layers: LayerSpec[] };
  weights: Record<string, Array<{ name: string; shape: number[]; data: number[] }>>;
  images: Array<{ tensor: FlatArray; torch_logits: number[]; argmax: number; second: number }>;
  targets: Array<{ layer: string; activations: FlatArray[]; cases: ParityCase[] }>;
}

type LayerFactory = (config: Record<string, unknown>) => tfl.layers.Layer;

/** Builds the fixture's network with tfjs-layers (sequential or functional, as the fixture says). */
export function buildFixtureModel(fx: Fixture): tfl.LayersModel {
  const factories = tfl.layers as unknown as Record<string, LayerFactory>;
  const make = (spec: LayerSpec): tfl.layers.Layer => factories[spec.type]({ ...spec.config, name: spec.name });
  const specs = fx.model.layers;
  let model: tfl.LayersModel;
  if (fx.model.kind === 'sequential') {
    const inputLayer = tfl.layers.inputLayer({ inputShape: fx.model.input.shape, name: fx.model.input.name });
    model = tfl.sequential({ layers: [inputLayer, ...specs.map(make)] });
  } else {
    const tensors = new Map<string, tfl.SymbolicTensor>();
    tensors.set(fx.model.input.name, tfl.input({ shape: fx.model.input.shape, name: fx.model.input.name }));
    for (const spec of specs) {
      const ins = spec.inputs.map((n) => tensors.get(n) as tfl.SymbolicTensor);
      tensors.set(spec.name, make(spec).apply(ins.length === 1 ? ins[0] : ins) as tfl.SymbolicTensor);
    }
    model = tfl.model({ inputs: tensors.get(fx.model.input.name) as tfl.SymbolicTensor, outputs: tensors.get(fx.model.output) as tfl.SymbolicTensor });
  }
  for (const [layerName, weights] of Object.entries(fx.weights)) {
    const values = weights.map((w) => tf.tensor(w.data, w.shape));
    model.getLayer(layerName).setWeights(values);
    tf.dispose(values);
  }
  return model;
}

export function toTensor(a: FlatArray): tf.Tensor {
  return tf.tensor(a.data, a.shape);
}

/** The method names the fixtures' heatmaps are stored under (pytorch-grad-cam's) → the library's. */
export const FIXTURE_METHODS: Readonly<Record<string, CamMethodName>> = {
  GradCAM: 'gradcam',
  HiResCAM: 'hirescam',
  GradCAMPlusPlus: 'gradcam++',
  XGradCAM: 'xgradcam',
  LayerCAM: 'layercam',
  EigenCAM: 'eigencam',
  ScoreCAM: 'scorecam',
};
