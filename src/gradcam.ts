import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { type ClassIndex, classIndexPerImage } from './core/class-index';
import { gradientsForClass } from './core/gradients';
import { camToHeatmap } from './core/heatmap';
import { weightedActivationMap } from './core/weighted-map';
import { GradCamError } from './errors';
import { gradCamMethod } from './methods/gradcam';
import { toInputBatch } from './model/input';
import { type ModelSplit, splitModel } from './model/split-model';

/** Options of the {@link GradCam} constructor. */
export interface GradCamOptions {
  /**
   * The target layer: its name, or `outer/inner` for a layer inside a nested model (a bare
   * inner name works when it is unique). Omitted: the last layer whose output is a feature map
   * `[N,h,w,C]` with a spatial size above 1×1 — usually the last convolutional block.
   */
  layerName?: string;
}

/** Options of {@link GradCam.explain}. */
export interface ExplainOptions {
  /**
   * The class to explain: one for every image, or one per image. Omitted: each image's
   * top-scoring class.
   */
  classIndex?: ClassIndex;
}

/** The result of {@link GradCam.explain}. It owns its tensors: call `dispose()` when done. */
export interface GradCamResult {
  /** `[N,H,W]` in [0, 1] at the input's size: `normalize(bilinearResize(normalize(cam)))`. */
  readonly heatmap: tf.Tensor3D;
  /** `[N,h,w]` at feature resolution: `ReLU(Σ_c w_c·A_c)`, before any normalization. */
  readonly cam: tf.Tensor3D;
  /** The class explained for each image. */
  readonly classIndex: number[];
  /** Each image's pre-softmax score for its class. */
  readonly scores: number[];
  /** The target layer the maps come from. */
  readonly layerName: string;
  /** Frees `heatmap` and `cam`. */
  dispose(): void;
}

/**
 * Grad-CAM for any tfjs LayersModel (Selvaraju et al., 2017).
 *
 * The constructor finds the target layer and plans the cut of the model there, once; each
 * {@link GradCam.explain} then runs the part before the layer once and differentiates only the
 * part after it. The model is never modified.
 *
 * @example
 * ```ts
 * const gc = new GradCam(model);                 // last conv layer
 * const r = gc.explain(image);                   // image [H,W,3] or [N,H,W,3]
 * const overlay = blend(image, r.heatmap, { alpha: 0.4 });
 * r.dispose(); overlay.dispose();
 * ```
 */
export class GradCam {
  /** The resolved target layer (`outer/inner` inside a nested model). */
  readonly layerName: string;
  private readonly split: ModelSplit;

  /**
   * @throws GradCamError `UNKNOWN_LAYER` (the message lists the candidate layers),
   *   `NOT_A_FEATURE_MAP`, `NO_FEATURE_MAP_LAYER`, `SHARED_LAYER` or `UNSUPPORTED_MODEL`.
   */
  constructor(model: LayersModel, options: GradCamOptions = {}) {
    this.split = splitModel(model, options.layerName);
    this.layerName = this.split.layerName;
  }

  /**
   * Explains the model's decision for each image of `input`.
   *
   * @param input `[H,W,C]` or `[N,H,W,C]` images, preprocessed as the model expects.
   * @throws GradCamError `BAD_INPUT`, `NON_FINITE_INPUT`, `BAD_CLASS_INDEX` or
   *   `NON_FINITE_RESULT`. Nothing leaks when it throws.
   */
  explain(input: tf.Tensor, options: ExplainOptions = {}): GradCamResult {
    const batch = toInputBatch(input, this.split.inputShape);
    const owned: Array<{ dispose(): void }> = [batch];
    try {
      const [n, height, width] = batch.shape;
      const classIndex =
        options.classIndex === undefined ? undefined : classIndexPerImage(options.classIndex, n, this.split.numClasses);
      const inputFinite = tf.tidy(() => tf.all(tf.isFinite(batch)));
      owned.push(inputFinite);

      const pass = this.split.forward(batch);
      owned.push(pass);
      const grads = gradientsForClass(pass.head, pass.activations, classIndex);
      owned.push(grads.gradients, grads.scores, grads.classIndex);

      const cam = tf.tidy(() =>
        weightedActivationMap(pass.activations, gradCamMethod.channelWeights(pass.activations, grads.gradients)),
      );
      const heatmap = camToHeatmap(cam, [height, width]);
      owned.push(cam, heatmap);

      // One read at the end, after all the work is queued.
      const summary = tf.tidy(() =>
        tf.concat([
          tf.cast(grads.classIndex, 'float32'),
          grads.scores,
          tf.cast(tf.stack([inputFinite, tf.all(tf.isFinite(heatmap))]), 'float32'),
        ]),
      );
      const values = Array.from(summary.dataSync());
      summary.dispose();
      if (values[2 * n] !== 1) {
        throw new GradCamError('NON_FINITE_INPUT', 'input contains NaN or Infinity; check the preprocessing.');
      }
      const scores = values.slice(n, 2 * n);
      if (values[2 * n + 1] !== 1 || !scores.every(Number.isFinite)) {
        throw new GradCamError(
          'NON_FINITE_RESULT',
          `the model produced a non-finite score or map at layer "${this.layerName}" (scores: ${scores.join(', ')}); ` +
            'check its weights.',
        );
      }
      owned.splice(owned.indexOf(cam), 2); // cam and heatmap now belong to the result
      return {
        heatmap,
        cam,
        classIndex: values.slice(0, n),
        scores,
        layerName: this.layerName,
        dispose: () => {
          heatmap.dispose();
          cam.dispose();
        },
      };
    } finally {
      for (const t of owned) t.dispose();
    }
  }
}
