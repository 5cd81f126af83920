import type { LayersModel } from '@tensorflow/tfjs-layers';
import { GradCamError } from '../errors';
import { type GraphModelLike, isGraphModel } from './graph-model';
import { splitGraphModel } from './graph-split';
import { graphFacts } from './graph-targets';
import { featureMapLayers as layerFeatureMaps } from './layers';
import { type ModelSplit, type SplitOptions, splitModel } from './split-model';

/**
 * The kinds of model the library explains, and the one place that tells them apart: each kind
 * produces the same {@link ModelSplit} (a body up to the target and a differentiable head).
 */

/** A model `GradCam` explains: a tfjs-layers `LayersModel` or a tfjs-converter `GraphModel`. */
export type ExplainableModel = LayersModel | GraphModelLike;

/**
 * Cuts any explainable model at a target layer (a LayersModel) or node (a GraphModel); see
 * {@link splitModel} and {@link splitGraphModel}.
 */
export function splitExplainable(model: ExplainableModel, layerName: string | undefined, options: SplitOptions): ModelSplit {
  if (!isGraphModel(model)) return splitModel(model, layerName, options);
  const layersOnly = (['inputName', 'outputName', 'reshapeTransform'] as const).find((o) => options[o] !== undefined);
  if (layersOnly !== undefined) {
    throw new GradCamError('BAD_OPTION', `${layersOnly} applies to LayersModels; a GraphModel has one input and one output.`);
  }
  return splitGraphModel(model, layerName, { cacheTransposedKernels: options.cacheTransposedKernels });
}

/** A layer or node whose output is a feature map, as {@link featureMapLayers} lists it. */
export interface FeatureMapInfo {
  /** What `layerName` takes: a layer's path (`outer/inner` when nested) or a graph node's name. */
  readonly name: string;
  /** `[null,h,w,C]` (h and w null where the model takes any image size). */
  readonly shape: ReadonlyArray<number | null>;
}

/**
 * The layers (LayersModel) or nodes (GraphModel) whose output is a feature map `[N,h,w,C]` with
 * a spatial size above 1×1, in execution order: the candidates for `GradCam`'s `layerName`.
 * Omitting `layerName` picks the last one (in a GraphModel, the last one that every path to the
 * output goes through). The model's own output is left out.
 *
 * A GraphModel is run once on a blank image to learn its nodes' shapes (a graph stores none);
 * the result is remembered for that model.
 *
 * @example
 * ```ts
 * for (const { name, shape } of featureMapLayers(model)) console.log(name, shape);
 * ```
 * @throws GradCamError `UNSUPPORTED_MODEL` for a GraphModel with several inputs or outputs or
 *   one that does not run.
 */
export function featureMapLayers(model: ExplainableModel): FeatureMapInfo[] {
  if (isGraphModel(model)) return graphFacts(model).candidates.map(({ name, shape }) => ({ name, shape }));
  return layerFeatureMaps(model).map(({ path, shape }) => ({ name: path, shape }));
}
