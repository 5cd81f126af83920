import * as tf from '@tensorflow/tfjs-core';
import { GradCamError, bilinearResize } from '../../src';
import { expectClose } from '../helpers/expect';

/** bilinearResize(maps, size) as a flat array, with the result disposed and a leak check. */
function resized(maps: number[][][], size: [number, number]): { shape: number[]; values: Float32Array } {
  const x = tf.tensor3d(maps);
  const before = tf.memory().numTensors;
  const y = bilinearResize(x, size);
  const out = { shape: y.shape, values: y.dataSync() as Float32Array };
  y.dispose();
  expect(tf.memory().numTensors).toBe(before);
  x.dispose();
  return out;
}

/*
 * Half-pixel centres with edge clamp (OpenCV INTER_LINEAR): output index i samples the source at
 * s(i) = (i + 0.5)·in/out − 0.5, clamped to [0, in − 1].
 *
 * 2 → 4: s = −0.25 → 0, 0.25, 0.75, 1.25 → 1.
 * For [[0,1],[2,3]] the bilinear surface is f(y, x) = 2y + x, so out[i][j] = 2·s(i) + s(j).
 */
const SQUARE_IN = [
  [0, 1],
  [2, 3],
];
const SQUARE_OUT = [
  [0, 0.25, 0.75, 1],
  [0.5, 0.75, 1.25, 1.5],
  [1.5, 1.75, 2.25, 2.5],
  [2, 2.25, 2.75, 3],
].flat();

describe('bilinearResize', () => {
  it('upsamples 2×2 → 4×4 with half-pixel centres and edge clamp', () => {
    const { shape, values } = resized([SQUARE_IN], [4, 4]);
    expect(shape).toEqual([1, 4, 4]);
    expectClose(values, SQUARE_OUT);
  });

  it('differs from tfjs\'s default flags (alignCorners=false, halfPixelCenters=false)', () => {
    // The default samples s(i) = i·in/out = 0, 0.5, 1, 1.5 → 1: first row [0, 0.5, 1, 1].
    const x = tf.tensor4d([[[[0], [1]], [[2], [3]]]]);
    const defaults = tf.image.resizeBilinear(x, [4, 4]);
    const values = Array.from(defaults.dataSync());
    tf.dispose([x, defaults]);
    expectClose(values.slice(0, 4), [0, 0.5, 1, 1]);
    const maxDiff = Math.max(...values.map((v, i) => Math.abs(v - SQUARE_OUT[i])));
    expect(maxDiff).toBeGreaterThan(0.2);
  });

  it('resizes a non-square 2×3 map to 5×4', () => {
    // rows, 2 → 5: s = (i + 0.5)·2/5 − 0.5 = 0.4i − 0.3 → 0 (clamped), 0.1, 0.5, 0.9, 1 (clamped)
    // cols, 3 → 4: s = (j + 0.5)·3/4 − 0.5 = 0.75j − 0.125 → 0 (clamped), 0.625, 1.375, 2 (clamped)
    // Source rows [0, 1, 5] and [2, 0, 4] sampled at the columns:
    //   R0 = [0, 0.625·1, 1 + 0.375·4, 5]       = [0, 0.625, 2.5, 5]
    //   R1 = [2, 2 + 0.625·(0 − 2), 0 + 0.375·4, 4] = [2, 0.75, 1.5, 4]
    // then out row = R0 + t·(R1 − R0), R1 − R0 = [2, 0.125, −1, −1], t = 0, 0.1, 0.5, 0.9, 1.
    const { shape, values } = resized(
      [
        [
          [0, 1, 5],
          [2, 0, 4],
        ],
      ],
      [5, 4],
    );
    expect(shape).toEqual([1, 5, 4]);
    expectClose(values, [
      [0, 0.625, 2.5, 5],
      [0.2, 0.6375, 2.4, 4.9],
      [1, 0.6875, 2.0, 4.5],
      [1.8, 0.7375, 1.6, 4.1],
      [2, 0.75, 1.5, 4],
    ].flat());
  });

  it('resizes each map of a batch of 2 on its own', () => {
    // Map 1 is a single peak 4 at (0,0): f(y, x) = 4·(1 − y)(1 − x) on [0,1]²;
    // 1 − s = [1, 0.75, 0.25, 0], so out[i][j] = 4·a[i]·a[j] with a = [1, 0.75, 0.25, 0].
    const { shape, values } = resized(
      [
        SQUARE_IN,
        [
          [4, 0],
          [0, 0],
        ],
      ],
      [4, 4],
    );
    expect(shape).toEqual([2, 4, 4]);
    expectClose(values, [
      ...SQUARE_OUT,
      ...[
        [4, 3, 1, 0],
        [3, 2.25, 0.75, 0],
        [1, 0.75, 0.25, 0],
        [0, 0, 0, 0],
      ].flat(),
    ]);
  });

  it('keeps a map of the same size unchanged', () => {
    const { values } = resized([SQUARE_IN], [2, 2]);
    expectClose(values, [0, 1, 2, 3]);
  });

  it.each([
    [[0, 4]],
    [[4, 0]],
    [[-1, 4]],
    [[2.5, 4]],
    [[4, NaN]],
    [[Infinity, 4]],
  ])('rejects size %j with BAD_OPTION and leaks nothing', (size) => {
    const x = tf.tensor3d([SQUARE_IN]);
    const before = tf.memory().numTensors;
    let caught: unknown;
    try {
      bilinearResize(x, size as [number, number]);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(GradCamError);
    expect((caught as GradCamError).code).toBe('BAD_OPTION');
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('rejects maps that are not 3-D with SHAPE_MISMATCH and leaks nothing', () => {
    const x = tf.zeros([1, 2, 2, 1]);
    const before = tf.memory().numTensors;
    let caught: unknown;
    try {
      bilinearResize(x as tf.Tensor3D, [4, 4]);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(GradCamError);
    expect((caught as GradCamError).code).toBe('SHAPE_MISMATCH');
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
