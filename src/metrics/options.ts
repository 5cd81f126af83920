/** The options every metric takes, and their checks. */
import * as tf from '@tensorflow/tfjs-core';
import { assertTensor } from '../core/assert';
import { type ClassIndex, classIndexPerImage } from '../core/class-index';
import { positiveIntegerOption } from '../core/options';
import { type Random, mixSeed, mulberry32 } from '../demo/prng';
import { GradCamError, formatShape } from '../errors';
import { allFinite } from '../readback';
import { runAsync } from '../steps';

/** Options of every metric. */
export interface MetricOptions {
  /** The class scored: one for every image, or one per image. */
  classIndex: ClassIndex;
  /**
   * What is scored (default `'probability'`): the class's softmax probability, as
   * pytorch-grad-cam's `ClassifierOutputSoftmaxTarget`, or its `'logit'` (the score before the
   * softmax, as `ClassifierOutputTarget`).
   */
  score?: 'probability' | 'logit';
  /** How many images go through the model at once (default 16). */
  batchSize?: number;
}

/** The checked common inputs of a metric call. */
export interface MetricInputs {
  readonly batch: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly classes: number[];
  readonly score: 'probability' | 'logit';
  readonly batchSize: number;
}

/**
 * Checks images `[N,H,W,C]`, heatmaps `[N,H,W]` and the common options.
 *
 * @throws GradCamError `BAD_INPUT`, `SHAPE_MISMATCH`, `BAD_CLASS_INDEX` or `BAD_OPTION`.
 */
export function checkMetricInputs(images: unknown, heatmaps: unknown, options: MetricOptions): MetricInputs {
  assertTensor(images, 'images', '[N,H,W,C]');
  if (images.rank !== 4 || images.shape[0] === 0) {
    throw new GradCamError('BAD_INPUT', `images must be a tensor [N,H,W,C] with N ≥ 1, as fed to the model; got shape ${formatShape(images.shape)}.`);
  }
  const [batch, height, width, channels] = images.shape;
  if (!(heatmaps instanceof tf.Tensor) || heatmaps.rank !== 3 || heatmaps.shape.some((d: number, i: number) => d !== images.shape[i])) {
    const got = heatmaps instanceof tf.Tensor ? formatShape(heatmaps.shape) : typeof heatmaps;
    throw new GradCamError(
      'SHAPE_MISMATCH',
      `heatmaps must be [N,H,W] = ${formatShape([batch, height, width])}, one map per image at the image's size; got ${got}. ` +
        'Resize the maps to the images first (a GradCamResult.heatmap already is).',
    );
  }
  if (options?.classIndex === undefined) {
    throw new GradCamError('BAD_CLASS_INDEX', 'classIndex is required: the class to score, for every image or one per image (e.g. a GradCamResult\'s classIndex).');
  }
  const classes = classIndexPerImage(options.classIndex, batch);
  const score = options.score ?? 'probability';
  if (score !== 'probability' && score !== 'logit') {
    throw new GradCamError('BAD_OPTION', `score must be 'probability' or 'logit', got ${String(score)}.`);
  }
  const batchSize = positiveIntegerOption('batchSize', options.batchSize, 16);
  return { batch, height, width, channels, classes, score, batchSize };
}

/**
 * Checks on the device that tensors are finite, reading back one flag per tensor (without
 * blocking the page): for metrics that need no pixels on the CPU.
 *
 * @throws GradCamError `NON_FINITE_INPUT`.
 */
export async function checkFinite(tensors: Record<string, tf.Tensor>): Promise<void> {
  const finite = await runAsync(() => allFinite(Object.values(tensors)));
  Object.keys(tensors).forEach((name, i) => {
    if (!finite[i]) throw new GradCamError('NON_FINITE_INPUT', `${name} contain NaN or Infinity; check the preprocessing.`);
  });
}

/**
 * Reads tensors back (without blocking the page) and checks that they are finite.
 *
 * @throws GradCamError `NON_FINITE_INPUT`.
 */
export async function readFinite(tensors: Record<string, tf.Tensor>): Promise<Float32Array[]> {
  const values = await Promise.all(Object.values(tensors).map((t) => t.data<'float32'>()));
  Object.keys(tensors).forEach((name, i) => {
    if (!values[i].every(Number.isFinite)) {
      throw new GradCamError('NON_FINITE_INPUT', `${name} contain NaN or Infinity; check the preprocessing.`);
    }
  });
  return values.map((v) => Float32Array.from(v));
}

/** Options of the noisy linear imputation. */
export interface NoiseOptions {
  /** The standard deviation of the Gaussian noise added to the imputed pixels (default 0.01, as pytorch-grad-cam). */
  noise?: number;
  /** Seeds the noise (any safe integer): the same seed gives the same numbers. Omitted: a random seed. */
  seed?: number;
}

/**
 * Checks the noise options; returns the noise level and a seeded uniform stream.
 *
 * @throws GradCamError `BAD_OPTION`.
 */
export function noiseSource(options: NoiseOptions): { noise: number; random: Random } {
  const noise = options.noise ?? 0.01;
  if (typeof noise !== 'number' || !Number.isFinite(noise) || noise < 0) {
    throw new GradCamError('BAD_OPTION', `noise must be a finite standard deviation ≥ 0, got ${String(noise)}.`);
  }
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
  if (!Number.isSafeInteger(seed)) {
    throw new GradCamError('BAD_OPTION', `seed must be a safe integer, got ${String(seed)}.`);
  }
  return { noise, random: mulberry32(mixSeed(seed)) };
}
