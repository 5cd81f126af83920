import * as tf from '@tensorflow/tfjs-core';
import { assertTensor } from './assert';
import { GradCamError, formatShape } from '../errors';

/**
 * keras.applications' preprocessing modes:
 * - `'caffe'`: RGB → BGR, then the ImageNet mean (BGR 103.939, 116.779, 123.68) subtracted; no
 *   scaling (VGG16/19, ResNet50/101/152).
 * - `'tf'`: `x / 127.5 − 1`, to [−1, 1] (MobileNet, MobileNetV2, ResNetV2, Inception, Xception, NASNet).
 * - `'torch'`: `x / 255`, then the ImageNet mean (0.485, 0.456, 0.406) subtracted and divided by
 *   the std (0.229, 0.224, 0.225) (DenseNet).
 * - `'none'`: pixels stay 0–255; the model preprocesses itself (EfficientNet(V2), ConvNeXt,
 *   RegNet, MobileNetV3).
 */
export type PreprocessMode = 'caffe' | 'tf' | 'torch' | 'none';

/** The modes of {@link preprocessInput}. */
export const PREPROCESS_MODES: readonly PreprocessMode[] = ['caffe', 'tf', 'torch', 'none'];

const CAFFE_MEAN_BGR = [103.939, 116.779, 123.68];
const TORCH_MEAN = [0.485, 0.456, 0.406];
const TORCH_STD = [0.229, 0.224, 0.225];

/**
 * Keras's `preprocess_input` by mode: the same float32 operations in the same order, so the result
 * equals Keras's on the same pixels.
 *
 * @param image `[N,H,W,3]` or `[H,W,3]` RGB pixels in 0–255.
 * @param mode See {@link PreprocessMode}.
 * @returns A new float32 tensor of the same shape (the input is not changed or disposed).
 * @throws GradCamError `BAD_OPTION` for an unknown mode; `BAD_INPUT` for a tensor that is not
 *   rank 3 or 4 with 3 channels.
 *
 * @example
 * ```ts
 * const x = preprocessInput(pixels, 'caffe'); // a VGG16 or ResNet50 input
 * ```
 */
export function preprocessInput<T extends tf.Tensor3D | tf.Tensor4D>(image: T, mode: PreprocessMode): T {
  if (!PREPROCESS_MODES.includes(mode)) {
    throw new GradCamError('BAD_OPTION', `Unknown preprocessing mode "${String(mode)}"; use one of ${PREPROCESS_MODES.join(', ')}.`);
  }
  assertTensor(image, 'image', '[N,H,W,3] or [H,W,3]');
  if ((image.rank !== 3 && image.rank !== 4) || image.shape[image.rank - 1] !== 3) {
    throw new GradCamError('BAD_INPUT', `preprocessInput takes RGB images [N,H,W,3] or [H,W,3]; got shape ${formatShape(image.shape)}.`);
  }
  return tf.tidy(() => {
    const x = tf.cast(image, 'float32');
    switch (mode) {
      case 'caffe':
        return tf.sub(tf.reverse(x, -1), CAFFE_MEAN_BGR);
      case 'tf':
        return tf.sub(tf.div(x, 127.5), 1);
      case 'torch':
        return tf.div(tf.sub(tf.div(x, 255), TORCH_MEAN), TORCH_STD);
      default:
        return tf.clone(x);
    }
  }) as T;
}
