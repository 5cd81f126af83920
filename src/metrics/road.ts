/**
 * ROAD (RemOve And Debias, Rong et al. 2022) as pytorch-grad-cam computes it: remove the pixels
 * at or above a percentile of the map, fill them by noisy linear imputation, and compare the
 * class score with the original's.
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertTensor } from '../core/assert';
import type { Random } from '../demo/prng';
import { GradCamError, formatShape } from '../errors';
import { mean } from './confidence';
import { imputeImage } from './impute';
import { type ClassifierFunction, type MetricModel, logitsOf } from './model';
import { type MetricInputs, type MetricOptions, type NoiseOptions, checkMetricInputs, noiseSource, readFinite } from './options';
import { type RoadOrder, roadRemovedPixels } from './percentile';
import { type ScoreJob, eachImage, pixelsBatch, rows, scoreJobs } from './score';

export type { RoadOrder } from './percentile';

/** Options of {@link road}. */
export interface RoadOptions extends MetricOptions, NoiseOptions {
  /**
   * The percentile(s), each in (0, 100): the pixels whose map value is at or above the
   * percentile are removed (80 removes the top 20 %). Several: the results are averaged.
   */
  percentiles: number | readonly number[];
  /** Remove the most relevant pixels (MoRF: a faithful map makes the score fall) or the least relevant (LeRF: it should hold). */
  order: RoadOrder;
}

/** Options of {@link roadCombined}. */
export interface RoadCombinedOptions extends MetricOptions, NoiseOptions {
  /** The percentiles to average over (default 10, 20, …, 90), each in (0, 100). */
  percentiles?: number | readonly number[];
}

/** Options of {@link noisyLinearImpute}. */
export type ImputeOptions = NoiseOptions;

const DEFAULT_PERCENTILES = [10, 20, 30, 40, 50, 60, 70, 80, 90];

function checkPercentiles(percentiles: number | readonly number[]): number[] {
  const list = typeof percentiles === 'number' ? [percentiles] : [...(percentiles ?? [])];
  if (list.length === 0 || list.some((p) => typeof p !== 'number' || !(p > 0 && p < 100))) {
    throw new GradCamError('BAD_OPTION', `percentiles must be numbers strictly between 0 and 100, got [${list.join(', ')}].`);
  }
  return list;
}

/** What one ROAD run needs, checked and read back once. */
interface RoadContext {
  readonly input: MetricInputs;
  readonly logits: ClassifierFunction;
  readonly pixels: Float32Array;
  readonly maps: Float32Array;
  readonly original: number[];
  readonly noise: number;
  readonly random: Random;
}

async function roadContext(model: MetricModel, images: tf.Tensor4D, heatmaps: tf.Tensor3D, options: RoadCombinedOptions): Promise<RoadContext> {
  const input = checkMetricInputs(images, heatmaps, options);
  const { noise, random } = noiseSource(options);
  const [pixels, maps] = await readFinite({ images, heatmaps });
  const logits = logitsOf(model);
  const original = await scoreJobs(logits, eachImage(input.batch), (from, to) => rows(images, from, to), input);
  return { input, logits, pixels, maps, original, noise, random };
}

/** Each image's score change, averaged over the percentiles, for one order. */
async function roadScores(ctx: RoadContext, order: RoadOrder, percentiles: readonly number[]): Promise<number[]> {
  const { input } = ctx;
  const mapSize = input.height * input.width;
  const imageSize = mapSize * input.channels;
  const jobs: Array<ScoreJob & { percentile: number }> = percentiles.flatMap((percentile) =>
    eachImage(input.batch).map((j) => ({ ...j, percentile })),
  );
  const imputed = (job: ScoreJob & { percentile: number }): Float32Array => {
    const map = ctx.maps.subarray(job.image * mapSize, (job.image + 1) * mapSize);
    const removed = roadRemovedPixels(map, job.percentile, order);
    const image = ctx.pixels.subarray(job.image * imageSize, (job.image + 1) * imageSize);
    return imputeImage(image, removed, input.height, input.width, input.channels, ctx.noise, ctx.random);
  };
  // Imputed one batch at a time, so that only batchSize images are held at once.
  const scores = await scoreJobs(ctx.logits, jobs, (from, to) => pixelsBatch(jobs.slice(from, to).map(imputed), input), input);
  return eachImage(input.batch).map(({ image }) =>
    mean(percentiles.map((_, k) => scores[k * input.batch + image] - ctx.original[image])),
  );
}

/**
 * ROAD: the class score after removing the pixels at or above the map's `percentile`-th
 * percentile (least-relevant-first: of `1 − map`) and filling them by noisy linear imputation,
 * minus the score of the image: `s(x′) − s(x)`, averaged over the percentiles when several.
 * pytorch-grad-cam's `ROADMostRelevantFirst` / `ROADLeastRelevantFirst` (and their
 * `…Average`), with the same percentile rule (numpy's linear interpolation; a threshold of 0
 * removes every pixel, and the imputation is then all zeros).
 *
 * For a faithful map, most-relevant-first drops the score a lot (more negative is better) and
 * least-relevant-first hardly at all.
 *
 * @param model a LayersModel, a GraphModel or a function images → logits `[N,K]`.
 * @param images `[N,H,W,C]` in the model's input space (the imputation works on these values).
 * @param heatmaps `[N,H,W]` in [0, 1].
 * @returns one number per image.
 * @throws GradCamError `BAD_OPTION` (percentiles outside (0, 100), a bad order, noise or seed),
 *   and the errors of {@link confidenceChange}.
 */
export async function road(model: MetricModel, images: tf.Tensor4D, heatmaps: tf.Tensor3D, options: RoadOptions): Promise<number[]> {
  const percentiles = checkPercentiles(options?.percentiles);
  const order = options.order;
  if (order !== 'most-relevant-first' && order !== 'least-relevant-first') {
    throw new GradCamError('BAD_OPTION', `order must be 'most-relevant-first' or 'least-relevant-first', got ${String(order)}.`);
  }
  const ctx = await roadContext(model, images, heatmaps, options);
  return roadScores(ctx, order, percentiles);
}

/**
 * ROAD combined (pytorch-grad-cam's `ROADCombined`): `(LeRF − MoRF) / 2` per image, each
 * averaged over the percentiles (default 10, 20, …, 90). Higher is better: removing the
 * relevant pixels hurts, removing the others does not.
 *
 * @returns one number per image. Parameters and errors as {@link road}.
 */
export async function roadCombined(model: MetricModel, images: tf.Tensor4D, heatmaps: tf.Tensor3D, options: RoadCombinedOptions): Promise<number[]> {
  const percentiles = checkPercentiles(options?.percentiles ?? DEFAULT_PERCENTILES);
  const ctx = await roadContext(model, images, heatmaps, options);
  // Least relevant first, then most relevant first: pytorch-grad-cam's order (it matters for the noise stream).
  const lerf = await roadScores(ctx, 'least-relevant-first', percentiles);
  const morf = await roadScores(ctx, 'most-relevant-first', percentiles);
  return lerf.map((l, i) => (l - morf[i]) / 2);
}

/**
 * ROAD's noisy linear imputation of one image: each removed pixel becomes the weighted mean of
 * its 8 neighbours (1/6 for edge neighbours, 1/12 for diagonal ones), solved for all removed
 * pixels at once (conjugate gradients on the sparse system, to ~1e-9 relative residual), plus
 * Gaussian noise of standard deviation `noise` (default 0.01). With every pixel removed the
 * imputation is all zeros (plus noise), as pytorch-grad-cam's solver gives.
 *
 * @param image `[H,W,C]`.
 * @param removed `[H,W]`: nonzero (or true) where the pixel is removed.
 * @returns the imputed image `[H,W,C]` float32 (the caller owns it).
 * @throws GradCamError `BAD_INPUT`, `SHAPE_MISMATCH`, `NON_FINITE_INPUT` or `BAD_OPTION`.
 */
export async function noisyLinearImpute(image: tf.Tensor3D, removed: tf.Tensor2D, options: ImputeOptions = {}): Promise<tf.Tensor3D> {
  assertTensor(image, 'image', '[H,W,C]');
  if (image.rank !== 3) throw new GradCamError('BAD_INPUT', `image must be a tensor [H,W,C], got shape ${formatShape(image.shape)}.`);
  const [height, width, channels] = image.shape;
  if (!(removed instanceof tf.Tensor) || removed.rank !== 2 || removed.shape[0] !== height || removed.shape[1] !== width) {
    const got = removed instanceof tf.Tensor ? formatShape(removed.shape) : typeof removed;
    throw new GradCamError('SHAPE_MISMATCH', `removed must be [H,W] = ${formatShape([height, width])}, got ${got}.`);
  }
  const { noise, random } = noiseSource(options);
  const [pixels] = await readFinite({ image });
  const mask = Uint8Array.from(await removed.data(), (v) => (v !== 0 ? 1 : 0));
  return tf.tensor3d(imputeImage(pixels, mask, height, width, channels, noise, random), [height, width, channels]);
}
