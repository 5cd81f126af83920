import type * as tf from '@tensorflow/tfjs-core';
import type { Steps } from '../steps';

/** The CAM methods `GradCam.explain` offers, by the names pytorch-grad-cam users know. */
export const CAM_METHODS = [
  'gradcam',
  'gradcam++',
  'hirescam',
  'xgradcam',
  'layercam',
  'eigencam',
  'eigengradcam',
  'scorecam',
  'ablationcam',
  'cam',
] as const;

/** One of {@link CAM_METHODS}. */
export type CamMethodName = (typeof CAM_METHODS)[number];

/**
 * What a method may read. The tensors belong to the pipeline: a method never disposes them,
 * and returns new tensors that the pipeline owns.
 */
export interface MethodInputs {
  /** `[N,h,w,C]`: the target layer's activations. */
  readonly activations: tf.Tensor4D;
  /**
   * `[N,h,w,C]`: ∂score/∂activations (negated for counterfactual explanations). Present only for
   * methods with `needsGradients`.
   */
  readonly gradients?: tf.Tensor4D;
  /** `[N,H,W,C]`: the images being explained. */
  readonly images: tf.Tensor4D;
  /** `[N]`: each image's target score (the class logit, or the target function's value). */
  readonly scores: tf.Tensor1D;
  /**
   * The target score of B variants of image `image`'s activations, `[B,h,w,C]` → `[B]`: runs the
   * part of the model after the target layer only.
   */
  scoreActivations(image: number, activations: tf.Tensor4D): tf.Tensor1D;
  /** The target score of B variants of image `image`, `[B,H,W,C]` → `[B]`: a full forward pass. */
  scoreImages(image: number, images: tf.Tensor4D): tf.Tensor1D;
  /**
   * `[N,C]`: the Dense weights of each image's class when the layers after the target are global
   * average pooling and one Dense layer. Throws `GradCamError` `UNSUPPORTED_MODEL` otherwise.
   */
  gapClassWeights(): tf.Tensor2D;
  /** How many variants a perturbation method may score in one forward pass. */
  readonly batchSize: number;
  /**
   * Perturbation methods: score only each image's `maxChannels` channels of largest spatial
   * variance (Faster-ScoreCAM); the others get weight 0. Undefined: every channel.
   */
  readonly maxChannels?: number;
  /** Reports progress of a long method (e.g. `done` of `total` forward passes). */
  progress(done: number, total: number): void;
}

/**
 * What a method computes, before the shared ReLU → normalize → resize → normalize:
 * - `weights` `[N,C]`: the map is `Σ_c w_c·A_c` (Grad-CAM and its relatives);
 * - `contributions` `[N,h,w,C]`: the map is their sum over channels (element-wise methods);
 * - `map` `[N,h,w]`: the map itself (EigenCAM).
 * `eigenSmooth` replaces the channel sum of the first two by a first-principal-component
 * projection.
 */
export type MethodOutput = { weights: tf.Tensor2D } | { contributions: tf.Tensor4D } | { map: tf.Tensor3D };

/** A CAM method: one file each, computing only what differs from the others. */
export interface CamMethod {
  readonly name: CamMethodName;
  /** Whether the pipeline must compute gradients for it. */
  readonly needsGradients: boolean;
  compute(inputs: MethodInputs): MethodOutput;
  /**
   * Methods that run many forward passes (ScoreCAM, AblationCAM): the same channel weights
   * `[N,C]` as `compute`, in steps that pause between chunks of passes, so that `explainAsync`
   * hands the event loop back there. The pipeline runs it outside any `tf.tidy`.
   */
  readonly weightSteps?: (inputs: MethodInputs) => Steps<tf.Tensor2D>;
}

/** The gradients of a gradient method, with a clear error if the pipeline did not provide them. */
export function gradientsOf(inputs: MethodInputs, method: string): tf.Tensor4D {
  if (inputs.gradients === undefined) throw new Error(`tfjs-gradcam internal error: ${method} needs gradients`);
  return inputs.gradients;
}
