import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { type GraphModel, loadGraphModelSync } from '@tensorflow/tfjs-converter';
import { type ExplainableModel, GradCam } from '../../src';
import { loadLayersModelFromFile } from '../../src/node';

/** Small Keras CNNs converted both ways, with keras.io Grad-CAM numbers (scripts/fixtures/graph/). */
export const GRAPH_FIXTURE_DIR = path.resolve(process.cwd(), 'test/fixtures/graph');
export const GRAPH_NETS = ['vgg', 'residual', 'mobilenetv2'] as const;
export type GraphNet = (typeof GRAPH_NETS)[number];

interface ArrayJson {
  shape: number[];
  data: number[];
}

/** reference.json: what the generator computed in Python for each net. */
export interface GraphReference {
  input_size: number;
  /** The layer the keras.io recipe explains (the LayersModel's automatic target). */
  keras_io_layer: string;
  /** `[3,S,S,3]` */
  images: ArrayJson;
  /** `[3,10]` the Keras model's softmax output. */
  probabilities: ArrayJson;
  /** Per image: the top class, its logits, the layer's activations and the recipe's map. */
  keras_io: Array<{ class: number; logits: ArrayJson; activations: ArrayJson; raw: ArrayJson; heatmap: ArrayJson }>;
}

let reference: Record<string, GraphReference> | undefined;

export function graphReference(net: GraphNet): GraphReference {
  reference ??= (JSON.parse(fs.readFileSync(path.join(GRAPH_FIXTURE_DIR, 'reference.json'), 'utf8')) as { nets: Record<string, GraphReference> }).nets;
  return reference[net];
}

/** The net's tfjs_graph_model, loaded from its files (model.json and the weight shards in manifest order). */
export function loadGraphFixture(net: GraphNet): GraphModel<tf.io.IOHandlerSync> {
  return loadGraphDir(path.join(GRAPH_FIXTURE_DIR, net, 'graph'));
}

/** A tfjs_graph_model from a folder: its model.json and the weight shards in manifest order. */
export function loadGraphDir(dir: string): GraphModel<tf.io.IOHandlerSync> {
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
  const shards = json.weightsManifest.flatMap((group) => group.paths.map((p) => fs.readFileSync(path.join(dir, p))));
  const weights = Buffer.concat(shards);
  return loadGraphModelSync([json, weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer]);
}

/** The same net's tfjs_layers_model. */
export function loadLayersFixture(net: GraphNet): Promise<LayersModel> {
  return loadLayersModelFromFile(path.join(GRAPH_FIXTURE_DIR, net, 'layers', 'model.json'));
}

export function tensorOf(a: ArrayJson): tf.Tensor {
  return tf.tensor(a.data, a.shape);
}

/**
 * Expects `model` (a GraphModel of the net, loaded some other way) to explain the net's images
 * exactly as the fixture loaded by `loadGraphModelSync` does: the same classes, the same cam.
 * Leaves no tensor behind.
 */
export function expectExplainsAsFixture(model: ExplainableModel, net: GraphNet): void {
  const before = tf.memory().numTensors;
  const reference = loadGraphFixture(net);
  const images = tensorOf(graphReference(net).images) as tf.Tensor4D;
  const explainers = [new GradCam(model), new GradCam(reference)];
  const [ours, theirs] = explainers.map((gc) => gc.explain(images));
  expect(ours.classIndex).toEqual(theirs.classIndex);
  expect(Array.from(ours.cam.dataSync())).toEqual(Array.from(theirs.cam.dataSync()));
  [ours, theirs, ...explainers, images, reference].forEach((x) => x.dispose());
  expect(tf.memory().numTensors).toBe(before);
}
