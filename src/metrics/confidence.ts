/**
 * Confidence metrics: the score of the image multiplied by its map, against the score of the
 * image. pytorch-grad-cam's `CamMultImageConfidenceChange`, `DropInConfidence` and
 * `IncreaseInConfidence`, and the Grad-CAM++ paper's Average Drop and Average Increase.
 */
import * as tf from '@tensorflow/tfjs-core';
import { GradCamError } from '../errors';
import { type MetricModel, logitsOf } from './model';
import { type MetricOptions, checkFinite, checkMetricInputs } from './options';
import { eachImage, rows, scoreJobs } from './score';

/** Each image's score `Y` and the score `O` of the image times its map (broadcast over channels). */
async function scoresWithMap(
  model: MetricModel,
  images: tf.Tensor4D,
  heatmaps: tf.Tensor3D,
  options: MetricOptions,
): Promise<{ original: number[]; masked: number[] }> {
  const input = checkMetricInputs(images, heatmaps, options);
  await checkFinite({ images, heatmaps });
  const logits = logitsOf(model);
  const jobs = eachImage(input.batch);
  const original = await scoreJobs(logits, jobs, (from, to) => rows(images, from, to), input);
  const masked = await scoreJobs(logits, jobs, (from, to) => tf.mul(tf.cast(rows(images, from, to), 'float32'), tf.expandDims(rows(heatmaps, from, to), 3)), input);
  return { original, masked };
}

/**
 * `s(x ⊙ cam) − s(x)` for each image: how the class score changes when the image is multiplied
 * by its map (pytorch-grad-cam's `CamMultImageConfidenceChange`).
 *
 * @param model a LayersModel, a GraphModel or a function images → logits `[N,K]`.
 * @param images `[N,H,W,C]` in the model's input space (as fed to the model).
 * @param heatmaps `[N,H,W]` in [0, 1], one per image.
 * @returns one number per image.
 * @throws GradCamError `BAD_INPUT`, `SHAPE_MISMATCH`, `BAD_CLASS_INDEX`, `BAD_OPTION`,
 *   `NON_FINITE_INPUT` or `NON_FINITE_RESULT`.
 */
export async function confidenceChange(model: MetricModel, images: tf.Tensor4D, heatmaps: tf.Tensor3D, options: MetricOptions): Promise<number[]> {
  const { original, masked } = await scoresWithMap(model, images, heatmaps, options);
  return masked.map((o, i) => o - original[i]);
}

/**
 * `max(0, s(x) − s(x ⊙ cam))` for each image (pytorch-grad-cam's `DropInConfidence`: the drop
 * itself, not divided by the score — see {@link averageDrop} for the paper's ratio).
 *
 * @returns one number per image. Parameters and errors as {@link confidenceChange}.
 */
export async function dropInConfidence(model: MetricModel, images: tf.Tensor4D, heatmaps: tf.Tensor3D, options: MetricOptions): Promise<number[]> {
  const { original, masked } = await scoresWithMap(model, images, heatmaps, options);
  return masked.map((o, i) => Math.max(0, original[i] - o));
}

/**
 * 1 where `s(x ⊙ cam) > s(x)`, else 0, for each image (pytorch-grad-cam's `IncreaseInConfidence`).
 *
 * @returns one 0 or 1 per image. Parameters and errors as {@link confidenceChange}.
 */
export async function increaseInConfidence(model: MetricModel, images: tf.Tensor4D, heatmaps: tf.Tensor3D, options: MetricOptions): Promise<number[]> {
  const { original, masked } = await scoresWithMap(model, images, heatmaps, options);
  return masked.map((o, i) => (o > original[i] ? 1 : 0));
}

/**
 * Average Drop of the Grad-CAM++ paper, as a fraction: the mean over images of
 * `max(0, Y − O) / Y`, with `Y = s(x)` and `O = s(x ⊙ cam)`. Lower is better. The paper
 * reports it in percent (×100) with probabilities; every `Y` must be positive.
 *
 * @returns one number for the batch. Parameters as {@link confidenceChange}.
 * @throws GradCamError `BAD_OPTION` when an image's score is not positive (use
 *   `score: 'probability'`), and the errors of {@link confidenceChange}.
 */
export async function averageDrop(model: MetricModel, images: tf.Tensor4D, heatmaps: tf.Tensor3D, options: MetricOptions): Promise<number> {
  const { original, masked } = await scoresWithMap(model, images, heatmaps, options);
  const bad = original.findIndex((y) => !(y > 0));
  if (bad >= 0) {
    throw new GradCamError(
      'BAD_OPTION',
      `averageDrop divides by each image's score, which must be positive; image ${bad} scores ${original[bad]}. Use score: 'probability'.`,
    );
  }
  return mean(original.map((y, i) => Math.max(0, y - masked[i]) / y));
}

/**
 * Average Increase of the Grad-CAM++ paper ("% increase in confidence"), as a fraction: the
 * share of images whose score rises when multiplied by their map, `mean 1[Y < O]`. Higher is
 * better.
 *
 * @returns one number for the batch. Parameters and errors as {@link confidenceChange}.
 */
export async function averageIncrease(model: MetricModel, images: tf.Tensor4D, heatmaps: tf.Tensor3D, options: MetricOptions): Promise<number> {
  const { original, masked } = await scoresWithMap(model, images, heatmaps, options);
  return mean(original.map((y, i) => (y < masked[i] ? 1 : 0)));
}

export function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}
