/**
 * tfjs-gradcam: where a TensorFlow.js model looked. Grad-CAM as pure tensor functions and a
 * `GradCam` class for any LayersModel.
 *
 * @packageDocumentation
 */
export { GradCam } from './gradcam';
export type { ExplainOptions, ExplainProgress, GradCamOptions, GradCamResult, TopKOptions } from './gradcam';
export type { TargetFunction } from './explain';
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
export type { BlendOptions } from './core/blend';
export { COLORMAPS, applyColormap, colormapTable } from './core/colormap';
export type { ColormapName } from './core/colormap';

export { guidedBackprop, guidedBackpropAsync, guidedGradCam, deprocessSaliency } from './guided-backprop';
export type { GuidedBackpropOptions, GuidedBackpropResult } from './guided-backprop';

export { splitModel } from './model/split-model';
export type { FeaturePass, ModelSplit, SplitOptions } from './model/split-model';
export type { HeadOptions } from './model/split';

export { ensureGradientKernels } from './backends/gradient-kernels';

export { GradCamError } from './errors';
export type { GradCamErrorCode } from './errors';

/** The package version. */
export const version = '0.2.0';
