import * as tf from '@tensorflow/tfjs-core';
import { GradCamError, formatShape } from '../errors';
import { assertTensor } from './assert';
import { COLORMAPS, type ColormapName, applyColormap, isColormapName } from './colormap';

/** Options of {@link blend}. */
export interface BlendOptions {
  /** The heatmap's weight (opacity), in [0, 1]. Default 0.4. */
  alpha?: number;
  /** Default `'jet'` (OpenCV's COLORMAP_JET). */
  colormap?: ColormapName;
  /**
   * The image's value range, kept in the output: `1` for [0, 1], `255` for [0, 255].
   * Default: 255 for int32 images (as `tf.browser.fromPixels` gives), else 1.
   */
  range?: 1 | 255;
}

/**
 * Step 5 of Grad-CAM: colours heatmaps and lays them over the image,
 * `out = (1 − alpha)·image + alpha·colour(heatmap)`, on the device.
 *
 * Shapes: image `[H,W,3]` with heatmap `[H,W]` gives `[H,W,3]`; a batch on either side
 * (`[N,H,W,3]` and/or `[N,H,W]`, as `GradCam.explain` returns) gives `[N,H,W,3]`, and one
 * image with N heatmaps gives N overlays of that image.
 *
 * @param image `[H,W,3]` or `[N,H,W,3]`, values in [0, 1] or [0, 255] (see `range`).
 * @param heatmap `[H,W]` or `[N,H,W]`, values in [0, 1] (clipped).
 * @returns float32 overlay(s) in the image's range.
 * @throws GradCamError `SHAPE_MISMATCH`, `BAD_OPTION`, `UNKNOWN_COLORMAP`, or `BAD_INPUT` for an
 *   argument that is not a numeric tensor.
 */
export function blend(image: tf.Tensor, heatmap: tf.Tensor, options: BlendOptions = {}): tf.Tensor {
  assertTensor(image, 'image', '[H,W,3] or [N,H,W,3]');
  assertTensor(heatmap, 'heatmap', '[H,W] or [N,H,W]');
  const { alpha = 0.4, colormap = 'jet' } = options ?? {};
  const range = options?.range ?? (image.dtype === 'int32' ? 255 : 1);
  if (typeof alpha !== 'number' || !(alpha >= 0 && alpha <= 1)) {
    throw new GradCamError('BAD_OPTION', `alpha is the heatmap's opacity and must be in [0, 1], got ${alpha}.`);
  }
  if (range !== 1 && range !== 255) {
    throw new GradCamError('BAD_OPTION', `range must be 1 (image in [0,1]) or 255 (image in [0,255]), got ${range}.`);
  }
  if (!isColormapName(colormap)) {
    throw new GradCamError('UNKNOWN_COLORMAP', `Unknown colormap "${colormap}"; choose one of: ${COLORMAPS.join(', ')}.`);
  }
  const outShape = blendShape(image.shape, heatmap.shape);
  return tf.tidy(() => {
    const colour = tf.mul(applyColormap(heatmap, colormap), range);
    const mixed = tf.add(tf.mul(tf.cast(image, 'float32'), 1 - alpha), tf.mul(colour, alpha));
    return tf.reshape(mixed, outShape);
  });
}

/** The overlay's shape, or a SHAPE_MISMATCH error that shows both shapes. */
function blendShape(imageShape: number[], heatmapShape: number[]): number[] {
  const mismatch = (why: string): GradCamError =>
    new GradCamError(
      'SHAPE_MISMATCH',
      `cannot blend image ${formatShape(imageShape)} with heatmap ${formatShape(heatmapShape)}: ${why}`,
    );
  const imageRankOk = imageShape.length === 3 || imageShape.length === 4;
  if (!imageRankOk || imageShape[imageShape.length - 1] !== 3) {
    throw mismatch('the image must be RGB, [H,W,3] or [N,H,W,3] (drop an alpha channel with tf.slice).');
  }
  if (heatmapShape.length !== 2 && heatmapShape.length !== 3) {
    throw mismatch('the heatmap must be [H,W] or [N,H,W].');
  }
  const [h, w] = imageShape.slice(-3, -1);
  const [hh, hw] = heatmapShape.slice(-2);
  if (h !== hh || w !== hw) {
    throw mismatch(`their sizes differ (${h}×${w} vs ${hh}×${hw}); resize the heatmap with bilinearResize.`);
  }
  const imageN = imageShape.length === 4 ? imageShape[0] : undefined;
  const heatmapN = heatmapShape.length === 3 ? heatmapShape[0] : undefined;
  if (imageN !== undefined && heatmapN !== undefined && imageN !== heatmapN && imageN !== 1 && heatmapN !== 1) {
    throw mismatch(`their batch sizes differ (${imageN} vs ${heatmapN}).`);
  }
  const n = Math.max(imageN ?? 1, heatmapN ?? 1);
  return imageN === undefined && heatmapN === undefined ? [h, w, 3] : [n, h, w, 3];
}
