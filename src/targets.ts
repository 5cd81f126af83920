import * as tf from '@tensorflow/tfjs-core';
import { selectRows } from './core/rows';
import { GradCamError, formatShape } from './errors';
import type { TargetFunction } from './explain';

/**
 * Ready targets for `explain(x, { target })`: what to explain when it is not "the top class".
 * Each maps the explained output `[B,...]` (pre-softmax/sigmoid scores unless `score:
 * 'probability'`) to one score per row `[B]`; per-image data (masks, embeddings) follows the
 * rows through `imageIndex`, so they stay right under ScoreCAM and AblationCAM.
 */

/** A {@link TargetFunction} that explains one class; the result then reports it in `classIndex`. */
export type ClassTarget = TargetFunction & { readonly classIndex: number };

/**
 * Explains class `k`: the score of output column k, like `classIndex: k` (which the result
 * reports, and which is checked against the model's classes).
 *
 * @example
 * ```ts
 * gc.explain(image, { target: classTarget(281) }); // "tabby cat"
 * ```
 * @throws GradCamError `BAD_CLASS_INDEX` unless k is a non-negative integer.
 */
export function classTarget(k: number): ClassTarget {
  if (!Number.isInteger(k) || k < 0) throw new GradCamError('BAD_CLASS_INDEX', `classTarget needs a non-negative integer class, got ${k}.`);
  const score = (output: tf.Tensor): tf.Tensor1D => column(output, k, 'classTarget');
  return Object.assign(score, { classIndex: k });
}

/** The class a {@link classTarget} names, or undefined for any other target. */
export function classOfTarget(target: TargetFunction | undefined): number | undefined {
  const k = (target as Partial<ClassTarget> | undefined)?.classIndex;
  return typeof k === 'number' ? k : undefined;
}

/**
 * A single-logit binary classifier (output `[N,1]`): the logit — a final sigmoid is left out,
 * as a softmax is — for the positive class, its negation for the negative one.
 *
 * @example
 * ```ts
 * gc.explain(xray, { target: binaryTarget() });      // what says "positive"
 * gc.explain(xray, { target: binaryTarget(false) }); // what says "negative"
 * ```
 */
export function binaryTarget(positive = true): TargetFunction {
  return (output) => {
    if (output.rank !== 2 || output.shape[1] !== 1) {
      throw new GradCamError(
        'BAD_OPTION',
        `binaryTarget needs a single-logit output [N,1], got ${formatShape(output.shape)}; use classTarget for several classes.`,
      );
    }
    const logit = tf.reshape(output, [output.shape[0]]) as tf.Tensor1D;
    return positive ? logit : (tf.neg(logit) as tf.Tensor1D);
  };
}

/**
 * A regression output `[N,D]`: the value of output `index` (default 0), as it is (no softmax is
 * involved). Positive regions are those that raise it.
 *
 * @example
 * ```ts
 * const gc = new GradCam(model, { outputName: 'age' });
 * gc.explain(face, { target: regressionTarget() });
 * ```
 * @throws GradCamError `BAD_OPTION` unless index is a non-negative integer.
 */
export function regressionTarget(index = 0): TargetFunction {
  if (!Number.isInteger(index) || index < 0) {
    throw new GradCamError('BAD_OPTION', `regressionTarget needs a non-negative integer index, got ${index}.`);
  }
  return (output) => column(output, index, 'regressionTarget');
}

/**
 * Semantic segmentation (pytorch-grad-cam's `SemanticSegmentationTarget`): for an output
 * `[N,H,W,K]`, the sum over pixels of class `classIndex`'s channel times `mask`. The mask, at
 * the output's resolution, is `[H,W]` for every image or `[N,H,W]` one per image; 0/1 or weights.
 * The mask stays the caller's: keep it until the explanation is done.
 *
 * @example
 * ```ts
 * const mask = tf.tidy(() => tf.cast(tf.equal(tf.argMax(seg.predict(x), -1).squeeze([0]), 7), 'float32'));
 * gc.explain(x, { target: segmentationTarget(mask, 7) }); // why these pixels are "car"
 * ```
 * @throws GradCamError `BAD_OPTION` for a mask that is not `[H,W]` or `[N,H,W]` or a bad class.
 */
export function segmentationTarget(mask: tf.Tensor, classIndex: number): TargetFunction {
  if (!(mask instanceof tf.Tensor) || (mask.rank !== 2 && mask.rank !== 3)) {
    throw new GradCamError('BAD_OPTION', 'segmentationTarget needs a mask tensor [H,W] or [N,H,W].');
  }
  if (!Number.isInteger(classIndex) || classIndex < 0) {
    throw new GradCamError('BAD_CLASS_INDEX', `segmentationTarget needs a non-negative integer class, got ${classIndex}.`);
  }
  return (output, imageIndex) => {
    const [h, w] = mask.shape.slice(-2);
    if (output.rank !== 4 || output.shape[1] !== h || output.shape[2] !== w || classIndex >= (output.shape[3] ?? 0)) {
      throw new GradCamError(
        'SHAPE_MISMATCH',
        `segmentationTarget's mask ${formatShape(mask.shape)} and class ${classIndex} need an output [N,${h},${w},K>${classIndex}], ` +
          `got ${formatShape(output.shape)}.`,
      );
    }
    const channel = tf.reshape(tf.slice(output, [0, 0, 0, classIndex], [-1, h, w, 1]), [-1, h, w]);
    const weights = mask.rank === 2 ? mask : perImage(mask, imageIndex, 'segmentationTarget mask');
    return tf.sum(tf.mul(channel, tf.cast(weights, 'float32')), [1, 2]) as tf.Tensor1D;
  };
}

/**
 * An embedding model (pytorch-grad-cam's `SimilarityToConceptTarget`): the cosine similarity of
 * the output `[N,D]` to `embedding`, `[D]` for every image or `[N,D]` one per image —
 * `o·e / max(‖o‖‖e‖, 1e-8)`. The embedding stays the caller's.
 *
 * @example
 * ```ts
 * const concept = embedder.predict(referenceImage).squeeze([0]); // [D]
 * gc.explain(x, { target: similarityTarget(concept) });          // what makes x look like it
 * ```
 * @throws GradCamError `BAD_OPTION` for an embedding that is not `[D]` or `[N,D]`.
 */
export function similarityTarget(embedding: tf.Tensor): TargetFunction {
  if (!(embedding instanceof tf.Tensor) || (embedding.rank !== 1 && embedding.rank !== 2)) {
    throw new GradCamError('BAD_OPTION', 'similarityTarget needs an embedding tensor [D] or [N,D].');
  }
  return (output, imageIndex) => {
    const d = embedding.shape[embedding.rank - 1];
    if (output.rank !== 2 || output.shape[1] !== d) {
      throw new GradCamError('SHAPE_MISMATCH', `similarityTarget's embedding has ${d} dimensions; the output is ${formatShape(output.shape)}.`);
    }
    const e = embedding.rank === 1 ? tf.reshape(embedding, [1, d]) : perImage(embedding, imageIndex, 'similarityTarget embedding');
    const dot = tf.sum(tf.mul(output, e), 1);
    const norms = tf.mul(tf.norm(output, 'euclidean', 1), tf.norm(e, 'euclidean', 1));
    return tf.div(dot, tf.maximum(norms, 1e-8)) as tf.Tensor1D;
  };
}

/** Column `k` of an output `[B,K]`, as `[B]`. */
function column(output: tf.Tensor, k: number, who: string): tf.Tensor1D {
  if (output.rank !== 2 || k >= (output.shape[1] ?? 0)) {
    throw new GradCamError('BAD_OPTION', `${who}(${k}) needs an output [N,K] with K > ${k}, got ${formatShape(output.shape)}.`);
  }
  return tf.reshape(tf.slice(output, [0, k], [-1, 1]), [-1]) as tf.Tensor1D;
}

/** The rows of a per-image tensor `[N,...]` that go with each row's image. */
function perImage<T extends tf.Tensor>(t: T, imageIndex: readonly number[], what: string): T {
  const bad = imageIndex.find((i) => i >= t.shape[0]);
  if (bad !== undefined) {
    throw new GradCamError('SHAPE_MISMATCH', `${what} ${formatShape(t.shape)} has no row for image ${bad}: give one per image, or one for all.`);
  }
  return selectRows(t, imageIndex);
}
