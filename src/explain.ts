import * as tf from '@tensorflow/tfjs-core';
import { type ClassIndex, classIndexPerImage } from './core/class-index';
import { gradientsOfScores, selectClassScores } from './core/gradients';
import { selectRows } from './core/rows';
import { firstComponentProjection } from './core/projection';
import { GradCamError, formatShape } from './errors';
import { classOfTarget } from './targets';
import { METHODS } from './methods';
import type { CamMethodName, MethodInputs, MethodOutput } from './methods/method';
import type { FeaturePass, ModelSplit } from './model/split-model';
import type { Steps } from './steps';

/**
 * The per-layer core of `GradCam.explain`: from one body pass to raw maps, for any method.
 * Everything here stays on the device.
 */

/**
 * A score per row computed from the model's output `[B,...]` → `[B]`. `imageIndex[i]` is the
 * input image row i comes from (rows are images, or, under ScoreCAM and AblationCAM, variants of
 * one image), so that per-image data (a mask, an embedding) can follow the rows.
 */
export type TargetFunction = (output: tf.Tensor, imageIndex: number[]) => tf.Tensor1D;

/** How the rows of one explanation are chosen and scored. */
export interface Targets {
  /** Row i explains body image `rows[i]`; omitted: row i is image i. */
  readonly rows?: readonly number[];
  /** A class per row (int32 `[B]`), a class index as the user gave it, or undefined for the top class. */
  readonly classes?: tf.Tensor1D | ClassIndex;
  /** Scores the model output instead of a class. */
  readonly target?: TargetFunction;
  /** `'logit'` (default) or `'probability'` (keep the final softmax). */
  readonly score: 'logit' | 'probability';
}

/**
 * The targets of an explanation from the caller's options: a {@link classTarget} is the class
 * index it names (so the result reports that class, checked against the model's classes).
 */
export function targetsOf(classIndex: ClassIndex | undefined, target: TargetFunction | undefined, score: Targets['score']): Targets {
  const targetClass = classOfTarget(target);
  if (targetClass !== undefined) return { classes: targetClass, score };
  return { classes: classIndex, target, score };
}

/** Settings of the map itself. */
export interface MapSettings {
  readonly method: CamMethodName;
  readonly counterfactual: boolean;
  readonly eigenSmooth: boolean;
  readonly batchSize: number;
  /** ScoreCAM and AblationCAM: score only each image's channels of largest spatial variance. */
  readonly maxChannels?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

/** One layer's signed raw map per row, with the scores and classes it explains. Caller owns the tensors. */
export interface LayerMaps {
  /** `[B,h,w]`, before ReLU. */
  readonly raw: tf.Tensor3D;
  /** `[B]` */
  readonly scores: tf.Tensor1D;
  /** `[B]` int32, or undefined when a target function was used. */
  readonly classes: tf.Tensor1D | undefined;
  /** `[B,...]`: the model's output for each row, as `predict` gives it. */
  readonly output: tf.Tensor;
}

/**
 * Computes the raw maps of one target layer for the rows of `targets`: a step of the pipeline
 * (see `steps.ts`), which pauses between the chunks of a perturbation method's passes.
 */
export function* layerMaps(
  split: ModelSplit,
  pass: FeaturePass,
  images: tf.Tensor4D,
  targets: Targets,
  settings: MapSettings,
): Steps<LayerMaps> {
  const method = METHODS[settings.method];
  const n = pass.activations.shape[0];
  const rows = targets.rows;
  const batch = rows === undefined ? n : rows.length;
  const output = targets.score === 'probability' ? 'model' : 'logits';
  const pick = <T extends tf.Tensor>(t: T): T => (rows === undefined ? t : selectRows(t, rows));
  const imageOfRow = (row: number): number => (rows === undefined ? row : rows[row]);
  const scoreOf = (out: tf.Tensor, rowClasses: tf.Tensor1D | undefined, imageIndex: () => number[]): tf.Tensor1D => {
    if (targets.target !== undefined) return checkedTarget(targets.target, out, imageIndex());
    return selectClassScores(out as tf.Tensor2D, rowClasses as tf.Tensor1D);
  };
  const variantsOf = (row: number, copies: number) => (): number[] => new Array<number>(copies).fill(imageOfRow(row));

  // The forward (and backward) pass through the head, in one tidy; what it returns is owned here.
  const { activations, gradients, scores, classes, modelOutput } = tf.tidy(() => {
    const head = pass.headWithOutput({ rows, output });
    const picked = rows === undefined ? tf.clone(pass.activations) : pick(pass.activations);
    // The class of each row: given, or the top-scoring one, found from the head's output in the
    // same forward pass that is differentiated (or scored), not an extra one.
    let found: tf.Tensor1D | undefined =
      targets.target === undefined ? givenClasses(targets.classes, batch, split.numClasses) : undefined;
    const findClasses = targets.target === undefined && found === undefined;
    const allRows = (): number[] => Array.from({ length: batch }, (_, i) => imageOfRow(i));
    // The model's output, from the head pass that is differentiated (or scored).
    let out: tf.Tensor | undefined;
    const scoreWithClasses = (a: tf.Tensor4D): tf.Tensor1D => {
      const result = head(a);
      out = tf.keep(result.output);
      if (findClasses && found === undefined) found = tf.keep(tf.cast(tf.argMax(result.scores, 1), 'int32') as tf.Tensor1D);
      return scoreOf(result.scores, found, allRows);
    };
    let g: tf.Tensor4D | undefined;
    let s: tf.Tensor1D;
    try {
      if (method.needsGradients) {
        ({ gradients: g, scores: s } = gradientsOfScores(scoreWithClasses, picked));
      } else {
        s = scoreWithClasses(picked);
      }
    } finally {
      // A kept tensor escapes tf.tidy: hand the tidy a plain copy to track instead.
      const unkeep = <T extends tf.Tensor>(kept: T): T => {
        const copy = tf.clone(kept);
        kept.dispose();
        return copy;
      };
      if (findClasses && found !== undefined) found = unkeep(found);
      if (out !== undefined) out = unkeep(out);
    }
    return {
      activations: picked,
      gradients: g !== undefined && settings.counterfactual ? (tf.neg(g) as tf.Tensor4D) : g,
      scores: s,
      classes: found,
      modelOutput: out as tf.Tensor,
    };
  });

  let rowImages: tf.Tensor4D | undefined; // only perturbation methods read them
  const classOfRow = (row: number, copies: number): tf.Tensor1D | undefined =>
    classes === undefined ? undefined : (tf.tile(tf.slice(classes, [row], [1]), [copies]) as tf.Tensor1D);
  const inputs: MethodInputs = {
    activations,
    gradients,
    // Kept: a method may first read them inside its own tf.tidy; disposed below.
    get images() {
      rowImages ??= rows === undefined ? images : tf.keep(pick(images));
      return rowImages;
    },
    scores,
    scoreActivations: (row, variants) =>
      tf.tidy(() => {
        const copies = variants.shape[0];
        const out = pass.headFor({ rows: new Array<number>(copies).fill(imageOfRow(row)), output })(variants);
        return scoreOf(out, classOfRow(row, copies), variantsOf(row, copies));
      }),
    scoreImages: (row, variants) =>
      tf.tidy(() => {
        const copies = variants.shape[0];
        const variantPass = pass.forwardVariants(imageOfRow(row), variants);
        try {
          return scoreOf(variantPass.headFor({ output })(variantPass.activations), classOfRow(row, copies), variantsOf(row, copies));
        } finally {
          variantPass.dispose();
        }
      }),
    gapClassWeights: () => gapClassWeights(split, classes),
    batchSize: settings.batchSize,
    maxChannels: settings.maxChannels,
    progress: (done, total) => settings.onProgress?.(done, total),
  };
  try {
    let raw: tf.Tensor3D;
    if (method.weightSteps !== undefined) {
      const weights = yield* method.weightSteps(inputs);
      try {
        raw = tf.tidy(() => rawMap({ weights }, activations, settings.eigenSmooth));
      } finally {
        weights.dispose();
      }
    } else {
      raw = tf.tidy(() => rawMap(method.compute(inputs), activations, settings.eigenSmooth));
    }
    return { raw, scores, classes, output: modelOutput };
  } catch (err) {
    tf.dispose([scores, classes ?? [], modelOutput]);
    throw err;
  } finally {
    tf.dispose([activations, gradients ?? []]);
    if (rows !== undefined) rowImages?.dispose();
  }
}

/** The signed map `[B,h,w]` a method's output stands for. */
function rawMap(out: MethodOutput, activations: tf.Tensor4D, eigenSmooth: boolean): tf.Tensor3D {
  if ('map' in out) return out.map;
  const contributions =
    'weights' in out
      ? tf.mul(activations, tf.reshape(out.weights, [out.weights.shape[0], 1, 1, out.weights.shape[1]]))
      : out.contributions;
  return eigenSmooth ? firstComponentProjection(contributions as tf.Tensor4D) : (tf.sum(contributions, 3) as tf.Tensor3D);
}

/** The classes the caller chose, as int32 `[B]`, or undefined for each row's top class. */
function givenClasses(
  classes: tf.Tensor1D | ClassIndex | undefined,
  batch: number,
  numClasses: number | undefined,
): tf.Tensor1D | undefined {
  if (classes instanceof tf.Tensor) return tf.clone(classes);
  if (numClasses === undefined) {
    throw new GradCamError(
      'UNSUPPORTED_MODEL',
      'this model does not output class scores [N,K]; pass `target: (output) => scores` to say what to explain.',
    );
  }
  return classes === undefined ? undefined : tf.tensor1d(classIndexPerImage(classes, batch, numClasses), 'int32');
}

function checkedTarget(target: TargetFunction, output: tf.Tensor, imageIndex: number[]): tf.Tensor1D {
  const scores = target(output, imageIndex);
  if (!(scores instanceof tf.Tensor) || scores.rank !== 1 || scores.shape[0] !== output.shape[0]) {
    const got = scores instanceof tf.Tensor ? formatShape(scores.shape) : typeof scores;
    throw new GradCamError(
      'BAD_OPTION',
      `target must return one score per image, [${output.shape[0]}], for an output ${formatShape(output.shape)}; got ${got}.`,
    );
  }
  return scores;
}

/** CAM's channel weights: the Dense kernel's column of each row's class, `[B,C]`. */
function gapClassWeights(split: ModelSplit, classes: tf.Tensor1D | undefined): tf.Tensor2D {
  const kernel = split.gapClassifierKernel();
  if (kernel === undefined || classes === undefined || split.numClasses === undefined) {
    throw new GradCamError(
      'UNSUPPORTED_MODEL',
      `CAM needs the target layer ("${split.layerName}") to feed global average pooling and one Dense layer, ` +
        'and a class to explain. Use method "gradcam" for other models (on GAP models it gives the same map).',
    );
  }
  return tf.tidy(() => {
    const oneHot = tf.cast(tf.oneHot(classes, Math.max(split.numClasses as number, 2)), 'float32');
    const rowsOfKernel = tf.slice(oneHot, [0, 0], [-1, kernel.shape[1]]);
    return tf.matMul(rowsOfKernel, kernel, false, true) as tf.Tensor2D;
  });
}
