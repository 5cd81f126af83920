/** Scoring batches of (perturbed) images with a model, without blocking the page. */
import * as tf from '@tensorflow/tfjs-core';
import { selectClassScores } from '../core/gradients';
import { GradCamError } from '../errors';
import { type ClassifierFunction, checkLogits } from './model';
import type { MetricInputs } from './options';

/** One image to score: the input it is made from, whose class it is scored for. */
export interface ScoreJob {
  /** The index of the input image, for its class. */
  readonly image: number;
}

/**
 * Scores `jobs.length` images, `batchSize` at a time: `make(from, to)` returns the images of
 * jobs `[from, to)` as `[to−from,H,W,C]` (inside a tidy: it may create tensors freely), and each
 * is scored for its image's class.
 *
 * @throws GradCamError `BAD_CLASS_INDEX` (a class the model does not have), `UNSUPPORTED_MODEL`
 *   or `NON_FINITE_RESULT`.
 */
export async function scoreJobs(
  logits: ClassifierFunction,
  jobs: readonly ScoreJob[],
  make: (from: number, to: number) => tf.Tensor4D,
  input: MetricInputs,
): Promise<number[]> {
  const out: number[] = [];
  for (let from = 0; from < jobs.length; from += input.batchSize) {
    const to = Math.min(from + input.batchSize, jobs.length);
    const classes = jobs.slice(from, to).map((j) => input.classes[j.image]);
    const scores = tf.tidy(() => {
      const l = logits(make(from, to));
      checkLogits(l, to - from);
      const k = l.shape[1];
      const bad = classes.find((c) => c >= k);
      if (bad !== undefined) {
        throw new GradCamError('BAD_CLASS_INDEX', `classIndex is ${bad}, but the model scores ${k} classes (0 to ${k - 1}).`);
      }
      return selectClassScores(input.score === 'probability' ? tf.softmax(l) : l, tf.tensor1d(classes, 'int32'));
    });
    const values = await scores.data();
    scores.dispose();
    if (!values.every(Number.isFinite)) {
      throw new GradCamError('NON_FINITE_RESULT', `the model produced a non-finite score (${Array.from(values).join(', ')}); check its weights.`);
    }
    out.push(...values);
  }
  return out;
}

/** One job per input image. */
export function eachImage(batch: number): ScoreJob[] {
  return Array.from({ length: batch }, (_, image) => ({ image }));
}

/** A batch of images from `[count*H*W*C]` typed pixels. */
export function pixelsBatch(pixels: readonly Float32Array[], input: MetricInputs): tf.Tensor4D {
  const size = input.height * input.width * input.channels;
  const flat = new Float32Array(pixels.length * size);
  pixels.forEach((p, i) => flat.set(p, i * size));
  return tf.tensor4d(flat, [pixels.length, input.height, input.width, input.channels]);
}

/** Rows `[from, to)` of a batch tensor. */
export function rows<T extends tf.Tensor>(t: T, from: number, to: number): T {
  return tf.slice(t, [from, ...t.shape.slice(1).map(() => 0)], [to - from, ...t.shape.slice(1).map(() => -1)]) as T;
}
