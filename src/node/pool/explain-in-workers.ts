import * as tf from '@tensorflow/tfjs-core';
import { checkOptionsObject } from '../../core/options';
import { GradCamError, formatShape } from '../../errors';
import type { LoadModelFileOptions } from '../file-io';
import { checkReadOptions } from '../image';
import { cachingForRun } from '../../model/dense-head';
import { type JobOutcome, runPool } from './engine';
import {
  type PoolBackend,
  type PoolExplainOptions,
  type PoolExplainerOptions,
  type PoolInit,
  type PoolReadOptions,
  builtScript,
  checkPoolBackend,
  checkWorkerCount,
  defaultWorkerCount,
} from './options';
import { thisFile } from './this-file';
import type { PoolJob } from './worker-jobs';

/** An image already in memory: float32 pixels `[H,W,C]`, row-major, preprocessed as the model expects. */
export interface PixelArray {
  readonly data: Float32Array;
  readonly shape: readonly [number, number, number];
}

/**
 * One image for {@link explainInWorkers}: a file path (read as `options.read` says), a `[H,W,C]`
 * tensor (copied, not disposed), or a {@link PixelArray}.
 */
export type PoolImage = string | tf.Tensor3D | PixelArray;

/** Progress of the whole job, after each image. */
export interface PoolProgress {
  /** Images finished so far (explained or failed), out of `total`. */
  readonly done: number;
  readonly total: number;
  /** How many of those failed. */
  readonly failed: number;
  /** The input index of the image that just finished. */
  readonly index: number;
}

/** One image's explanation, as plain arrays (it crossed a thread from the worker that made it). */
export interface PoolExplanation {
  /** The heatmap `[H,W]`, row-major: in [0, 1] unless `normalize: false`. */
  readonly heatmap: Float32Array;
  /** `[H,W]`: the size of the image the model saw. */
  readonly shape: readonly [number, number];
  /** The explained class. */
  readonly classIndex: number;
  /** The explained score (the class logit, or probability with `score: 'probability'`). */
  readonly score: number;
  /** The model's output for the image, `[K]` for a classifier (as `predict` gives it). */
  readonly output: Float32Array;
  /** The target layer(s), joined with commas. */
  readonly layerName: string;
}

/** One image's outcome, in its input slot: the explanation, or the error that stopped it alone. */
export type PoolOutcome = { readonly ok: true; readonly explanation: PoolExplanation } | { readonly ok: false; readonly error: Error };

/** The result of {@link explainInWorkers}. */
export interface ExplainInWorkersResult {
  /** One outcome per input, in input order. */
  readonly results: PoolOutcome[];
  /** Per worker, `tf.memory().numTensors` after it disposed its model and explainer: 0 when nothing leaked. */
  readonly tensorsLeft: number[];
}

/** Options of {@link explainInWorkers}. */
export interface ExplainInWorkersOptions {
  /** The model: a `model.json` path (or its folder), loaded once per worker with `loadModelFromFile` (a LayersModel, or a GraphModel where tfjs-converter is installed). */
  model: string;
  /** Worker threads (default {@link defaultWorkerCount}); never more than there are images. */
  workers?: number;
  /** Each worker's tfjs backend (default `'wasm'`); its package must be installed. */
  backend?: PoolBackend;
  /** Size limits for loading the model, as {@link loadModelFromFile}. */
  load?: LoadModelFileOptions;
  /**
   * The explainer's options (target layer, output, …). `cacheTransposedKernels` defaults to
   * `'auto'` when each worker has fewer than 100 images, `true` from 100 (see `GradCamOptions`).
   */
  explainer?: PoolExplainerOptions;
  /** The explanation's options (method, class, …). */
  explain?: PoolExplainOptions;
  /** How image files are read; default: the model's input size, values in [0, 1]. */
  read?: PoolReadOptions;
  /** Called after each image, explained or failed. */
  onProgress?: (progress: PoolProgress) => void;
  /** Stops the job: the workers are terminated and the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Explains many images on worker threads, each with its own tfjs backend and its own copy of
 * the model, loaded once. Images are handed out one at a time as workers get free, so only
 * as many are decoded at once as there are workers. An image that fails (unreadable file,
 * wrong size, non-finite pixels) gets its error in its slot while the others go on. The maps
 * equal those of `GradCam.explain` on the same backend in this thread.
 *
 * Every worker is ended before the promise settles: on success, after it disposed its model
 * (`tensorsLeft` reports what stayed); on a setup failure, a crash or an abort, terminated.
 *
 * @param images The images, in order: paths, `[H,W,C]` tensors (not disposed) or pixel arrays.
 * @param options The model and how to explain; see {@link ExplainInWorkersOptions}.
 * @returns The outcomes in input order, and what each worker left in tfjs memory.
 * @throws GradCamError `BAD_OPTION` for bad options; the error of the model's loading or of the
 *   explainer's construction (e.g. `BAD_INPUT`, `UNKNOWN_LAYER`), as the first worker met it.
 *   Rejects with `signal.reason` on abort.
 *
 * @example
 * ```ts
 * const { results } = await explainInWorkers(['a.jpg', 'b.jpg'], { model: 'model/model.json', workers: 2 });
 * for (const r of results) if (r.ok) console.log(r.explanation.classIndex);
 * ```
 */
export async function explainInWorkers(images: readonly PoolImage[], options: ExplainInWorkersOptions): Promise<ExplainInWorkersResult> {
  const checked = checkOptions(images, options);
  const workers = options.workers === undefined ? defaultWorkerCount() : checkWorkerCount(options.workers, 'workers');
  // A worker's explainer lives for its share of the images: big kernels' Wᵀ only if it pays back.
  const caching = checked.explainer.cacheTransposedKernels ?? cachingForRun(Math.ceil(images.length / workers));
  const init: PoolInit = { ...checked, explainer: { ...checked.explainer, cacheTransposedKernels: caching } };
  let failed = 0;
  let done = 0;
  const run = await runPool<PoolJob, PoolExplanation>({
    script: builtScript('pool-worker', thisFile()),
    workers,
    init,
    count: images.length,
    job: (index) => toJob(images[index], index),
    signal: options.signal,
    onOutcome: (index, outcome) => {
      done++;
      if (!outcome.ok) failed++;
      options.onProgress?.({ done, total: images.length, failed, index });
    },
  });
  return { results: run.outcomes.map(toOutcome), tensorsLeft: run.tensorsLeft };
}

function toOutcome(outcome: JobOutcome<PoolExplanation>): PoolOutcome {
  return outcome.ok ? { ok: true, explanation: outcome.value } : { ok: false, error: outcome.error };
}

function checkOptions(images: readonly PoolImage[], options: ExplainInWorkersOptions): PoolInit {
  if (!Array.isArray(images)) throw new GradCamError('BAD_OPTION', 'explainInWorkers takes an array of images (paths, tensors or pixel arrays).');
  checkOptionsObject(options);
  if (typeof options.model !== 'string' || options.model === '') {
    throw new GradCamError('BAD_OPTION', 'explainInWorkers needs options.model: the path of a model.json (or its folder).');
  }
  const read = options.read ?? {};
  checkReadOptions(read); // bad read options fail here, not once per image in the workers
  const classIndex = options.explain?.classIndex;
  if (classIndex !== undefined && (!Number.isInteger(classIndex) || classIndex < 0)) {
    throw new GradCamError('BAD_CLASS_INDEX', `explain.classIndex must be one non-negative integer class for every image, got ${String(classIndex)}.`);
  }
  return {
    modelPath: options.model,
    backend: checkPoolBackend(options.backend ?? 'wasm'),
    load: options.load ?? {},
    explainer: options.explainer ?? {},
    explain: options.explain ?? {},
    read,
  };
}

/** The job for one image: a path travels as is; pixels are copied out of a tensor only when a worker is free. */
async function toJob(image: PoolImage, index: number): Promise<PoolJob> {
  if (typeof image === 'string') return { file: image };
  if (image instanceof tf.Tensor) {
    if (image.isDisposed) throw new GradCamError('BAD_INPUT', `Image ${index} is a disposed tensor.`);
    if (image.rank !== 3) throw new GradCamError('BAD_INPUT', `Image ${index} must be one image [H,W,C], got a tensor of shape ${formatShape(image.shape)}.`);
    const data = await image.data();
    return { pixels: data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>), shape: image.shape as [number, number, number] };
  }
  const pixels = image as PixelArray | null;
  const shape = pixels?.shape;
  if (!(pixels?.data instanceof Float32Array) || !Array.isArray(shape) || shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new GradCamError('BAD_INPUT', `Image ${index} is neither a path, a [H,W,C] tensor nor { data: Float32Array, shape: [H,W,C] }.`);
  }
  if (pixels.data.length !== shape[0] * shape[1] * shape[2]) {
    throw new GradCamError('BAD_INPUT', `Image ${index} has ${pixels.data.length} values, but its shape ${formatShape(shape)} needs ${shape[0] * shape[1] * shape[2]}.`);
  }
  return { pixels: pixels.data, shape: [shape[0], shape[1], shape[2]] };
}
