/**
 * Checks of tfjs-gradcam/browser in a real browser: the test page of examples/browser (test.html)
 * puts drawHeatmap, heatmapImageData and toImageData on `window.__browserApi`; {@link drawOn}
 * calls them there with hand-made heatmaps and images and returns the pixels they gave, and
 * which path drawHeatmap took to the canvas with the reads from the device it made on the way.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import type { Page } from 'playwright-core';
import type { GradCamResult } from '../../src';

/** What the page computes, for one backend. */
export interface Drawn {
  backend: string;
  canvasSize: number[];
  heatmapPixels: number[];
  overlaySize: number[];
  overlayCorners: number[][];
  int32Corner: number[];
  batchPixel: number[];
  offscreenPixels: number[];
  toImageDataInt: number[];
  toImageDataClipped: number[];
  errorCodes: string[];
  /** What drawHeatmap returned (its DrawPath), and what drawPath() says for the backend. */
  drawPath: string;
  expectedPath: string;
  /**
   * The reads from the device while drawHeatmap drew a 16×20 overlay: the backend's `read`
   * (`await data()`) and `readSync`, the engine's `readSync`, and `Tensor.dataSync`,
   * `arraySync`, `bufferSync`.
   */
  pathReads: string[];
  /** That overlay's RGBA pixels, `[16·20·4]`: the heatmap at the image's size (no resize); and as the cpu backend draws it. */
  sameSizePixels: number[];
  cpuSameSizePixels: number[];
  /** Max |drawHeatmap's pixels − heatmapImageData's| (the read-back) for a 5×7 map laid over a 20×24 image. */
  resizedVsReadback: number;
  tensorsBefore: number;
  tensorsAfter: number;
}

export async function drawOn(page: Page, backend: string): Promise<Drawn> {
  return page.evaluate(async (name): Promise<Drawn> => {
    const api = window.__browserApi;
    if (api === undefined) throw new Error('no __browserApi');
    const { tf, drawHeatmap, heatmapImageData, toImageData, useBackend } = api;
    await useBackend(name as 'cpu' | 'wasm' | 'webgl' | 'webgpu');
    const tensorsBefore = tf.memory().numTensors;
    const rgba = (data: Uint8ClampedArray, i: number): number[] => Array.from(data.subarray(4 * i, 4 * i + 4));
    const read = (canvas: HTMLCanvasElement): ImageData => {
      const ctx = canvas.getContext('2d');
      if (ctx === null) throw new Error('no context');
      return ctx.getImageData(0, 0, canvas.width, canvas.height);
    };

    // 1. A 2×2 heatmap alone, gray colour map: pixel = round(255·value), opaque.
    const heatmap = tf.tensor2d([[0, 0.5], [1, 0.25]]);
    const asResult = { heatmap: tf.expandDims(heatmap, 0) as tfc.Tensor3D } as GradCamResult;
    const canvas = document.createElement('canvas');
    await drawHeatmap(canvas, heatmap, { colormap: 'gray' });
    const plain = read(canvas);
    const heatmapPixels = [0, 1, 2, 3].flatMap((i) => rgba(plain.data, i));

    // 2. Over a 4×4 float image: the heatmap is resized to 4×4 (the corners keep their values),
    //    out = 0.75·image + 0.25·gray(heatmap).
    const image = tf.tidy(() => tf.mul(tf.ones([4, 4, 3]), tf.tensor1d([0.2, 0.6, 1]))) as tfc.Tensor3D;
    const overlayCanvas = document.createElement('canvas');
    await drawHeatmap(overlayCanvas, asResult, { colormap: 'gray', alpha: 0.25, image }); // a GradCamResult's heatmap
    const overlay = read(overlayCanvas);
    const overlayCorners = [0, 3, 12, 15].map((i) => rgba(overlay.data, i));

    // 3. An int32 image in [0, 255] (as tf.browser.fromPixels gives).
    const image255 = tf.tidy(() => tf.cast(tf.mul(tf.ones([2, 2, 3]), tf.tensor1d([50, 100, 200])), 'int32')) as tfc.Tensor3D;
    const int32 = await heatmapImageData(heatmap, { colormap: 'gray', alpha: 0.25, image: image255 });
    const int32Corner = rgba(int32.data, 2); // heatmap value 1

    // 4. A batch of two 1×1 heatmaps: index 1 is drawn.
    const batch = tf.tensor3d([0.2, 0.8], [2, 1, 1]);
    const batchImage = await heatmapImageData(batch, { colormap: 'gray', index: 1 });
    const batchPixel = rgba(batchImage.data, 0);

    // 5. An OffscreenCanvas.
    const offscreen = new OffscreenCanvas(1, 1);
    await drawHeatmap(offscreen, heatmap, { colormap: 'gray' });
    const offCtx = offscreen.getContext('2d');
    const offscreenPixels = offCtx === null ? [] : Array.from(offCtx.getImageData(0, 0, 2, 2).data);

    // 6. toImageData: int32 as is, float in [0, 1] scaled and clipped.
    const ints = tf.tensor3d([[[1, 2, 3], [250, 251, 252]]], [1, 2, 3], 'int32');
    const toImageDataInt = Array.from((await toImageData(ints)).data);
    const floats = tf.tensor3d([[[-0.5, 0.5, 2]]], [1, 1, 3]);
    const toImageDataClipped = Array.from((await toImageData(floats)).data);

    // 7. Bad input rejects with a GradCamError and its code.
    const codes = async (attempts: Array<() => Promise<unknown>>): Promise<string[]> => {
      const out: string[] = [];
      for (const attempt of attempts) {
        try {
          await attempt();
          out.push('resolved');
        } catch (err) {
          out.push((err as { code?: string }).code ?? String(err));
        }
      }
      return out;
    };
    const flat = tf.tensor1d([0.5]);
    const errorCodes = await codes([
      () => heatmapImageData(batch, { index: 2 }),
      () => heatmapImageData(flat),
      () => heatmapImageData(heatmap, { colormap: 'rainbow' as never }),
      () => heatmapImageData(heatmap, { alpha: 2, image: image255 }),
      () => toImageData(heatmap as unknown as tfc.Tensor3D),
    ]);

    // 8. The path to the canvas. A 16×20 heatmap whose values sit a quarter step off the colour
    //    table's rounding points, over an image of its size: every backend should draw the cpu
    //    backend's pixels (drawn at the end) within 1 per channel. Watched for reads from the device.
    const [h, w] = [16, 20];
    const mapValues = Array.from({ length: h * w }, (_, i) => Math.min(1, (((i * 37) % 256) + 0.25) / 255));
    const gradientValues = Array.from({ length: h * w * 3 }, (_, i) => ((i * 13) % 256) / 255);
    const drawSameSize = async (reads?: string[]): Promise<{ path: string; pixels: number[] }> => {
      const map = tf.tensor2d(mapValues, [h, w]);
      const picture = tf.tensor3d(gradientValues, [h, w, 3]);
      const restores: Array<() => void> = [];
      const watch = (host: Record<string, unknown>, name: string, label: string): void => {
        const original = host[name] as (...args: unknown[]) => unknown;
        const own = Object.prototype.hasOwnProperty.call(host, name);
        host[name] = function (this: unknown, ...args: unknown[]): unknown {
          reads?.push(label);
          return original.apply(this, args);
        };
        restores.push(() => (own ? (host[name] = original) : delete host[name]));
      };
      watch(tf.backend() as unknown as Record<string, unknown>, 'read', 'backend.read');
      watch(tf.backend() as unknown as Record<string, unknown>, 'readSync', 'backend.readSync');
      watch(tf.engine() as unknown as Record<string, unknown>, 'readSync', 'engine.readSync');
      for (const method of ['dataSync', 'arraySync', 'bufferSync']) watch(tf.Tensor.prototype as unknown as Record<string, unknown>, method, `Tensor.${method}`);
      const target = document.createElement('canvas');
      try {
        const path = await drawHeatmap(target, map, { colormap: 'jet', alpha: 0.4, image: picture });
        return { path, pixels: Array.from(read(target).data) };
      } finally {
        for (const restore of restores.reverse()) restore();
        tf.dispose([map, picture]);
      }
    };
    const pathReads: string[] = [];
    const { path: drawPath, pixels: sameSizePixels } = await drawSameSize(pathReads);

    // 9. A map resized onto a larger image: drawn on this backend's path and read back with
    //    heatmapImageData (toPixels), from the same tensors.
    const smallMap = tf.tensor3d(mapValues.slice(0, 35), [1, 5, 7]);
    const photo = tf.tidy(() => tf.image.resizeBilinear(tf.tensor3d(gradientValues, [h, w, 3]), [20, 24])) as tfc.Tensor3D;
    const resizedCanvas = document.createElement('canvas');
    await drawHeatmap(resizedCanvas, smallMap, { colormap: 'turbo', alpha: 0.5, image: photo });
    const drawnResized = read(resizedCanvas).data;
    const readBack = (await heatmapImageData(smallMap, { colormap: 'turbo', alpha: 0.5, image: photo })).data;
    const resizedVsReadback =
      drawnResized.length === readBack.length && drawnResized.length === 20 * 24 * 4 ? Math.max(...drawnResized.map((v, i) => Math.abs(v - readBack[i]))) : Infinity;

    tf.dispose([heatmap, asResult.heatmap, image, image255, batch, ints, floats, flat, smallMap, photo]);
    const expectedPath = api.drawPath();
    await useBackend('cpu');
    const cpuSameSizePixels = (await drawSameSize()).pixels;
    await useBackend(name as 'cpu' | 'wasm' | 'webgl' | 'webgpu');
    const tensorsAfter = tf.memory().numTensors;
    return {
      backend: tf.getBackend(),
      canvasSize: [canvas.width, canvas.height],
      heatmapPixels,
      overlaySize: [overlayCanvas.width, overlayCanvas.height],
      overlayCorners,
      int32Corner,
      batchPixel,
      offscreenPixels,
      toImageDataInt,
      toImageDataClipped,
      errorCodes,
      drawPath,
      expectedPath,
      pathReads,
      sameSizePixels,
      cpuSameSizePixels,
      resizedVsReadback,
      tensorsBefore,
      tensorsAfter,
    };
  }, backend);
}

