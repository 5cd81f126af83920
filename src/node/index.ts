/**
 * tfjs-gradcam/node: files for Node — load and save LayersModels on disk without
 * `@tensorflow/tfjs-node`, and read and write images with the optional dependency `sharp`.
 *
 * @packageDocumentation
 */
export { fileIO, loadLayersModelFromFile, loadModelFromFile, saveLayersModelToDir } from './file-io';
export type { LoadModelFileOptions } from './file-io';
export type { LoadedGraphModel } from '../load/graph-load';
export { DEFAULT_MAX_PIXELS, decodeImage, encodeImage, readImage, writeImage } from './image';
export type { ImageFormat, PixelScale, ReadImageOptions, WriteImageOptions } from './image';
export { explainInWorkers } from './pool/explain-in-workers';
export type { ExplainInWorkersOptions, ExplainInWorkersResult, PixelArray, PoolExplanation, PoolImage, PoolOutcome, PoolProgress } from './pool/explain-in-workers';
export { defaultWorkerCount } from './pool/options';
export type { PoolBackend, PoolExplainOptions, PoolExplainerOptions, PoolReadOptions } from './pool/options';
