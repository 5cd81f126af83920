import * as tf from '@tensorflow/tfjs-core';
import { ensureGradientKernels } from '../backends/gradient-kernels';
import { GradCamError, formatShape } from '../errors';
import { assertRank } from './assert';
import { type ClassIndex, classIndexPerImage } from './class-index';

/**
 * The part of a model after the target layer: maps activations `[N,h,w,C]` to pre-softmax
 * class scores `[N,K]`. It must treat images independently (inference mode), as a model's
 * `predict` does.
 */
export type ScoreHead = (activations: tf.Tensor4D) => tf.Tensor2D;

/** What {@link gradientsForClass} returns; the caller owns (and disposes) the tensors. */
export interface ClassGradients {
  /** `[N,h,w,C]`: ∂(image n's class score)/∂(image n's activations). */
  gradients: tf.Tensor4D;
  /** `[N]`: each image's score for its class. */
  scores: tf.Tensor1D;
  /** `[N]` int32: the class each image was explained for. */
  classIndex: tf.Tensor1D;
}

/** What {@link gradientsOfScores} returns; the caller owns (and disposes) the tensors. */
export interface ScoreGradients {
  /** `[N,h,w,C]`: ∂(image n's score)/∂(image n's activations). */
  gradients: tf.Tensor4D;
  /** `[N]`: each image's score. */
  scores: tf.Tensor1D;
}

/**
 * The gradient of one score per image with respect to that image's activations, in one backward
 * pass: `score` maps activations `[N,h,w,C]` to scores `[N]` (e.g. a sum over a segmentation
 * mask, or a regression output) and must treat images independently.
 *
 * Scores are differentiated as their sum: since images are independent, the gradient of the sum
 * w.r.t. image n's activations is exactly the gradient of image n's own score.
 *
 * @throws GradCamError `SHAPE_MISMATCH` unless `activations` is 4-D and `score` returns `[N]`.
 */
export function gradientsOfScores(score: (a: tf.Tensor4D) => tf.Tensor1D, activations: tf.Tensor4D): ScoreGradients {
  assertRank(activations, 4, 'activations', '[N,h,w,C]');
  const batch = activations.shape[0];
  let failure: unknown;
  const scoreSafely = (a: tf.Tensor4D): tf.Tensor1D => {
    try {
      const s = score(a);
      if (s.rank !== 1 || s.shape[0] !== batch) {
        throw new GradCamError(
          'SHAPE_MISMATCH',
          `the score function must return one score per image, [${batch}], got ${formatShape(s.shape)}.`,
        );
      }
      return s;
    } catch (err) {
      // Throwing inside the tape would strand the tensors it saved for the backward pass;
      // finish a trivial backward pass instead (it frees them), then rethrow.
      failure = err;
      return tf.mul(tf.sum(a, [1, 2, 3]), 0) as tf.Tensor1D;
    }
  };

  ensureGradientKernels();
  const seed = tf.ones([batch]) as tf.Tensor1D;
  try {
    const { value, grad } = withGradientErrors(() => tf.valueAndGrad(scoreSafely)(activations, seed));
    if (failure !== undefined) {
      tf.dispose([value, grad]);
      throw failure;
    }
    return { gradients: grad, scores: value };
  } finally {
    seed.dispose();
  }
}

/**
 * Frees what a backward pass that failed half-way leaves: the tensors its tape saved for the
 * backward pass, as tfjs does itself after a backward pass that succeeds.
 */
function releaseTape(): void {
  const state = tf.engine().state as unknown as { gradientDepth: number; activeTape: Array<{ saved?: tf.Tensor[] }> | null };
  if (state.gradientDepth !== 0 || state.activeTape === null) return;
  for (const node of state.activeTape) for (const t of node.saved ?? []) t.dispose();
  state.activeTape = null;
}

/** Runs `f`, turning tfjs's "gradient function not found for Op" into a GradCamError that says what to do. */
function withGradientErrors<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    const op = err instanceof Error ? /gradient function not found for (\w+)/.exec(err.message)?.[1] : undefined;
    if (op === undefined) throw err;
    releaseTape();
    throw new GradCamError(
      'UNSUPPORTED_MODEL',
      `The op ${op}, after the target layer, has no gradient in TensorFlow.js, so gradient methods cannot pass ` +
        'through it. Use a gradient-free method (scorecam, ablationcam or eigencam), or a target layer after that op.',
    );
  }
}

/**
 * Picks each row's score for its class with a one-hot mask (no `gather`, whose gradient some
 * backends lack): `scores [B,K]`, `classes [B]` int32 → `[B]`.
 *
 * @throws GradCamError `SHAPE_MISMATCH` for other ranks or batch sizes.
 */
export function selectClassScores(scores: tf.Tensor2D, classes: tf.Tensor1D): tf.Tensor1D {
  assertRank(scores, 2, 'scores', '[B,K]');
  assertRank(classes, 1, 'classes', '[B]');
  if (classes.shape[0] !== scores.shape[0]) {
    throw new GradCamError('SHAPE_MISMATCH', `classes ${formatShape(classes.shape)} must have one entry per row of scores ${formatShape(scores.shape)}.`);
  }
  return tf.tidy(() => {
    const numClasses = scores.shape[1];
    // oneHot needs depth ≥ 2, and the wasm kernel ignores its dtype argument: hence the cast.
    const mask = numClasses === 1 ? tf.onesLike(scores) : tf.cast(tf.oneHot(classes, numClasses), 'float32');
    return tf.sum(tf.mul(scores, mask), 1) as tf.Tensor1D;
  });
}

/**
 * Step 1 of Grad-CAM: the gradient of each image's class score with respect to its own
 * activations, in one backward pass through `head`.
 *
 * @param head maps activations `[N,h,w,C]` to pre-softmax scores `[N,K]`.
 * @param activations `[N,h,w,C]` target-layer activations.
 * @param classIndex one class for all images, one per image, or omitted for each image's
 *   top-scoring class.
 * @throws GradCamError `BAD_CLASS_INDEX`, `SHAPE_MISMATCH`, or `UNSUPPORTED_MODEL` when the
 *   head does not return `[N,K]`. Nothing leaks when it throws.
 */
export function gradientsForClass(head: ScoreHead, activations: tf.Tensor4D, classIndex?: ClassIndex): ClassGradients {
  assertRank(activations, 4, 'activations', '[N,h,w,C]');
  const batch = activations.shape[0];
  // Checked here too, so that a bad index fails before the head runs.
  if (classIndex !== undefined) classIndexPerImage(classIndex, batch);
  let chosen: tf.Tensor1D | undefined;
  const classScore = (a: tf.Tensor4D): tf.Tensor1D => {
    const scores = head(a);
    if (scores.rank !== 2 || scores.shape[0] !== batch) {
      throw new GradCamError(
        'UNSUPPORTED_MODEL',
        `the head must return class scores [N,K] with N=${batch}, got ${formatShape(scores.shape)}.`,
      );
    }
    const cls =
      classIndex === undefined
        ? (tf.cast(tf.argMax(scores, 1), 'int32') as tf.Tensor1D)
        : tf.tensor1d(classIndexPerImage(classIndex, batch, scores.shape[1]), 'int32');
    chosen = tf.keep(cls);
    return selectClassScores(scores, cls);
  };
  try {
    const { gradients, scores } = gradientsOfScores(classScore, activations);
    // `chosen` had to be kept to leave the tape; hand out a plain handle that the caller's
    // tf.tidy tracks like the other results.
    return { gradients, scores, classIndex: tf.clone(chosen as tf.Tensor1D) };
  } finally {
    chosen?.dispose();
  }
}
