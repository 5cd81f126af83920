/**
 * Deletion and Insertion (Petsiuk et al., RISE, 2018) as xplique defines them: the area under
 * the class score as the pixels, most relevant first, are removed from the image (replaced by
 * a baseline) or inserted into the baseline, over `steps` equal steps, by the trapezoid rule.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { GradCamError } from '../errors';
import { type MetricModel, logitsOf } from './model';
import { type MetricOptions, checkMetricInputs, readFinite } from './options';
import { type ScoreJob, eachImage, pixelsBatch, scoreJobs } from './score';
import { positiveIntegerOption } from '../core/options';

/** Options of {@link deletion} and {@link insertion}. */
export interface CausalOptions extends MetricOptions {
  /** The number of steps from the start to the end image (default 10, as xplique). */
  steps?: number;
  /** The value of a removed pixel, in the model's input space (default 0, as xplique). */
  baseline?: number;
}

/**
 * The pixels from most to least relevant: by decreasing map value; equal values in raster
 * order (row by row, left to right), so that the order, and the result, are reproducible.
 */
export function relevanceOrder(map: Float32Array): Int32Array {
  const order = Array.from(map.keys());
  order.sort((a, b) => map[b] - map[a] || a - b);
  return Int32Array.from(order);
}

/** How many pixels are flipped at each step: ⌊k·P/steps⌋ for k = 0…steps (numpy linspace cast to int). */
export function stepCounts(pixels: number, steps: number): number[] {
  const step = pixels / steps;
  return Array.from({ length: steps + 1 }, (_, k) => (k === steps ? pixels : Math.trunc(k * step)));
}

async function causalCurve(
  mode: 'deletion' | 'insertion',
  model: MetricModel,
  images: tf.Tensor4D,
  heatmaps: tf.Tensor3D,
  options: CausalOptions,
): Promise<number[]> {
  const input = checkMetricInputs(images, heatmaps, options);
  const steps = positiveIntegerOption('steps', options.steps, 10);
  const baseline = options.baseline ?? 0;
  if (typeof baseline !== 'number' || !Number.isFinite(baseline)) throw new GradCamError('BAD_OPTION', `baseline must be a finite number, got ${String(baseline)}.`);
  const [pixels, maps] = await readFinite({ images, heatmaps });
  const logits = logitsOf(model);
  const mapSize = input.height * input.width;
  const channels = input.channels;
  const imageSize = mapSize * channels;
  const counts = stepCounts(mapSize, steps);
  const orders = eachImage(input.batch).map(({ image }) => relevanceOrder(maps.subarray(image * mapSize, (image + 1) * mapSize)));
  const jobs: Array<ScoreJob & { count: number }> = eachImage(input.batch).flatMap((j) => counts.map((count) => ({ ...j, count })));
  const made = (job: ScoreJob & { count: number }): Float32Array => {
    const source = pixels.subarray(job.image * imageSize, (job.image + 1) * imageSize);
    // Deletion starts from the image and writes the baseline; insertion the other way round.
    const out = mode === 'deletion' ? Float32Array.from(source) : new Float32Array(imageSize).fill(baseline);
    const order = orders[job.image];
    for (let k = 0; k < job.count; k++) {
      const p = order[k] * channels;
      for (let c = 0; c < channels; c++) out[p + c] = mode === 'deletion' ? baseline : source[p + c];
    }
    return out;
  };
  const scores = await scoreJobs(logits, jobs, (from, to) => pixelsBatch(jobs.slice(from, to).map(made), input), input);
  return eachImage(input.batch).map(({ image }) => {
    const curve = scores.slice(image * (steps + 1), (image + 1) * (steps + 1));
    let area = 0;
    for (let k = 0; k < steps; k++) area += (curve[k] + curve[k + 1]) / 2;
    return area / steps;
  });
}

/**
 * Deletion: the area under the class score as the pixels are set to `baseline`, most relevant
 * first, in `steps` equal steps (xplique's `Deletion`: 10 steps, baseline 0, trapezoid rule, the
 * curve's x axis scaled to [0, 1]). Lower is better. Pixels of equal map value go in raster order.
 *
 * @param model a LayersModel, a GraphModel or a function images → logits `[N,K]`.
 * @param images `[N,H,W,C]` in the model's input space.
 * @param heatmaps `[N,H,W]`.
 * @returns one number per image.
 * @throws GradCamError as {@link confidenceChange}, and `BAD_OPTION` for bad steps or baseline.
 */
export async function deletion(model: MetricModel, images: tf.Tensor4D, heatmaps: tf.Tensor3D, options: CausalOptions): Promise<number[]> {
  return causalCurve('deletion', model, images, heatmaps, options);
}

/**
 * Insertion: the area under the class score as the pixels of the image are written into a
 * `baseline` image, most relevant first (xplique's `Insertion`). Higher is better.
 *
 * @returns one number per image. Parameters and errors as {@link deletion}.
 */
export async function insertion(model: MetricModel, images: tf.Tensor4D, heatmaps: tf.Tensor3D, options: CausalOptions): Promise<number[]> {
  return causalCurve('insertion', model, images, heatmaps, options);
}
