/**
 * tfjs-gradcam/metrics: is the explanation faithful? pytorch-grad-cam's confidence and ROAD
 * metrics with the same numbers, the Grad-CAM++ paper's Average Drop / Increase, and
 * Deletion / Insertion as xplique defines them. Every function is async (it reads back with
 * `await data()`, never blocking a page) and returns plain numbers.
 *
 * @packageDocumentation
 */
export { confidenceChange, dropInConfidence, increaseInConfidence, averageDrop, averageIncrease } from './confidence';
export { road, roadCombined, noisyLinearImpute } from './road';
export type { RoadOptions, RoadCombinedOptions, ImputeOptions, RoadOrder } from './road';
export { deletion, insertion } from './causal';
export type { CausalOptions } from './causal';
export type { MetricOptions, NoiseOptions } from './options';
export type { MetricModel, ClassifierFunction, GraphModelLike } from './model';
