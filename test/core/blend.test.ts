import * as tf from '@tensorflow/tfjs-core';
import { type BlendOptions, COLORMAPS, type ColormapName, blend } from '../../src';
import { expectClose as expectCloseTo, expectGradCamError } from '../helpers/expect';

/** Tolerance for these float32 sums. */
const expectClose = (actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void =>
  expectCloseTo(actual, expected, tol);

/** blend(...) read back, with the result disposed and a leak check. */
function blended(
  image: tf.Tensor,
  heatmap: tf.Tensor,
  options?: BlendOptions,
): { shape: number[]; dtype: string; values: Float32Array } {
  const before = tf.memory().numTensors;
  const out = blend(image, heatmap, options);
  const r = { shape: out.shape, dtype: out.dtype, values: out.dataSync() as Float32Array };
  out.dispose();
  expect(tf.memory().numTensors).toBe(before);
  return r;
}

/*
 * A 2×2 RGB image in [0,1] and a heatmap whose values sit exactly on the 8-bit grid:
 * gray(h) = round(255·h)/255 = h for h in {0, 1, 0.2 (=51/255), 0.6 (=153/255)}.
 */
const IMAGE = [
  [[0.1, 0.2, 0.3], [1, 0, 0.5]],
  [[0, 0, 0], [0.8, 0.6, 0.4]],
];
const HEAT = [
  [0, 1],
  [0.2, 0.6],
];
/** out = 0.5·image + 0.5·gray(heat), the same gray in all three channels. */
const HALF_GRAY = [
  [0.05, 0.1, 0.15], // 0.5·[0.1,0.2,0.3] + 0.5·0
  [1, 0.5, 0.75], // 0.5·[1,0,0.5] + 0.5·1
  [0.1, 0.1, 0.1], // 0 + 0.5·0.2
  [0.7, 0.6, 0.5], // 0.5·[0.8,0.6,0.4] + 0.5·0.6
].flat();

describe('blend', () => {
  it('mixes 0.5·image + 0.5·gray(heatmap) for an image in [0,1]', () => {
    const image = tf.tensor3d(IMAGE);
    const heat = tf.tensor2d(HEAT);
    const r = blended(image, heat, { colormap: 'gray', alpha: 0.5 });
    expect(r.shape).toEqual([2, 2, 3]);
    expect(r.dtype).toBe('float32');
    expectClose(r.values, HALF_GRAY);
    tf.dispose([image, heat]);
  });

  it('keeps [0,255] with range 255, explicit for a float image and inferred for int32', () => {
    const pixels = IMAGE.flat(2).map((v) => Math.round(v * 255)); // 26, 51, 77, 255, 0, 128, ...
    // out = 0.5·pixel + 0.5·255·gray(h)
    const grays = [0, 1, 0.2, 0.6].map((h) => 255 * h);
    const expected = pixels.map((p, i) => 0.5 * p + 0.5 * grays[Math.floor(i / 3)]);
    const heat = tf.tensor2d(HEAT);

    const asFloat = tf.tensor3d(pixels, [2, 2, 3], 'float32');
    const explicit = blended(asFloat, heat, { colormap: 'gray', alpha: 0.5, range: 255 });
    expectClose(explicit.values, expected, 1e-3);

    const asInt = tf.tensor3d(pixels, [2, 2, 3], 'int32');
    const inferred = blended(asInt, heat, { colormap: 'gray', alpha: 0.5 });
    expect(inferred.dtype).toBe('float32');
    expectClose(inferred.values, expected, 1e-3);
    for (const v of inferred.values) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(255);
    }
    // A float image without `range` is taken as [0,1]: the colour is not scaled to 255.
    const unscaled = blended(asFloat, heat, { colormap: 'gray', alpha: 0.5 });
    expectClose(unscaled.values, pixels.map((p, i) => 0.5 * p + 0.5 * (grays[Math.floor(i / 3)] / 255)), 1e-3);
    tf.dispose([heat, asFloat, asInt]);
  });

  it('returns the image for alpha 0 and the colour for alpha 1', () => {
    const image = tf.tensor3d(IMAGE);
    const heat = tf.tensor2d(HEAT);
    const zero = blended(image, heat, { colormap: 'gray', alpha: 0 });
    expectClose(zero.values, IMAGE.flat(2));
    const one = blended(image, heat, { colormap: 'gray', alpha: 1 });
    expectClose(one.values, [0, 1, 0.2, 0.6].flatMap((g) => [g, g, g]));
    tf.dispose([image, heat]);
  });

  it('uses OpenCV\'s COLORMAP_JET: jet(0) = (0,0,128)/255, jet(1) = (128,0,0)/255', () => {
    const image = tf.zeros([1, 2, 3]);
    const heat = tf.tensor2d([[0, 1]]);
    const r = blended(image, heat, { colormap: 'jet', alpha: 1 });
    expectClose(r.values, [0, 0, 128 / 255, 128 / 255, 0, 0]);
    // jet is the default colormap
    const byDefault = blended(image, heat, { alpha: 1 });
    expectClose(byDefault.values, [0, 0, 128 / 255, 128 / 255, 0, 0]);
    tf.dispose([image, heat]);
  });

  it('uses alpha 0.4 by default', () => {
    const image = tf.fill([1, 1, 3], 0.5);
    const heat = tf.tensor2d([[1]]);
    // 0.6·0.5 + 0.4·gray(1) = 0.3 + 0.4 = 0.7
    const r = blended(image, heat, { colormap: 'gray' });
    expectClose(r.values, [0.7, 0.7, 0.7]);
    tf.dispose([image, heat]);
  });

  describe('shapes', () => {
    it('[H,W,3] + [H,W] → [H,W,3]', () => {
      const image = tf.zeros([2, 4, 3]);
      const heat = tf.zeros([2, 4]);
      expect(blended(image, heat).shape).toEqual([2, 4, 3]);
      tf.dispose([image, heat]);
    });

    it('[N,H,W,3] + [N,H,W] → [N,H,W,3], each image with its own heatmap', () => {
      // image 0 all 0.2, image 1 all 0.4; heatmap 0 all 0 (gray 0), heatmap 1 all 1 (gray 1)
      const image = tf.tidy(() => tf.stack([tf.fill([2, 2, 3], 0.2), tf.fill([2, 2, 3], 0.4)]));
      const heat = tf.tidy(() => tf.stack([tf.zeros([2, 2]), tf.ones([2, 2])]));
      const r = blended(image, heat, { colormap: 'gray', alpha: 0.5 });
      expect(r.shape).toEqual([2, 2, 2, 3]);
      // image 0: 0.5·0.2 + 0 = 0.1; image 1: 0.5·0.4 + 0.5·1 = 0.7
      expectClose(r.values, [...new Array(12).fill(0.1), ...new Array(12).fill(0.7)]);
      tf.dispose([image, heat]);
    });

    it('[H,W,3] + [N,H,W] → [N,H,W,3], the same image under each heatmap', () => {
      const image = tf.tensor3d(IMAGE);
      const heat = tf.tidy(() => tf.stack([tf.tensor2d(HEAT), tf.zeros([2, 2])]));
      const r = blended(image, heat, { colormap: 'gray', alpha: 0.5 });
      expect(r.shape).toEqual([2, 2, 2, 3]);
      expectClose(r.values, [...HALF_GRAY, ...IMAGE.flat(2).map((v) => 0.5 * v)]);
      tf.dispose([image, heat]);
    });

    it('[N,H,W,3] + [H,W] → [N,H,W,3]', () => {
      const image = tf.zeros([3, 2, 2, 3]);
      const heat = tf.zeros([2, 2]);
      expect(blended(image, heat).shape).toEqual([3, 2, 2, 3]);
      tf.dispose([image, heat]);
    });
  });

  describe('errors', () => {
    it('rejects mismatched H/W with SHAPE_MISMATCH showing both shapes', () => {
      const image = tf.zeros([2, 2, 3]);
      const heat = tf.zeros([3, 2]);
      const err = expectGradCamError(() => blend(image, heat), 'SHAPE_MISMATCH');
      expect(err.message).toContain('[2,2,3]');
      expect(err.message).toContain('[3,2]');
      const wide = tf.zeros([2, 5]);
      expectGradCamError(() => blend(image, wide), 'SHAPE_MISMATCH');
      tf.dispose([image, heat, wide]);
    });

    it('rejects a batch mismatch (2 vs 3) with SHAPE_MISMATCH', () => {
      const image = tf.zeros([2, 2, 2, 3]);
      const heat = tf.zeros([3, 2, 2]);
      const err = expectGradCamError(() => blend(image, heat), 'SHAPE_MISMATCH');
      expect(err.message).toContain('[2,2,2,3]');
      expect(err.message).toContain('[3,2,2]');
      tf.dispose([image, heat]);
    });

    it.each([
      ['RGBA [H,W,4]', [2, 2, 4]],
      ['RGBA [N,H,W,4]', [1, 2, 2, 4]],
      ['grayscale [H,W]', [2, 2]],
      ['[H,W,1]', [2, 2, 1]],
    ])('rejects a non-RGB image (%s) with SHAPE_MISMATCH', (_why, shape) => {
      const image = tf.zeros(shape);
      const heat = tf.zeros([2, 2]);
      const err = expectGradCamError(() => blend(image, heat), 'SHAPE_MISMATCH');
      expect(err.message).toContain(`[${shape.join(',')}]`);
      tf.dispose([image, heat]);
    });

    it('rejects a heatmap that is not [H,W] or [N,H,W] with SHAPE_MISMATCH', () => {
      const image = tf.zeros([2, 2, 3]);
      const heat = tf.zeros([1, 2, 2, 1]);
      expectGradCamError(() => blend(image, heat), 'SHAPE_MISMATCH');
      tf.dispose([image, heat]);
    });

    it.each([-0.1, 1.5, NaN, Infinity])('rejects alpha %p with BAD_OPTION', (alpha) => {
      const image = tf.zeros([2, 2, 3]);
      const heat = tf.zeros([2, 2]);
      expectGradCamError(() => blend(image, heat, { alpha }), 'BAD_OPTION');
      tf.dispose([image, heat]);
    });

    it('rejects a range other than 1 or 255 with BAD_OPTION', () => {
      const image = tf.zeros([2, 2, 3]);
      const heat = tf.zeros([2, 2]);
      expectGradCamError(() => blend(image, heat, { range: 100 as 255 }), 'BAD_OPTION');
      tf.dispose([image, heat]);
    });

    it('rejects an unknown colormap with UNKNOWN_COLORMAP listing the names', () => {
      const image = tf.zeros([2, 2, 3]);
      const heat = tf.zeros([2, 2]);
      const err = expectGradCamError(
        () => blend(image, heat, { colormap: 'rainbow' as ColormapName }),
        'UNKNOWN_COLORMAP',
      );
      expect(err.message).toContain('rainbow');
      for (const name of COLORMAPS) expect(err.message).toContain(name);
      tf.dispose([image, heat]);
    });
  });
});
