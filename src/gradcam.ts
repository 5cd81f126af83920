import * as tf from '@tensorflow/tfjs-core';
import type { ClassIndex } from './core/class-index';
import { checkOptionsObject, positiveIntegerOption } from './core/options';
import { normalize as normalizeMaps } from './core/normalize';
import { bilinearResize } from './core/resize';
import { GradCamError } from './errors';
import { type MapSettings, type TargetFunction, type Targets, layerMaps, targetsOf } from './explain';
import { METHODS } from './methods';
import { CAM_METHODS, type CamMethodName } from './methods/method';
import { kernelCachingOf } from './model/dense-head';
import { type ExplainableModel, splitExplainable } from './model/explainable';
import type { OtherInputs } from './model/feeds';
import type { ReshapeTransform } from './model/reshape';
import { toInputBatch } from './model/input';
import type { ModelSplit } from './model/split-model';
import { readClassesAndScores } from './readback';
import { AUGMENTATIONS, type Augmentation } from './augment';
import { type Steps, runAsync, runSync } from './steps';
import { topKIndices } from './core/top-k';

/** Options of the {@link GradCam} constructor. */
export interface GradCamOptions {
  /**
   * The target layer: its name, or `outer/inner` for a layer inside a nested model (a bare
   * inner name works when it is unique). Several layers: their maps are normalized, resized,
   * averaged and normalized again, as pytorch-grad-cam does. Omitted: the last layer whose output
   * is a feature map `[N,h,w,C]` with a spatial size above 1×1 — usually the last convolutional
   * block. For a GraphModel: a node name (`featureMapLayers(model)` lists them); omitted, the
   * last such node that every path to the output goes through.
   */
  layerName?: string | readonly string[];
  /**
   * Keep transposed copies of the Dense kernels after the target layer(s) (in a GraphModel, of
   * its dense `MatMul` nodes on every path to the scores): the backward pass then costs about as
   * much as the forward pass of those layers, at the price of their memory once more.
   * `true` (default): every kernel (VGG16: +494 MB; MobileNetV2: +5 MB) — the fastest
   * explainer for many images. `'auto'`: kernels of at most 2²² weights (16 MB) only — for a
   * few images: a bigger kernel's copy takes seconds to make and for wasm to repack on its first
   * use (VGG16's fc1 and fc2: 3–6 s, +822 MB of wasm memory) and pays back only after about a
   * hundred explanations (VGG16 on wasm: ~5–8% slower each without it). `false`: none. The worker
   * pool and the command choose by the number of images. Call {@link GradCam.dispose} when done.
   */
  cacheTransposedKernels?: boolean | 'auto';
  /** The image input, one of `model.inputNames`; needed when the model has several inputs. */
  inputName?: string;
  /**
   * The output to explain, one of `model.outputNames`; needed when the model has several
   * outputs (a classifier and a regressor head, say).
   */
  outputName?: string;
  /**
   * Sees a target layer whose output is not a feature map (a ViT block's tokens `[N,T,C]`) as
   * one, `[N,h,w,C]`: e.g. {@link tokensToGrid}. It must move whole rows of C channels (reshape,
   * drop or reorder tokens); the gradients go through the same transform. Checked at construction.
   */
  reshapeTransform?: ReshapeTransform;
}

/** Progress of a long explanation (ScoreCAM, AblationCAM), reported through `onProgress`. */
export interface ExplainProgress {
  readonly method: CamMethodName;
  readonly layerName: string;
  /** Work done so far, out of `total`, in the method's own units (images scored). */
  readonly done: number;
  readonly total: number;
}

/** Options of {@link GradCam.explain}. */
export interface ExplainOptions {
  /**
   * The class to explain: one for every image, or one per image. Omitted: each image's
   * top-scoring class. Not with `target`.
   */
  classIndex?: ClassIndex;
  /**
   * What to explain instead of a class: maps the model's output `[N,...]` to one score per
   * image `[N]` — e.g. a sum over a segmentation mask, or a regression output. It must score
   * each row on its own (perturbation methods call it on batches of variants of one image).
   */
  target?: TargetFunction;
  /** The CAM method (default `'gradcam'`): one of {@link CAM_METHODS}. */
  method?: CamMethodName;
  /** Differentiate the class `'logit'` (default, before the final softmax) or its `'probability'`. */
  score?: 'logit' | 'probability';
  /** Counterfactual explanation: negated gradients — the regions whose removal would raise the score. */
  counterfactual?: boolean;
  /** Apply the ReLU to the map (default true). `false` with `normalize: false` gives the raw signed map. */
  relu?: boolean;
  /** Min-max normalize the maps (default true). `false`: `heatmap` is the resized map in its own units. */
  normalize?: boolean;
  /** Replace the channel sum by a projection on the first principal component (less noise). */
  eigenSmooth?: boolean;
  /**
   * Average the heatmaps over six augmented copies of each image — horizontal flip × brightness
   * 0.9/1/1.1 — mapped back onto the image (test-time augmentation; six times the work).
   */
  augSmooth?: boolean;
  /** How many variants ScoreCAM and AblationCAM score per forward pass (default 32). */
  batchSize?: number;
  /**
   * ScoreCAM and AblationCAM: score only each image's `maxChannels` channels of largest spatial
   * variance (Faster-ScoreCAM, tf-keras-vis's `max_N`); ScoreCAM's softmax runs over those, the
   * other channels weigh 0. A positive integer; at least the layer's C is plain ScoreCAM.
   */
  maxChannels?: number;
  /**
   * The model's other inputs, by input name, held fixed while the image input is explained:
   * `[N,...]`, or `[1,...]` shared by the batch (perturbation methods pair each variant with
   * its image's).
   */
  otherInputs?: OtherInputs;
  /** Called as ScoreCAM and AblationCAM progress. */
  onProgress?: (progress: ExplainProgress) => void;
}

/** Options of {@link GradCam.explainTopK}: those of `explain` that apply to several classes at once. */
export type TopKOptions = Omit<ExplainOptions, 'classIndex' | 'target' | 'augSmooth'>;

/** The result of {@link GradCam.explain}. It owns its tensors: call `dispose()` when done. */
export interface GradCamResult {
  /** `[N,H,W]` at the input's size: in [0, 1] unless `normalize: false`. */
  readonly heatmap: tf.Tensor3D;
  /** `[N,h,w]` the first target layer's map at feature resolution, after the ReLU, before any normalization. */
  readonly cam: tf.Tensor3D;
  /** One map like `cam` per target layer (`cams[0]` is `cam`). */
  readonly cams: readonly tf.Tensor3D[];
  /** The class explained for each image; −1 when a `target` function was used. */
  readonly classIndex: number[];
  /** Each image's score: its class logit (or probability with `score: 'probability'`), or the target's value. */
  readonly scores: number[];
  /** The (first) target layer. */
  readonly layerName: string;
  /** All target layers. */
  readonly layerNames: readonly string[];
  /** The method that made the maps. */
  readonly method: CamMethodName;
  /**
   * `[N,...]`: the explained output for each image as `predict` gives it (final softmax
   * included; with `outputName`, that output), from the same forward pass as the maps.
   */
  readonly output: tf.Tensor;
  /** Frees every tensor of the result. */
  dispose(): void;
}

/**
 * Grad-CAM and its family for any tfjs LayersModel or tfjs-converter GraphModel.
 *
 * The constructor finds the target layer(s) and plans the cut of the model there, once; each
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
  /** The resolved (first) target layer (`outer/inner` inside a nested model). */
  readonly layerName: string;
  /** Every resolved target layer. */
  readonly layerNames: readonly string[];
  private readonly splits: readonly ModelSplit[];

  /**
   * @throws GradCamError `UNKNOWN_LAYER` (the message lists the candidate layers),
   *   `NOT_A_FEATURE_MAP`, `NO_FEATURE_MAP_LAYER`, `SHARED_LAYER` or `UNSUPPORTED_MODEL`.
   */
  constructor(model: ExplainableModel, options: GradCamOptions = {}) {
    const names = options.layerName === undefined ? [undefined] : ([] as Array<string | undefined>).concat(options.layerName);
    if (names.length === 0) throw new GradCamError('BAD_OPTION', 'layerName must name at least one layer.');
    const { inputName, outputName, reshapeTransform } = options;
    const cacheTransposedKernels = kernelCachingOf(options.cacheTransposedKernels, true);
    const splits: ModelSplit[] = [];
    try {
      for (const name of names) splits.push(splitExplainable(model, name, { cacheTransposedKernels, inputName, outputName, reshapeTransform }));
    } catch (err) {
      // The splits made before a bad name hold transposed kernels: free them.
      for (const split of splits) split.dispose();
      throw err;
    }
    this.splits = splits;
    this.layerNames = this.splits.map((s) => s.layerName);
    this.layerName = this.layerNames[0];
  }

  /**
   * Explains the model's decision for each image of `input`. Reads the classes and scores back
   * with one synchronous `dataSync()`, which holds a page's main thread until the device is
   * done: in a page, prefer {@link GradCam.explainAsync}.
   *
   * @param input `[H,W,C]` or `[N,H,W,C]` images, preprocessed as the model expects.
   * @throws GradCamError `BAD_INPUT`, `NON_FINITE_INPUT`, `BAD_CLASS_INDEX`, `BAD_OPTION`,
   *   `UNSUPPORTED_MODEL` (e.g. CAM on a head that is not GAP + Dense) or `NON_FINITE_RESULT`.
   *   Nothing leaks when it throws.
   */
  explain(input: tf.Tensor, options: ExplainOptions = {}): GradCamResult {
    return runSync(this.explainSteps(input, options));
  }

  /**
   * {@link GradCam.explain} without blocking: the same computation and the same result, but
   * nothing is read back synchronously (`await data()` instead of `dataSync()`), and ScoreCAM
   * and AblationCAM hand the event loop back between chunks of forward passes. Calls may
   * overlap; each gives what it would give alone. The heatmaps stay on the device until read.
   *
   * Keep `input` alive until the promise settles (the work starts after a microtask, outside
   * any `tf.tidy` of the caller).
   *
   * @param input `[H,W,C]` or `[N,H,W,C]` images, preprocessed as the model expects.
   * @returns resolves to the result; rejects with the `GradCamError` that `explain` would throw.
   */
  explainAsync(input: tf.Tensor, options: ExplainOptions = {}): Promise<GradCamResult> {
    return runAsync(() => this.explainSteps(input, options));
  }

  /**
   * Explains each image's `k` top-scoring classes with one forward pass: the body runs once and
   * all k classes share one backward pass through the head.
   *
   * @returns k results, best class first; result r holds every image's r-th class.
   * @throws as {@link GradCam.explain}, and `BAD_OPTION` for a `k` outside [1, K].
   */
  explainTopK(input: tf.Tensor, k: number, options: TopKOptions = {}): GradCamResult[] {
    return runSync(this.topKSteps(input, k, options));
  }

  /**
   * {@link GradCam.explainTopK} without blocking, as {@link GradCam.explainAsync} is to `explain`.
   *
   * @returns resolves to k results, best class first; rejects with the `GradCamError` that
   *   `explainTopK` would throw.
   */
  explainTopKAsync(input: tf.Tensor, k: number, options: TopKOptions = {}): Promise<GradCamResult[]> {
    return runAsync(() => this.topKSteps(input, k, options));
  }

  /** `explain` as steps (see `steps.ts`): the one pipeline behind `explain` and `explainAsync`. */
  private *explainSteps(input: tf.Tensor, options: ExplainOptions): Steps<GradCamResult> {
    const settings = this.settings(options);
    const images = toInputBatch(input, this.splits[0].inputShape);
    try {
      const targets = targetsOf(options.classIndex, options.target, options.score ?? 'logit');
      const maps = options.augSmooth ? yield* this.augmentedMaps(images, targets, settings) : yield* this.maps(images, targets, settings);
      return (yield* this.result(maps, images, settings))[0];
    } finally {
      images.dispose();
    }
  }

  /** `explainTopK` as steps. */
  private *topKSteps(input: tf.Tensor, k: number, options: TopKOptions): Steps<GradCamResult[]> {
    const settings = this.settings(options);
    const unsupported = (['classIndex', 'target', 'augSmooth'] as const).find((o) => (options as ExplainOptions)[o] !== undefined);
    if (unsupported !== undefined) {
      throw new GradCamError('BAD_OPTION', `explainTopK does not take ${unsupported}; use explain for it.`);
    }
    const numClasses = this.splits[0].numClasses;
    if (numClasses === undefined) {
      throw new GradCamError('UNSUPPORTED_MODEL', 'explainTopK needs a model that outputs class scores [N,K].');
    }
    if (!Number.isInteger(k) || k < 1 || k > numClasses) {
      throw new GradCamError('BAD_OPTION', `k must be an integer from 1 to ${numClasses} (the number of classes), got ${k}.`);
    }
    const images = toInputBatch(input, this.splits[0].inputShape);
    const n = images.shape[0];
    const pass = this.splits[0].forward(images, settings.otherInputs);
    try {
      const classes = tf.tidy(() => {
        const top = topKIndices(pass.head(pass.activations), k); // [N,k]
        return tf.reshape(tf.transpose(top), [n * k]) as tf.Tensor1D; // rank-major rows
      });
      const rows = Array.from({ length: n * k }, (_, i) => i % n);
      const targets: Targets = { rows, classes, score: options.score ?? 'logit' };
      try {
        const maps = yield* this.maps(images, targets, settings, pass);
        return yield* this.result(maps, images, settings, k);
      } finally {
        classes.dispose();
      }
    } finally {
      pass.dispose();
      images.dispose();
    }
  }

  /** Frees the tensors the explainer keeps (the transposed-kernel cache). The model is untouched. */
  dispose(): void {
    for (const split of this.splits) split.dispose();
  }

  private settings(options: ExplainOptions): Settings {
    checkOptionsObject(options, ['onProgress'], ['counterfactual', 'relu', 'normalize', 'eigenSmooth', 'augSmooth']);
    const method = options.method ?? 'gradcam';
    if (!CAM_METHODS.includes(method)) {
      throw new GradCamError('BAD_OPTION', `Unknown method "${String(method)}"; choose one of: ${CAM_METHODS.join(', ')}.`);
    }
    if (options.target !== undefined && options.classIndex !== undefined) {
      throw new GradCamError('BAD_OPTION', 'Pass either classIndex or target, not both.');
    }
    if (options.target !== undefined && typeof options.target !== 'function') {
      throw new GradCamError('BAD_OPTION', 'target must be a function (output) => scores [N].');
    }
    if (options.counterfactual && !METHODS[method].needsGradients) {
      throw new GradCamError(
        'BAD_OPTION',
        `counterfactual negates the gradients, and ${method} uses none; use a gradient method (e.g. gradcam).`,
      );
    }
    const score = options.score ?? 'logit';
    if (score !== 'logit' && score !== 'probability') {
      throw new GradCamError('BAD_OPTION', `score must be 'logit' or 'probability', got ${String(score)}.`);
    }
    const batchSize = positiveIntegerOption('batchSize', options.batchSize, 32);
    const maxChannels = positiveIntegerOption('maxChannels', options.maxChannels);
    if (maxChannels !== undefined && method !== 'scorecam' && method !== 'ablationcam') {
      throw new GradCamError('BAD_OPTION', `maxChannels applies to scorecam and ablationcam, not ${method}.`);
    }
    return {
      method,
      counterfactual: options.counterfactual ?? false,
      eigenSmooth: options.eigenSmooth ?? false,
      relu: options.relu ?? true,
      normalize: options.normalize ?? true,
      batchSize,
      maxChannels,
      otherInputs: options.otherInputs,
      onProgress: options.onProgress,
    };
  }

  /** Maps of every target layer for the rows of `targets`; the first layer fixes the classes. */
  private *maps(images: tf.Tensor4D, targets: Targets, settings: Settings, firstPass?: ReturnType<ModelSplit['forward']>): Steps<Maps> {
    const cams: tf.Tensor3D[] = [];
    let first: { scores: tf.Tensor1D; classes: tf.Tensor1D | undefined; output: tf.Tensor } | undefined;
    try {
      for (const [i, split] of this.splits.entries()) {
        const pass = i === 0 && firstPass !== undefined ? firstPass : split.forward(images, settings.otherInputs);
        try {
          const layerTargets = first === undefined ? targets : { ...targets, classes: first.classes ?? targets.classes };
          const progress = (done: number, total: number): void =>
            settings.onProgress?.({ method: settings.method, layerName: split.layerName, done, total });
          const maps = yield* layerMaps(split, pass, images, layerTargets, { ...settings, onProgress: progress });
          cams.push(settings.relu ? tf.tidy(() => tf.relu(maps.raw) as tf.Tensor3D) : maps.raw);
          if (settings.relu) maps.raw.dispose();
          if (first === undefined) first = maps;
          else tf.dispose([maps.scores, maps.classes ?? [], maps.output]);
        } finally {
          if (pass !== firstPass) pass.dispose();
        }
      }
      const [, height, width] = images.shape;
      const heatmap = combine(cams, [height, width], settings.normalize);
      const { scores, classes, output } = first as NonNullable<typeof first>;
      return { cams, heatmap, scores, classes, output };
    } catch (err) {
      tf.dispose([cams, first?.scores ?? [], first?.classes ?? [], first?.output ?? []]);
      throw err;
    }
  }

  /** `augSmooth`: the mean of the maps of six augmented copies, each mapped back onto the image. */
  private *augmentedMaps(images: tf.Tensor4D, targets: Targets, settings: Settings): Steps<Maps> {
    const plain = yield* this.maps(images, targets, settings);
    // Every copy explains the classes found on the plain images.
    const fixed: Targets = { ...targets, classes: plain.classes ?? targets.classes };
    const sums = { cams: plain.cams.map((c) => tf.clone(c)), heatmap: tf.clone(plain.heatmap) };
    try {
      for (const augmentation of AUGMENTATIONS.filter((a) => !a.identity)) {
        const copy = augmentation.apply(images);
        let maps: Maps;
        try {
          maps = yield* this.maps(copy, fixed, settings);
        } finally {
          copy.dispose();
        }
        accumulate(sums, maps, augmentation);
        disposeMaps(maps);
      }
      const count = AUGMENTATIONS.length;
      const mean = <T extends tf.Tensor>(t: T): T => tf.tidy(() => tf.div(t, count) as T);
      const result: Maps = { ...plain, cams: sums.cams.map(mean), heatmap: mean(sums.heatmap) };
      tf.dispose([plain.cams, plain.heatmap]);
      return result;
    } catch (err) {
      disposeMaps(plain);
      throw err;
    } finally {
      tf.dispose([sums.cams, sums.heatmap]);
    }
  }

  /** Reads classes and scores once, checks for non-finite values, and splits rows into `groups` results. */
  private *result(maps: Maps, images: tf.Tensor4D, settings: Settings, groups = 1): Steps<GradCamResult[]> {
    try {
      const rows = maps.heatmap.shape[0];
      const read = yield* readClassesAndScores(maps.classes, maps.scores, images, maps.heatmap, `map at layer "${this.layerName}"`);
      const per = rows / groups;
      const results: GradCamResult[] = [];
      for (let g = 0; g < groups; g++) {
        const part = <T extends tf.Tensor>(t: T): T =>
          groups === 1 ? (tf.clone(t) as T) : (tf.slice(t, [g * per], [per]) as T);
        const cams = maps.cams.map(part);
        const heatmap = part(maps.heatmap);
        const output = part(maps.output);
        results.push({
          heatmap,
          cam: cams[0],
          cams,
          classIndex: read.classIndex.slice(g * per, (g + 1) * per),
          scores: read.scores.slice(g * per, (g + 1) * per),
          layerName: this.layerName,
          layerNames: this.layerNames,
          method: settings.method,
          output,
          dispose: () => tf.dispose([heatmap, cams, output]),
        });
      }
      return results;
    } finally {
      disposeMaps(maps);
    }
  }
}

interface Settings extends Omit<MapSettings, 'onProgress'> {
  readonly relu: boolean;
  readonly normalize: boolean;
  readonly otherInputs?: OtherInputs;
  readonly onProgress?: (progress: ExplainProgress) => void;
}

/** Maps of every layer for a batch of rows; all tensors owned by whoever holds it. */
interface Maps {
  readonly cams: tf.Tensor3D[];
  readonly heatmap: tf.Tensor3D;
  readonly scores: tf.Tensor1D;
  readonly classes: tf.Tensor1D | undefined;
  readonly output: tf.Tensor;
}

function disposeMaps(maps: Maps): void {
  tf.dispose([maps.cams, maps.heatmap, maps.scores, maps.classes ?? [], maps.output]);
}

/**
 * The heatmap of one or several layers: each layer's map normalized and resized, their mean
 * normalized again (pytorch-grad-cam's order; for one layer that is normalize → resize →
 * normalize). Without normalization: the mean of the resized maps.
 */
function combine(cams: readonly tf.Tensor3D[], size: [number, number], normalize: boolean): tf.Tensor3D {
  return tf.tidy(() => {
    const resized = cams.map((cam) => bilinearResize(normalize ? normalizeMaps(cam) : cam, size));
    const mean = resized.length === 1 ? resized[0] : (tf.div(tf.addN(resized), resized.length) as tf.Tensor3D);
    return normalize ? normalizeMaps(mean) : mean;
  });
}

/** Adds an augmented copy's maps, mapped back onto the original image, to the running sums. */
function accumulate(sums: { cams: tf.Tensor3D[]; heatmap: tf.Tensor3D }, maps: Maps, augmentation: Augmentation): void {
  const add = (sum: tf.Tensor3D, map: tf.Tensor3D): tf.Tensor3D => {
    const next = tf.tidy(() => tf.add(sum, augmentation.invertMap(map)) as tf.Tensor3D);
    sum.dispose();
    return next;
  };
  sums.cams = sums.cams.map((sum, i) => add(sum, maps.cams[i]));
  sums.heatmap = add(sums.heatmap, maps.heatmap);
}
