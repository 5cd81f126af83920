import * as tf from '@tensorflow/tfjs-core';

/**
 * How a picture tensor reaches the canvas:
 * - `'device'`: `tf.browser.draw`, the backend's own `Draw` kernel, with no read-back. On webgpu a
 *   compute pass writes the pixels into a WebGPU canvas texture, which is then composited onto
 *   the 2-D canvas (`drawImage`); on cpu the tensor already lies in the page's memory.
 * - `'readback'`: `await tf.browser.toPixels` (an asynchronous copy to the CPU that never blocks
 *   the thread), then `putImageData`. For backends without a `Draw` kernel: webgl and wasm in
 *   tfjs 4.22.
 */
export type DrawPath = 'device' | 'readback';

/** tfjs-core's kernel name for `tf.browser.draw` (a string, so that tfjs versions without it still load). */
const DRAW_KERNEL = 'Draw';

/**
 * Which {@link DrawPath} `drawHeatmap` takes on a backend: `'device'` where tfjs registers a
 * `Draw` kernel for it (tfjs 4.22: cpu and webgpu), else `'readback'` (webgl, wasm).
 *
 * @param backendName a tfjs backend name; default: the active backend (`tf.getBackend()`).
 * @returns `'device'` or `'readback'`.
 */
export function drawPath(backendName: string = tf.getBackend()): DrawPath {
  const drawable = typeof tf.browser.draw === 'function' && tf.getKernel(DRAW_KERNEL, backendName) !== undefined;
  return drawable ? 'device' : 'readback';
}
