import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { assertRank } from './core/assert';
import { type ClassIndex, classIndexPerImage } from './core/class-index';
import { gradientsForClass } from './core/gradients';
import { GradCamError, formatShape } from './errors';
import { isGraphModel } from './model/graph-model';
import { assertGuidable, guidedLogits } from './model/guided';
import { toInputBatch } from './model/input';
import { checkModel } from './model/split-model';
import { readClassesAndScores } from './readback';
import { type Steps, runAsync, runSync } from './steps';

/** Options of {@link guidedBackprop}. */
export interface GuidedBackpropOptions {
  /**
   * The class to explain: one for every image, or one per image. Omitted: each image's
   * top-scoring class.
   */
  classIndex?: ClassIndex;
}

/** The result of {@link guidedBackprop}. It owns its tensor: call `dispose()` when done. */
export interface GuidedBackpropResult {
  /**
   * `[N,H,W,C]`: the guided gradient of each image's class logit w.r.t. its input pixels, raw
   * (signed, unscaled). {@link deprocessSaliency} makes it displayable; {@link guidedGradCam}
   * combines it with a Grad-CAM heatmap.
   */
  readonly saliency: tf.Tensor4D;
  /** The class explained for each image. */
  readonly classIndex: number[];
  /** Each image's pre-softmax score for its class. */
  readonly scores: number[];
  /** Frees `saliency`. */
  dispose(): void;
}

/**
 * Guided backpropagation (Springenberg et al., 2015): the gradient of each image's class logit
 * w.r.t. its input, where every ReLU passes gradient back only where its input was positive and
 * the gradient reaching it is positive. The result is a fine-grained, pixel-level saliency map.
 *
 * The whole model runs in inference mode with its rectifiers guided: `ReLU` and
 * `Activation('relu')` layers, and the relu activation of Dense and convolution layers, nested
 * models included. Capped rectifiers (`relu6`, `ReLU({maxValue})`) are guided too (gradient
 * where 0 < x < cap and positive); pytorch-grad-cam guides only `nn.ReLU`, so on such models the
 * two differ by design. The model's final softmax is dropped, as for Grad-CAM. One forward and
 * one backward pass for the whole batch; the model is never modified.
 *
 * @example
 * ```ts
 * const gb = guidedBackprop(model, image);
 * const cam = new GradCam(model).explain(image, { classIndex: gb.classIndex });
 * const ggc = guidedGradCam(gb.saliency, cam.heatmap);
 * const picture = deprocessSaliency(ggc);           // [N,H,W,C] in [0, 1]
 * ```
 *
 * @param model a LayersModel with one image input `[null,H,W,C]` and one output `[null,K]`.
 * @param input `[H,W,C]` or `[N,H,W,C]` images, preprocessed as the model expects.
 * @throws GradCamError `UNSUPPORTED_MODEL` (several inputs or outputs, an output that is not
 *   `[N,K]`, or a relu activation that cannot be guided), `BAD_INPUT`, `NON_FINITE_INPUT`,
 *   `BAD_CLASS_INDEX` or `NON_FINITE_RESULT`. Nothing leaks when it throws.
 */
export function guidedBackprop(
  model: LayersModel,
  input: tf.Tensor,
  options: GuidedBackpropOptions = {},
): GuidedBackpropResult {
  return runSync(guidedBackpropSteps(model, input, options));
}

/**
 * {@link guidedBackprop} without blocking: the same result, but nothing is read back
 * synchronously (`await data()` instead of `dataSync()`). Keep `input` alive until the promise
 * settles.
 *
 * @returns resolves to the result; rejects with the `GradCamError` that `guidedBackprop` would throw.
 */
export function guidedBackpropAsync(
  model: LayersModel,
  input: tf.Tensor,
  options: GuidedBackpropOptions = {},
): Promise<GuidedBackpropResult> {
  return runAsync(() => guidedBackpropSteps(model, input, options));
}

/** Guided backpropagation as steps (see `steps.ts`): the one pipeline behind both calls. */
function* guidedBackpropSteps(model: LayersModel, input: tf.Tensor, options: GuidedBackpropOptions): Steps<GuidedBackpropResult> {
  if (isGraphModel(model)) {
    throw new GradCamError('UNSUPPORTED_MODEL', 'guidedBackprop takes LayersModels; for a GraphModel use GradCam (any method).');
  }
  const { inputShape, outputShape, numClasses } = checkModel(model);
  if (outputShape.length !== 2) {
    throw new GradCamError(
      'UNSUPPORTED_MODEL',
      `Model "${model.name}" outputs ${formatShape(outputShape)}; guided backpropagation needs class scores [N,K].`,
    );
  }
  assertGuidable(model);
  const batch = toInputBatch(input, inputShape);
  try {
    const classIndex =
      options.classIndex === undefined ? undefined : classIndexPerImage(options.classIndex, batch.shape[0], numClasses);
    // The input plays the part of the activations: one backward pass through the guided model.
    const guided = gradientsForClass((x) => guidedLogits(model, x) as tf.Tensor2D, batch, classIndex);
    try {
      const read = yield* readClassesAndScores(guided.classIndex, guided.scores, batch, guided.gradients, 'gradient');
      const saliency = guided.gradients;
      return { saliency, ...read, dispose: () => saliency.dispose() };
    } catch (err) {
      guided.gradients.dispose();
      throw err;
    } finally {
      tf.dispose([guided.scores, guided.classIndex]);
    }
  } finally {
    batch.dispose();
  }
}

/**
 * Guided Grad-CAM (Selvaraju et al., 2017): the guided-backprop saliency weighted by the
 * Grad-CAM heatmap, per pixel and channel, `saliency[n,y,x,c] · heatmap[n,y,x]`. Both must be
 * for the same images and classes, at the input's size. Like pytorch-grad-cam's example, the
 * product is raw: pass it to {@link deprocessSaliency} to display it.
 *
 * @param saliency `[N,H,W,C]`, e.g. {@link GuidedBackpropResult.saliency}.
 * @param heatmap `[N,H,W]`, e.g. a Grad-CAM result's `heatmap`.
 * @returns `[N,H,W,C]`, owned by the caller.
 * @throws GradCamError `SHAPE_MISMATCH` when the ranks or the sizes N, H, W differ.
 */
export function guidedGradCam(saliency: tf.Tensor4D, heatmap: tf.Tensor3D): tf.Tensor4D {
  assertRank(saliency, 4, 'saliency', '[N,H,W,C]');
  assertRank(heatmap, 3, 'heatmap', '[N,H,W]');
  if (saliency.shape.slice(0, 3).some((d, i) => d !== heatmap.shape[i])) {
    throw new GradCamError(
      'SHAPE_MISMATCH',
      `saliency ${formatShape(saliency.shape)} and heatmap ${formatShape(heatmap.shape)} must have the same ` +
        'batch size, height and width; resize the heatmap to the input size (camToHeatmap does).',
    );
  }
  return tf.tidy(() => tf.mul(saliency, tf.expandDims(heatmap, 3)) as tf.Tensor4D);
}

/**
 * Makes a saliency map displayable, as pytorch-grad-cam's `deprocess_image`: per image (over
 * all its pixels and channels), `clip((x − mean) / (std + 1e-5) · 0.1 + 0.5, 0, 1)`, with the
 * population standard deviation. So 0.5 is the image's mean, and ±5 standard deviations reach
 * 0 and 1. Unlike pytorch-grad-cam, the result stays float in [0, 1] (they return
 * `uint8(255·x)`): multiply by 255 for bytes.
 *
 * @param saliency `[N,H,W,C]`, e.g. {@link GuidedBackpropResult.saliency} or a
 *   {@link guidedGradCam} result.
 * @returns `[N,H,W,C]` in [0, 1], owned by the caller.
 * @throws GradCamError `SHAPE_MISMATCH` unless `saliency` is 4-D.
 */
export function deprocessSaliency(saliency: tf.Tensor4D): tf.Tensor4D {
  assertRank(saliency, 4, 'saliency', '[N,H,W,C]');
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(saliency, [1, 2, 3], true);
    const standardized = tf.div(tf.sub(saliency, mean), tf.add(tf.sqrt(variance), 1e-5));
    return tf.clipByValue(tf.add(tf.mul(standardized, 0.1), 0.5), 0, 1) as tf.Tensor4D;
  });
}
