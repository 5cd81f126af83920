import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs-layers';
import { selectRows } from '../core/rows';
import type { ScoreHead } from '../core/gradients';
import { GradCamError, formatShape } from '../errors';
import { featurePass } from './feature-pass';
import { type ModelPorts, type OtherInputs, otherInputBatches, resolvePorts, withImages } from './feeds';
import { toInputBatch } from './input';
import { resolveTargetLayer } from './layers';
import { type KernelCache, createKernelCache, kernelCachingOf } from './dense-head';
import { type ReshapeTransform, type TokenGrid, planTokenGrid } from './reshape';
import {
  type HeadOptions,
  type HeadOutputs,
  type SplitPlan,
  headLayers,
  outputsHead,
  planSplit,
  runBody,
  scoreHead,
  targetCall,
  withGrid,
} from './split';

/** One forward pass of the body: the target layer's activations and the head that continues from them. */
export interface FeaturePass {
  /** `[N,h,w,C]`: the target layer's output for each image. */
  readonly activations: tf.Tensor4D;
  /**
   * Maps activations `[N,h,w,C]` (these or modified ones) to pre-softmax class scores `[N,K]`,
   * reusing what the body computed for the layers that skip over the target. Pass it to
   * {@link gradientsForClass}.
   */
  readonly head: ScoreHead;
  /**
   * A head for other batches: `rows[i]` names the image whose body tensors row i of the
   * activations goes with (e.g. `[0,0,0]` for three variants of image 0, or `[0,1,0,1]` for two
   * classes of two images), and `output: 'model'` keeps the model's final softmax.
   * Call it inside `tf.tidy` or dispose what it returns.
   */
  headFor(options: HeadOptions): (activations: tf.Tensor4D) => tf.Tensor;
  /**
   * As {@link FeaturePass.headFor}, also returning the model's output as `predict` gives it,
   * from the same head pass. The caller owns both tensors.
   */
  headWithOutput(options: HeadOptions): (activations: tf.Tensor4D) => HeadOutputs;
  /**
   * A new forward pass over variants `[B,H,W,C]` of image `image` of this pass, the model's
   * other inputs held at that image's values. Dispose it when done.
   */
  forwardVariants(image: number, images: tf.Tensor4D): FeaturePass;
  /** Frees the activations and the tensors the head keeps. */
  dispose(): void;
}

/** A model cut at a target layer: a body up to it and a differentiable head after it. */
export interface ModelSplit {
  /** The target layer's path (`conv5`, or `outer/inner` inside a nested model). */
  readonly layerName: string;
  /** The model's image input shape, `[null,H,W,C]`. */
  readonly inputShape: ReadonlyArray<number | null>;
  /** The explained output's shape, e.g. `[null,K]`. */
  readonly outputShape: ReadonlyArray<number | null>;
  /** The number of classes K when the explained output is class scores `[N,K]`, else undefined. */
  readonly numClasses: number | undefined;
  /**
   * Runs the body once on `[N,H,W,C]` (or `[H,W,C]`) images. A model with several inputs
   * takes the others in `otherInputs` (by input name, batch N or 1), held fixed.
   *
   * @throws GradCamError `BAD_INPUT` for a missing or misshapen input, `BAD_OPTION` for an unknown name.
   */
  forward(input: tf.Tensor, otherInputs?: OtherInputs): FeaturePass;
  /**
   * The class weights of a global-average-pooling classifier: when the layers after the target
   * are exactly GlobalAveragePooling2D (and dropout) and one Dense, that Dense's kernel `[C,K]`
   * (the live weights: do not dispose). Undefined for any other head. CAM needs it.
   */
  gapClassifierKernel(): tf.Tensor2D | undefined;
  /** Frees the transposed kernels kept with `cacheTransposedKernels` (a no-op without). */
  dispose(): void;
}

/** Options of {@link splitModel}. */
export interface SplitOptions {
  /**
   * Keep a transposed copy of Dense kernels after the target layer (default false), so that the
   * backward pass multiplies by `Wᵀ` as fast as the forward pass by `W` (wasm: ~1.5× faster
   * backward products). `true`: every kernel; `'auto'`: kernels of at most 2²² weights (16 MB),
   * whose copies pay back within a few explanations — a big one's copy costs seconds to make and
   * to repack on first use (VGG16's fc1: 411 MB) and pays back only after a hundred or more.
   * The copies follow weight updates. Call `dispose()` on the split to free them.
   */
  cacheTransposedKernels?: boolean | 'auto';
  /** The image input, one of `model.inputNames`; needed when the model has several inputs. */
  inputName?: string;
  /** The output to explain, one of `model.outputNames`; needed when the model has several outputs. */
  outputName?: string;
  /**
   * Sees the target layer's activations (e.g. tokens `[N,T,C]`) as a grid `[N,h,w,C]`, such as
   * {@link tokensToGrid}; it must move whole rows of C channels. Checked here, on the layer's shape.
   */
  reshapeTransform?: ReshapeTransform;
}

/**
 * Cuts `model` at a target layer so that Grad-CAM needs one forward pass of the body and a
 * backward pass through the head only. Works for sequential and functional models, skip
 * connections over the target, several branches after it and nested models. The model is only
 * read, never changed; plan once per target layer and reuse it.
 *
 * The head yields the scores before the model's final softmax (a softmax activation of the
 * output layer, or a separate `Softmax`/`Activation('softmax')` layer), so gradients are of the
 * class logit, as in the Grad-CAM paper. All layers run in inference mode.
 *
 * @param model a LayersModel with an image input `[null,H,W,C]` and an output `[null,...]`
 *   (several of either: named by `inputName` / `outputName`).
 * @param layerName the target layer; `outer/inner` inside a nested model. Omitted: the last
 *   layer feeding the explained output whose output is a feature map with a spatial size above 1×1.
 * @throws GradCamError `UNSUPPORTED_MODEL`, `BAD_OPTION`, `UNKNOWN_LAYER`, `NOT_A_FEATURE_MAP`,
 *   `NO_FEATURE_MAP_LAYER` or `SHARED_LAYER`.
 */
export function splitModel(model: LayersModel, layerName?: string, options: SplitOptions = {}): ModelSplit {
  assertHasInputs(model);
  const ports = resolvePorts(model, options.inputName, options.outputName);
  const { inputShape, outputShape, numClasses } = checkShapes(model, model.inputs[ports.imageInput], ports.output);
  const target = resolveTargetLayer(model, layerName, [ports.output]);
  const transform = options.reshapeTransform;
  if (transform !== undefined && typeof transform !== 'function') {
    throw new GradCamError('BAD_OPTION', 'reshapeTransform must be a function (activations) => grid [N,h,w,C], e.g. tokensToGrid().');
  }
  const planned = planSplit(model.inputs, [ports.output], target.layer, target.path, transform !== undefined);
  if (planned === undefined) {
    throw new GradCamError(
      'UNKNOWN_LAYER',
      `Layer "${target.path}" belongs to the model but is not on the path from its image input to the explained output` +
        `${model.outputs.length > 1 ? ` "${ports.output.sourceLayer.name}"` : ''}.`,
    );
  }
  const grid = transform === undefined ? undefined : planTokenGrid(transform, targetCall(planned).outputs[0].shape, target.path);
  const plan = grid === undefined ? planned : withGrid(planned, grid);
  const caching = kernelCachingOf(options.cacheTransposedKernels, false);
  const kernels = caching === false ? undefined : createKernelCache(headLayers(plan), caching);
  return {
    layerName: target.path,
    inputShape,
    outputShape,
    numClasses,
    forward: (input, otherInputs) => {
      const images = toInputBatch(input, inputShape);
      try {
        const others = otherInputBatches(plan.inputs, ports, otherInputs, images.shape[0]);
        try {
          return forward(plan, ports, images, others, kernels, grid);
        } finally {
          tf.dispose(others);
        }
      } finally {
        images.dispose();
      }
    },
    gapClassifierKernel: () => gapClassifierKernel(plan),
    dispose: () => {
      kernels?.dispose();
      grid?.dispose();
    },
  };
}

function forward(
  plan: SplitPlan,
  ports: ModelPorts,
  images: tf.Tensor4D,
  others: readonly tf.Tensor[],
  kernels: KernelCache | undefined,
  grid: TokenGrid | undefined,
): FeaturePass {
  const body = runBody(plan, withImages(ports, images, others));
  const { kept } = body;
  let activations = body.activations;
  if (grid !== undefined) {
    // The head puts its (modified) grid back among the layer's own activations, kept here.
    kept.set(targetCall(plan).outputs[0], activations);
    try {
      activations = tf.tidy(() => grid.toGrid(body.activations));
    } catch (err) {
      for (const t of kept.values()) t.dispose();
      throw err;
    }
  }
  // The other inputs, one row per image, kept for passes over variants of one image.
  const fixed = others.map((t) => tf.clone(t));
  return featurePass(
    activations,
    kept,
    {
      headFor: (options) => scoreHead(plan, kept, options, kernels),
      headWithOutput: (options) => outputsHead(plan, kept, options, kernels),
      forwardVariants: (image, variants) => {
        const copies = fixed.map((t) => selectRows(t, new Array<number>(variants.shape[0]).fill(image)));
        try {
          return forward(plan, ports, variants, copies, kernels, grid);
        } finally {
          tf.dispose(copies);
        }
      },
    },
    fixed,
  );
}

/** The Dense kernel of a target → GlobalAveragePooling2D → (Dropout) → Dense head, if that is the head. */
function gapClassifierKernel(plan: SplitPlan): tf.Tensor2D | undefined {
  if (plan.inner !== undefined) return undefined;
  const kinds = plan.headCalls.map((c) => c.layer.getClassName()).filter((k) => k !== 'Dropout');
  const dense = plan.headCalls[plan.headCalls.length - 1]?.layer;
  if (kinds.length !== 2 || kinds[0] !== 'GlobalAveragePooling2D' || kinds[1] !== 'Dense') return undefined;
  if (plan.headCalls.some((c) => c.inputs.length !== 1)) return undefined;
  return dense.getWeights()[0] as tf.Tensor2D;
}

/** What {@link checkModel} finds out about a model. */
export interface ModelShapes {
  /** `[null,H,W,C]`. */
  inputShape: Array<number | null>;
  /** `[null,...]`, e.g. `[null,K]`. */
  outputShape: Array<number | null>;
  /** K when the model outputs class scores `[N,K]`, else undefined. */
  numClasses: number | undefined;
}

/**
 * Checks that `model` has one image input `[null,H,W,C]` and one batched output, and returns
 * their shapes. (Guided backpropagation's check; {@link splitModel} takes several of either.)
 *
 * @throws GradCamError `UNSUPPORTED_MODEL` otherwise.
 */
export function checkModel(model: LayersModel): ModelShapes {
  const names = (xs: ReadonlyArray<{ name: string }>): string => xs.map((x) => x.name).join(', ');
  assertHasInputs(model);
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new GradCamError(
      'UNSUPPORTED_MODEL',
      `Model "${model.name}" has ${model.inputs.length} inputs (${names(model.inputs)}) and ${model.outputs.length} ` +
        `outputs (${names(model.outputs)}); this function supports models with one image input [N,H,W,C] and one ` +
        'output. Wrap the part to explain in a tf.model with one input and one output.',
    );
  }
  return checkShapes(model, model.inputs[0], model.outputs[0]);
}

function assertHasInputs(model: LayersModel): void {
  if (model.inputs.length === 0) {
    throw new GradCamError(
      'UNSUPPORTED_MODEL',
      `Model "${model.name}" has no input yet: give its first layer an inputShape (or call model.build) first.`,
    );
  }
}

/** Checks that the image input is `[null,H,W,C]` and the output batched; returns their shapes. */
function checkShapes(model: LayersModel, input: SymbolicTensor, output: SymbolicTensor): ModelShapes {
  const inputShape = input.shape;
  const outputShape = output.shape;
  if (inputShape.length !== 4) {
    throw new GradCamError(
      'UNSUPPORTED_MODEL',
      `Model "${model.name}" takes input ${formatShape(inputShape)}; tfjs-gradcam needs images [N,H,W,C] (channels last).`,
    );
  }
  if (outputShape.length < 2) {
    throw new GradCamError(
      'UNSUPPORTED_MODEL',
      `Model "${model.name}" outputs ${formatShape(outputShape)}; tfjs-gradcam needs a batch of outputs [N,...].`,
    );
  }
  const numClasses = outputShape.length === 2 && outputShape[1] != null ? outputShape[1] : undefined;
  return { inputShape, outputShape, numClasses };
}
