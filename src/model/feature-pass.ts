import type * as tf from '@tensorflow/tfjs-core';
import { GradCamError, formatShape } from '../errors';
import type { HeadOptions } from './split';
import type { FeaturePass } from './split-model';

/**
 * Builds a {@link FeaturePass} from what a body pass left — the activations and the tensors that
 * skip over the target — and a way to make heads over them. Shared by every kind of model split:
 * it checks batch sizes and rows, and owns the tensors.
 *
 * @param kept tensors from before the target that the head reads; each holds the pass's images.
 * @param headFor makes a head for the given rows and output (see {@link HeadOptions}).
 */
export function featurePass(
  activations: tf.Tensor4D,
  kept: ReadonlyMap<unknown, tf.Tensor>,
  headFor: (options: HeadOptions) => (activations: tf.Tensor4D) => tf.Tensor,
): FeaturePass {
  const images = activations.shape[0];
  const logits = headFor({});
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
    headFor: (options) => {
      const bad = options.rows?.find((r) => !Number.isInteger(r) || r < 0 || r >= images);
      if (bad !== undefined) {
        throw new GradCamError('BAD_OPTION', `rows must name images 0 to ${images - 1} of this pass, got ${bad}.`);
      }
      return headFor(options);
    },
    dispose: () => {
      activations.dispose();
      for (const t of kept.values()) t.dispose();
    },
  };
}
