import * as tf from '@tensorflow/tfjs-core';
import { GradCamError, formatShape } from '../errors';
import type { HeadOptions, HeadOutputs } from './split';
import type { FeaturePass } from './split-model';

/** How a kind of model split makes heads over a body pass's kept tensors, and new passes. */
export interface PassHeads {
  /** A head for the given rows and output (see {@link HeadOptions}). */
  headFor(options: HeadOptions): (activations: tf.Tensor4D) => tf.Tensor;
  /** As `headFor`, also returning the model's output as `predict` gives it. */
  headWithOutput(options: HeadOptions): (activations: tf.Tensor4D) => HeadOutputs;
  /** A new body pass over variants `[B,H,W,C]` of image `image` of this pass (checked). */
  forwardVariants(image: number, images: tf.Tensor4D): FeaturePass;
}

/**
 * Builds a {@link FeaturePass} from what a body pass left — the activations and the tensors that
 * skip over the target — and a way to make heads over them: checks batch sizes and rows, and
 * owns the tensors.
 *
 * Shared by every kind of model split.
 *
 * @param kept tensors from before the target that the head reads; each holds the pass's images.
 * @param owned other tensors the pass owns (freed with it).
 */
export function featurePass(
  activations: tf.Tensor4D,
  kept: ReadonlyMap<unknown, tf.Tensor>,
  heads: PassHeads,
  owned: readonly tf.Tensor[] = [],
): FeaturePass {
  const images = activations.shape[0];
  const logits = heads.headFor({});
  const checkRows = (options: HeadOptions): HeadOptions => {
    const bad = options.rows?.find((r) => !Number.isInteger(r) || r < 0 || r >= images);
    if (bad !== undefined) {
      throw new GradCamError('BAD_OPTION', `rows must name images 0 to ${images - 1} of this pass, got ${bad}.`);
    }
    return options;
  };
  return {
    activations,
    head: (a) => {
      // Tensors kept from the body (skip connections) hold exactly `images` images.
      if (kept.size > 0 && a.shape[0] !== images) {
        throw new GradCamError(
          'SHAPE_MISMATCH',
          `this head continues a forward pass of ${images} images (layers after the target reuse tensors ` +
            `from before it), so it takes activations for ${images} images, got ${formatShape(a.shape)}; ` +
            'use headFor({ rows }) for other batches.',
        );
      }
      return logits(a) as tf.Tensor2D;
    },
    headFor: (options) => heads.headFor(checkRows(options)),
    headWithOutput: (options) => heads.headWithOutput(checkRows(options)),
    forwardVariants: (image, variants) => {
      checkRows({ rows: [image] });
      return heads.forwardVariants(image, variants);
    },
    dispose: () => {
      tf.dispose([activations, ...owned]);
      for (const t of kept.values()) t.dispose();
    },
  };
}
