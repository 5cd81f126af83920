import type * as tf from '@tensorflow/tfjs-core';
import { GradCamError } from '../errors';
import { type GraphModelLike, graphOf, isGraphModel } from '../model/graph-model';
import { isObject } from './json';
import { checkWeightBytes } from './weight-manifest';

/**
 * Builds a GraphModel from an IOHandler: pass tfjs-converter's `loadGraphModel` (also exported
 * by `@tensorflow/tfjs` as `tf.loadGraphModel`). tfjs-gradcam takes it from you so that its
 * main entry never imports the optional tfjs-converter.
 */
export type GraphModelLoader<G extends GraphModelLike = GraphModelLike> = (handler: tf.io.IOHandler) => Promise<G>;

/** What to pass for a graph-format model, said in every error about a missing loader. */
export const GRAPH_LOADER_HINT =
  'pass the loadGraphModel function of @tensorflow/tfjs-converter: loadModel(source, { loadGraphModel }) ' +
  '(with @tensorflow/tfjs: loadModel(source, { loadGraphModel: tf.loadGraphModel }))';

/**
 * Makes a GraphModel of artifacts already read (and, for files and URLs, confined to the model's
 * folder). Checked first, so that the loader cannot fail half-way with tensors made: the weight
 * bytes must be exactly what the manifest declares, and a dry run of the loader on the topology
 * without weights must succeed (it refuses ops the converter does not know before any weight
 * becomes a tensor).
 *
 * @throws GradCamError `BAD_INPUT` for artifacts that are not a readable graph; `UNSUPPORTED_MODEL`
 *   when the loader does not give a GraphModel. Nothing is left allocated on failure.
 */
export async function buildGraphModel<G extends GraphModelLike>(artifacts: tf.io.ModelArtifacts, loader: GraphModelLoader<G>): Promise<G> {
  const topology = artifacts.modelTopology;
  if (!isObject(topology) || !Array.isArray(topology.node) || !isObject(topology.versions)) {
    throw new GradCamError('BAD_INPUT', 'Cannot load the model: its graph-model topology has no "node" list or no "versions"; it is not a tensorflowjs_converter graph model.');
  }
  checkWeightBytes(artifacts.weightSpecs ?? [], [byteLengthOf(artifacts.weightData)], Number.MAX_SAFE_INTEGER, 'of format graph-model');
  const skeleton = await runLoader({ ...artifacts, weightSpecs: [], weightData: new ArrayBuffer(0) }, loader);
  disposeModel(skeleton);
  const model = await runLoader(artifacts, loader);
  try {
    graphOf(model);
  } catch (err) {
    disposeModel(model);
    throw err;
  }
  return model;
}

async function runLoader<G extends GraphModelLike>(artifacts: tf.io.ModelArtifacts, loader: GraphModelLoader<G>): Promise<G> {
  let model: unknown;
  try {
    model = await loader({ load: async () => artifacts });
  } catch (err) {
    if (err instanceof GradCamError) throw err;
    throw new GradCamError('BAD_INPUT', `Cannot load the model: loadGraphModel failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isGraphModel(model)) {
    disposeModel(model);
    throw new GradCamError('UNSUPPORTED_MODEL', `Cannot load the model: the loadGraphModel given did not return a GraphModel; ${GRAPH_LOADER_HINT}.`);
  }
  return model as G;
}

function disposeModel(model: unknown): void {
  const dispose = (model as { dispose?: unknown } | null)?.dispose;
  if (typeof dispose === 'function') dispose.call(model);
}

function byteLengthOf(data: tf.io.ModelArtifacts['weightData']): number {
  if (data === undefined) return 0;
  return Array.isArray(data) ? data.reduce((a, b) => a + b.byteLength, 0) : data.byteLength;
}

/** A GraphModel as a loader returns it: what `GradCam` uses, and `predict` and `dispose`. */
export interface LoadedGraphModel extends GraphModelLike {
  /** Runs the graph on `[N,H,W,C]` images; a classifier gives `[N,K]`. */
  predict(inputs: tf.Tensor | tf.Tensor[] | tf.NamedTensorMap): tf.Tensor | tf.Tensor[] | tf.NamedTensorMap;
  /** The graph's outputs' shapes (`-1` for unknown sizes). */
  readonly outputs: ReadonlyArray<{ readonly name: string; readonly shape?: number[]; readonly dtype: string }>;
  /** Frees the model's weights. */
  dispose(): void;
}
