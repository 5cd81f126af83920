/**
 * tfjs-gradcam: where a TensorFlow.js model looked. Grad-CAM as pure tensor functions and a
 * `GradCam` class for any LayersModel or GraphModel.
 *
 * @packageDocumentation
 */
export { GradCam } from './gradcam';
export type { ExplainOptions, ExplainProgress, GradCamOptions, GradCamResult, TopKOptions } from './gradcam';
export type { TargetFunction } from './explain';
export { binaryTarget, classTarget, regressionTarget, segmentationTarget, similarityTarget } from './targets';
export type { ClassTarget } from './targets';
export { CAM_METHODS } from './methods/method';
export type { CamMethodName } from './methods/method';

export { gradientsForClass, gradientsOfScores, selectClassScores } from './core/gradients';
export type { ClassGradients, ScoreGradients, ScoreHead } from './core/gradients';
export type { ClassIndex } from './core/class-index';
export { poolWeights } from './core/pool';
export { weightedActivationMap } from './core/weighted-map';
export { normalize } from './core/normalize';
export { bilinearResize } from './core/resize';
export { camToHeatmap } from './core/heatmap';
export { blend } from './core/blend';
export { preprocessInput, PREPROCESS_MODES } from './core/preprocess';
export type { PreprocessMode } from './core/preprocess';
export type { BlendOptions } from './core/blend';
export { COLORMAPS, applyColormap, colormapTable } from './core/colormap';
export type { ColormapName } from './core/colormap';

export { guidedBackprop, guidedBackpropAsync, guidedGradCam, deprocessSaliency } from './guided-backprop';
export type { GuidedBackpropOptions, GuidedBackpropResult } from './guided-backprop';

export { featureMapLayers } from './model/explainable';
export type { ExplainableModel, FeatureMapInfo } from './model/explainable';
export type { GraphModelLike } from './model/graph-model';

export { splitModel } from './model/split-model';
export type { FeaturePass, ModelSplit, SplitOptions } from './model/split-model';
export type { HeadOptions, HeadOutputs } from './model/split';
export type { OtherInputs } from './model/feeds';
export { tokensToGrid } from './model/reshape';
export type { ReshapeTransform, TokensToGridOptions } from './model/reshape';

export { loadModel, registerKerasLayers } from './load';
export type { GraphModelLoader, LoadAnyModelOptions, LoadModelOptions } from './load';

export { ensureGradientKernels } from './backends/gradient-kernels';

export { GradCamError } from './errors';
export type { GradCamErrorCode } from './errors';

/** The package version. */
export const version = '0.2.0';
