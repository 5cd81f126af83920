/// <reference lib="dom" />
/**
 * tfjs-gradcam/browser: draw Grad-CAM results on a canvas. The only part of the package that
 * touches the DOM; the tensor work (colouring, resizing, blending) is the core's.
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import { blend } from '../core/blend';
import { COLORMAPS, type ColormapName, applyColormap, isColormapName } from '../core/colormap';
import { bilinearResize } from '../core/resize';
import { GradCamError, formatShape } from '../errors';
import type { GradCamResult } from '../gradcam';
import { type DrawPath, drawPath } from './draw-path';

export { type DrawPath, drawPath } from './draw-path';

/** Options of {@link drawHeatmap} and {@link heatmapImageData}. */
export interface DrawHeatmapOptions {
  /** The colour map (default `'jet'`): one of {@link COLORMAPS}. */
  colormap?: ColormapName;
  /**
   * The heatmap's opacity over `image`, in [0, 1] (default 0.4). Ignored without `image`: the
   * coloured heatmap alone is drawn opaque.
   */
  alpha?: number;
  /**
   * The image to lay the heatmap over: `[H,W,3]` (or `[N,H,W,3]`, row `index` is used), float
   * in [0, 1] or int32 in [0, 255] as `tf.browser.fromPixels` gives. The heatmap is resized
   * bilinearly to its size, so a full-resolution photo works with a map made at the model's
   * input size. Omitted: the coloured heatmap alone, at its own size.
   */
  image?: tf.Tensor3D | tf.Tensor4D;
  /** Which heatmap (and image) of a batch to draw (default 0). */
  index?: number;
}

/**
 * Turns an RGB image tensor into an `ImageData` (opaque), with `tf.browser.toPixels`.
 *
 * @param rgb `[H,W,3]`: float values in [0, 1] or int32 values in [0, 255] (others are clipped).
 * @returns an `ImageData` of `W×H` pixels. The tensor is not disposed.
 * @throws GradCamError `BAD_INPUT` for a tensor that is not `[H,W,3]`.
 */
export async function toImageData(rgb: tf.Tensor3D): Promise<ImageData> {
  if (rgb.rank !== 3 || rgb.shape[2] !== 3) {
    throw new GradCamError('BAD_INPUT', `toImageData needs an RGB image [H,W,3], got ${formatShape(rgb.shape)}.`);
  }
  const [height, width] = rgb.shape;
  const clipped = tf.tidy(() =>
    rgb.dtype === 'int32' ? tf.clipByValue(rgb, 0, 255) : tf.clipByValue(tf.cast(rgb, 'float32'), 0, 1),
  );
  try {
    // toPixels returns a fresh array on its own ArrayBuffer (never a SharedArrayBuffer).
    const pixels = (await tf.browser.toPixels(clipped as tf.Tensor3D)) as Uint8ClampedArray<ArrayBuffer>;
    return new ImageData(pixels, width, height);
  } finally {
    clipped.dispose();
  }
}

/**
 * The picture {@link drawHeatmap} draws, as an `ImageData`: the coloured heatmap, or its
 * overlay on `options.image`.
 *
 * @param result a `GradCamResult` (its `heatmap` is used), or a heatmap tensor `[H,W]` or
 *   `[N,H,W]` with values in [0, 1]. Nothing passed in is disposed.
 * @throws GradCamError `BAD_INPUT` (a heatmap or image of the wrong rank), `BAD_OPTION` (an
 *   `index` outside the batch, an `alpha` outside [0, 1]) or `UNKNOWN_COLORMAP`.
 */
export async function heatmapImageData(result: GradCamResult | tf.Tensor, options: DrawHeatmapOptions = {}): Promise<ImageData> {
  const rgb = heatmapPicture(result, options);
  try {
    return await toImageData(rgb);
  } finally {
    rgb.dispose();
  }
}

/**
 * Draws a Grad-CAM heatmap on a canvas: the heatmap coloured with `options.colormap`, or, with
 * `options.image`, its overlay on that image (`blend` from the core). The canvas is resized to
 * the picture: the image's size with `image`, else the heatmap's. Scale it for display with
 * CSS, or draw this canvas onto another with `drawImage`.
 *
 * The colouring, resizing and blending run on the backend as tensor ops; only the finished
 * picture goes to the canvas, by the {@link drawPath} of the active backend: `tf.browser.draw`
 * with no read-back where the backend has a `Draw` kernel (webgpu, cpu), else one asynchronous
 * `tf.browser.toPixels` (webgl, wasm). Neither blocks the thread on the device (no `dataSync`).
 *
 * @example
 * ```ts
 * const result = await gradcam.explainAsync(image);
 * await drawHeatmap(canvas, result, { image, alpha: 0.5, colormap: 'turbo' });
 * result.dispose();
 * ```
 *
 * @param canvas an `HTMLCanvasElement` or `OffscreenCanvas` (its 2-D context is used).
 * @param result a `GradCamResult` or a heatmap tensor `[H,W]` / `[N,H,W]` in [0, 1]; not disposed.
 * @returns resolves once the pixels are on the canvas, with the {@link DrawPath} it took.
 * @throws (as a rejected promise) as {@link heatmapImageData}; `BAD_INPUT` also when the canvas
 *   has no 2-D context (it is already used for WebGL, WebGPU or a bitmap renderer).
 */
export async function drawHeatmap(
  canvas: HTMLCanvasElement | OffscreenCanvas,
  result: GradCamResult | tf.Tensor,
  options: DrawHeatmapOptions = {},
): Promise<DrawPath> {
  const picture = heatmapPicture(result, options);
  try {
    // Asked first: with a 2-D context in place, webgpu's Draw kernel draws through a canvas of
    // its own and composites it here, instead of turning the caller's canvas into a WebGPU one.
    const context = canvas.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
    if (context === null) {
      throw new GradCamError('BAD_INPUT', 'drawHeatmap needs a canvas with a 2-D context; this one is already used for WebGL, WebGPU or a bitmap renderer. Pass a fresh canvas.');
    }
    const path = drawPath();
    if (path === 'device') {
      // The kernels take an OffscreenCanvas as well (they use only getContext, width, height).
      tf.browser.draw(picture, canvas as HTMLCanvasElement); // sizes the canvas to the picture
    } else {
      const pixels = await toImageData(picture);
      if (canvas.width !== pixels.width) canvas.width = pixels.width;
      if (canvas.height !== pixels.height) canvas.height = pixels.height;
      context.putImageData(pixels, 0, 0);
    }
    return path;
  } finally {
    picture.dispose();
  }
}

/** The picture to draw, `[H,W,3]` float in [0, 1]; the caller disposes it. */
function heatmapPicture(result: GradCamResult | tf.Tensor, options: DrawHeatmapOptions): tf.Tensor3D {
  const { colormap = 'jet', alpha = 0.4, image, index = 0 } = options;
  if (!isColormapName(colormap)) {
    throw new GradCamError('UNKNOWN_COLORMAP', `Unknown colormap "${String(colormap)}"; choose one of: ${COLORMAPS.join(', ')}.`);
  }
  const heatmaps: tf.Tensor = 'heatmap' in result ? result.heatmap : result;
  if (heatmaps.rank !== 2 && heatmaps.rank !== 3) {
    throw new GradCamError('BAD_INPUT', `the heatmap must be [H,W] or [N,H,W], got ${formatShape(heatmaps.shape)}.`);
  }
  if (image !== undefined && ((image.rank !== 3 && image.rank !== 4) || image.shape[image.rank - 1] !== 3)) {
    throw new GradCamError('BAD_INPUT', `the image must be RGB, [H,W,3] or [N,H,W,3], got ${formatShape(image.shape)}.`);
  }
  const rows = heatmaps.rank === 3 ? heatmaps.shape[0] : 1;
  if (!Number.isInteger(index) || index < 0 || index >= rows) {
    throw new GradCamError('BAD_OPTION', `index must be an integer from 0 to ${rows - 1} (the heatmaps in the batch), got ${index}.`);
  }
  if (image !== undefined && image.rank === 4 && index >= image.shape[0]) {
    throw new GradCamError('BAD_OPTION', `index ${index} is outside the batch of ${image.shape[0]} images.`);
  }
  return tf.tidy(() => {
    const map = (heatmaps.rank === 3 ? tf.slice(heatmaps, [index, 0, 0], [1, -1, -1]) : tf.expandDims(heatmaps, 0)) as tf.Tensor3D;
    if (image === undefined) {
      return tf.squeeze(applyColormap(map, colormap), [0]) as tf.Tensor3D;
    }
    const picture = (image.rank === 4 ? tf.squeeze(tf.slice(image, [index, 0, 0, 0], [1, -1, -1, -1]), [0]) : image) as tf.Tensor3D;
    const [height, width] = picture.shape;
    const sized = map.shape[1] === height && map.shape[2] === width ? map : bilinearResize(map, [height, width]);
    const range = picture.dtype === 'int32' ? 255 : 1;
    const overlay = tf.squeeze(blend(picture, sized, { alpha, colormap, range }), [0]);
    return tf.clipByValue(range === 255 ? tf.div(overlay, 255) : overlay, 0, 1) as tf.Tensor3D;
  });
}
