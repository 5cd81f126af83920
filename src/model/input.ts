import * as tf from '@tensorflow/tfjs-core';
import { GradCamError, formatShape } from '../errors';

/**
 * Checks an image batch against the model's input shape `[null,H,W,C]` and returns it as a
 * float32 `[N,H,W,C]` tensor owned by the caller. `[H,W,C]` is taken as a batch of one.
 */
export function toInputBatch(input: unknown, modelInputShape: ReadonlyArray<number | null>): tf.Tensor4D {
  if (!(input instanceof tf.Tensor)) {
    throw new GradCamError(
      'BAD_INPUT',
      `input must be a tf.Tensor of shape [H,W,C] or [N,H,W,C], got ${describe(input)}. ` +
        'Convert images with tf.browser.fromPixels or tf.tensor first.',
    );
  }
  if (input.rank !== 3 && input.rank !== 4) {
    throw new GradCamError(
      'BAD_INPUT',
      `input must have rank 3 [H,W,C] or 4 [N,H,W,C], got shape ${formatShape(input.shape)}; ` +
        `the model takes ${formatShape(modelInputShape)}.`,
    );
  }
  const shape = input.rank === 3 ? [1, ...input.shape] : input.shape;
  const expected = modelInputShape.slice(1);
  const fits = shape.length === modelInputShape.length && expected.every((d, i) => d == null || d === shape[i + 1]);
  if (!fits || shape[0] === 0) {
    throw new GradCamError(
      'BAD_INPUT',
      `input shape ${formatShape(input.shape)} does not fit the model's input ${formatShape(modelInputShape)}` +
        ` (batch, height, width, channels). Resize the image to ${formatShape(expected)} first` +
        (shape[0] === 0 ? ', and pass at least one image.' : '.'),
    );
  }
  if (input.dtype === 'string' || input.dtype === 'complex64') {
    throw new GradCamError('BAD_INPUT', `input must be numeric, got dtype ${input.dtype}.`);
  }
  // A float32 input needs no copy (a Cast copies on wasm): the reshape is a new handle on its data.
  return tf.tidy(() => (input.dtype === 'float32' ? tf.reshape(input, shape) : tf.cast(tf.reshape(input, shape), 'float32')) as tf.Tensor4D);
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  return typeof x === 'object' ? `a ${(x as object).constructor?.name ?? 'object'}` : typeof x;
}
