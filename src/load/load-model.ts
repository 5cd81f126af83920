import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { GradCamError } from '../errors';
import type { GraphModelLike } from '../model/graph-model';
import { GRAPH_LOADER_HINT, type GraphModelLoader, buildGraphModel } from './graph-load';
import { resolveWeightUrl } from './url-policy';
import { fastWeightInitObjects } from './fast-weight-init';
import { type JsonObject, cloneJson, isObject } from './json';
import { registerKerasLayers } from './register';
import { repairModelConfig } from './repairs';
import { assertCallsReachable } from './unreachable-calls';
import { type LayerWeightNames, kerasWeightNames } from './weight-names';

/** Options of {@link loadModel}. */
export interface LoadModelOptions {
  /**
   * For a URL `source`: passed to `tf.io.http` (e.g. `requestInit` headers, `fetchFunc`). A
   * `weightUrlConverter` given here replaces the check below.
   */
  readonly http?: tf.io.LoadOptions;
  /**
   * For an http(s) URL `source`: let the model.json's weight paths point to another scheme, host
   * or port, or outside its folder (weights on a CDN). Default false: each weight path must be a
   * relative path inside the model.json's folder, or the load fails with a `GradCamError`
   * (`BAD_INPUT`) before anything else is fetched.
   */
  readonly allowExternalWeights?: boolean;
}

/** Options of {@link loadModel} that also load GraphModels. */
export interface LoadAnyModelOptions<G extends GraphModelLike = GraphModelLike> extends LoadModelOptions {
  /**
   * tfjs-converter's `loadGraphModel` (or `tf.loadGraphModel` of `@tensorflow/tfjs`): with it,
   * a graph-format model.json (`tensorflowjs_converter --output_format tfjs_graph_model`, TF Hub,
   * a SavedModel) loads as a GraphModel. tfjs-gradcam never imports the optional tfjs-converter
   * itself, so it takes the function from you.
   */
  readonly loadGraphModel: GraphModelLoader<G>;
}

/** A model's artifacts after the repairs, and the names of the repairs that changed them. */
export interface RepairedArtifacts {
  readonly artifacts: tf.io.ModelArtifacts;
  /** E.g. `['keras3InputShape', 'keras3DtypePolicy', …]`; empty when nothing needed repair. */
  readonly repairs: string[];
}

/**
 * Loads a model converted by tensorflowjs_converter (or saved by tfjs) and repairs on the way
 * what the converter writes from Keras 2 and Keras 3 models that tfjs-layers cannot read: Keras 3
 * topologies and weight names, `SeparableConv2D`'s extra fields, global pooling's `keepdims`,
 * grouped convolutions, and the layer classes Keras applications use that tfjs-layers lacks
 * (`Normalization`, `TFOpLambda`, `LayerScale`, `StochasticDepth`). Those classes are registered
 * with tfjs unless a class of the same name is registered already (yours stays).
 *
 * A graph-format model (`format: 'graph-model'`: converted from a SavedModel or TF Hub) loads as
 * a `GraphModel` when `options.loadGraphModel` is tfjs-converter's `loadGraphModel`, with the
 * same confinement of its weight files; its weight bytes must match its manifest.
 *
 * @param source A URL of `model.json` (http(s), or any scheme a tfjs IO handler is registered
 *   for, e.g. `indexeddb://`), or a `tf.io.IOHandler`. On disk in Node, use
 *   `loadModelFromFile` from `tfjs-gradcam/node`.
 * @param options See {@link LoadModelOptions} and {@link LoadAnyModelOptions}.
 * @returns The model, ready for `GradCam`: a `LayersModel`, or with `loadGraphModel` given, a
 *   `LayersModel` or the `GraphModel` that function makes.
 * @throws GradCamError `UNSUPPORTED_MODEL` for a graph-format model without `loadGraphModel`
 *   (the message says what to pass); `BAD_INPUT` for a layer class nobody registered (the
 *   message names it and says how to register one), graph weights whose size differs from the
 *   manifest's, a graph tfjs-converter cannot build, or artifacts that cannot be read or do not
 *   fit the topology. A failed load frees every tensor it made.
 *
 * @example
 * ```ts
 * const model = await loadModel('https://example.com/mobilenet_v3/model.json');
 * const gc = new GradCam(model);
 * // A graph model (from a SavedModel or TF Hub):
 * import { loadGraphModel } from '@tensorflow/tfjs-converter';
 * const graph = await loadModel('https://example.com/saved_model_js/model.json', { loadGraphModel });
 * ```
 */
export async function loadModel<G extends GraphModelLike>(source: string | tf.io.IOHandler, options: LoadAnyModelOptions<G>): Promise<tfl.LayersModel | G>;
export async function loadModel(source: string | tf.io.IOHandler, options?: LoadModelOptions): Promise<tfl.LayersModel>;
export async function loadModel(
  source: string | tf.io.IOHandler,
  options: LoadModelOptions & { readonly loadGraphModel?: GraphModelLoader } = {},
): Promise<tfl.LayersModel | GraphModelLike> {
  const handler = typeof source === 'string' ? handlerFor(source, options) : source;
  if (handler.load === undefined) throw new GradCamError('BAD_INPUT', 'Cannot load the model: the IOHandler has no load() method.');
  const artifacts = await handler.load();
  if (modelFormat(artifacts) === 'graph') {
    if (options.loadGraphModel === undefined) {
      throw new GradCamError('UNSUPPORTED_MODEL', `Cannot load the model: it is a GraphModel (format "graph-model"); to load it, ${GRAPH_LOADER_HINT}.`);
    }
    return buildGraphModel(artifacts, options.loadGraphModel);
  }
  return buildLayersModel(artifacts);
}

/** Which kind of model the artifacts hold. The one place that decides; new formats go here. */
export function modelFormat(artifacts: tf.io.ModelArtifacts): 'layers' | 'graph' {
  const topology = artifacts.modelTopology;
  if (artifacts.format === 'graph-model' || topology instanceof ArrayBuffer) return 'graph';
  if (isObject(topology) && Array.isArray((topology as JsonObject).node)) return 'graph';
  return 'layers';
}

function handlerFor(url: string, options: LoadModelOptions): tf.io.IOHandler {
  const base = absoluteUrl(url);
  if (base !== undefined && /^https?:$/i.test(new URL(base).protocol)) {
    // The model.json is not trusted: each weight path must stay on its server, in its folder.
    const confined: tf.io.LoadOptions = {
      weightUrlConverter: async (path) => resolveWeightUrl(base, path, { allowExternalWeights: options.allowExternalWeights }),
      ...options.http,
    };
    return tf.io.http(url, confined);
  }
  const handlers = tf.io.getLoadHandlers(url, options.http);
  if (handlers.length === 1) return handlers[0];
  throw new GradCamError(
    'BAD_INPUT',
    `Cannot load the model: no TensorFlow.js IO handler reads "${url}". Give an http(s) URL or a tf.io.IOHandler; ` +
      "in Node, load files with loadModelFromFile from 'tfjs-gradcam/node'.",
  );
}

/** `url` made absolute against the page's address where there is one (a relative URL in a browser); undefined if it cannot be. */
function absoluteUrl(url: string): string | undefined {
  const page = (globalThis as { location?: { href?: string } }).location?.href;
  try {
    return new URL(url, page).href;
  } catch {
    return undefined;
  }
}

/**
 * Repairs the topology of layers-model artifacts (a copy; the input is not changed). Weight
 * names are repaired later, against the built model.
 * @throws GradCamError `BAD_INPUT` when no JSON topology is there, or when some layer call can
 *   never be made (tfjs-layers would loop forever building it; see `assertCallsReachable`).
 */
export function repairArtifacts(artifacts: tf.io.ModelArtifacts): RepairedArtifacts {
  const topology = artifacts.modelTopology;
  if (!isObject(topology)) throw new GradCamError('BAD_INPUT', 'Cannot load the model: it has no JSON "modelTopology".');
  const copy = cloneJson(topology as JsonObject);
  const modelConfig = isObject(copy.model_config) ? copy.model_config : copy;
  const repairs = repairModelConfig(modelConfig);
  assertCallsReachable(modelConfig);
  return { artifacts: { ...artifacts, modelTopology: copy }, repairs };
}

/** Builds the model from repaired artifacts and sets its weights; on failure frees what it made. */
async function buildLayersModel(artifacts: tf.io.ModelArtifacts): Promise<tfl.LayersModel> {
  const { artifacts: repaired } = repairArtifacts(artifacts);
  registerKerasLayers();
  const variablesBefore = new Set(Object.keys(tf.engine().registeredVariables));
  let weights: tf.NamedTensorMap = {};
  let model: tfl.LayersModel | undefined;
  try {
    const modelTopology = repaired.modelTopology as tf.io.ModelJSON['modelTopology'];
    model = await tfl.models.modelFromJSON({ modelTopology } as never, fastWeightInitObjects(modelTopology as JsonObject));
    const original = artifacts.modelTopology as JsonObject;
    const modelConfig = (isObject(original.model_config) ? original.model_config : original) as JsonObject;
    const specs = kerasWeightNames(artifacts.weightSpecs ?? [], modelConfig, weightNamesOf(model));
    weights = tf.io.decodeWeights(artifacts.weightData ?? new ArrayBuffer(0), specs);
    model.loadWeights(weights, true);
    return model;
  } catch (err) {
    if (model !== undefined) {
      model.dispose(); // its own variables only: another load may have made some meanwhile
    } else {
      // The build failed half-way (it makes no await): what it registered is all new.
      for (const [name, variable] of Object.entries(tf.engine().registeredVariables)) {
        if (!variablesBefore.has(name)) variable.dispose();
      }
    }
    throw loadError(err);
  } finally {
    tf.dispose(Object.values(weights));
  }
}

function weightNamesOf(model: tfl.LayersModel): LayerWeightNames {
  return new Map(model.layers.map((layer) => [layer.name, layer.weights.map((w) => w.originalName)] as const));
}

/** tfjs-layers' errors, as GradCamErrors that say what to do. */
function loadError(err: unknown): GradCamError {
  if (err instanceof GradCamError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const unknown = /Unknown (?:layer|initializer|regularizer|constraint|activation)[^:]*: ([^\s.]+)/.exec(message);
  if (unknown !== null) {
    return new GradCamError(
      'BAD_INPUT',
      `Cannot load the model: its layer class "${unknown[1]}" is unknown to tfjs-layers and tfjs-gradcam. ` +
        `Write it as a tf.layers.Layer subclass with static className = '${unknown[1]}' and register it with ` +
        'tf.serialization.registerClass(YourLayer) before loading.',
    );
  }
  const missing = /(\d+) of (\d+) weights are not set/.exec(message);
  const hint = missing !== null
    ? ' The converter drops the weights of a layer named "a/b" when a layer "a" exists (MobileNetV3 in Keras 2): rename such layers without "/" before saving the .h5.'
    : '';
  return new GradCamError('BAD_INPUT', `Cannot load the model: ${message}${hint}`);
}
