import * as tf from '@tensorflow/tfjs-core';
import { GradCamError, bilinearResize, camToHeatmap, normalize } from '../../src';
import { expectClose } from '../helpers/expect';

/** camToHeatmap(cam, size) as a flat array, with the result disposed and a leak check. */
function heatmapOf(cam: tf.Tensor3D, size: [number, number]): { shape: number[]; values: Float32Array } {
  const before = tf.memory().numTensors;
  const h = camToHeatmap(cam, size);
  const out = { shape: h.shape, values: h.dataSync() as Float32Array };
  h.dispose();
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

/** A 3×3 map whose peak is its single centre cell. */
const CENTRE_PEAK = [
  [
    [0, 0, 0],
    [0, 2, 0],
    [0, 0, 0],
  ],
];

describe('camToHeatmap', () => {
  it('equals normalize(bilinearResize(normalize(cam))) for a batch of 2', () => {
    const cam = tf.tensor3d([
      [
        [0, 1, 3],
        [2, 0.5, 0],
      ],
      [
        [10, 0, 0],
        [0, 0, 4],
      ],
    ]);
    const before = tf.memory().numTensors;
    const { shape, values } = heatmapOf(cam, [5, 7]);
    const composed = tf.tidy(() => normalize(bilinearResize(normalize(cam), [5, 7])));
    const expected = composed.dataSync();
    composed.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(shape).toEqual([2, 5, 7]);
    expectClose(values, expected);
    cam.dispose();
  });

  it('gives each heatmap values in [0,1] with min 0 and max ≈ 1', () => {
    const cam = tf.tensor3d([
      [
        [0, 1, 3],
        [2, 0.5, 0],
      ],
      [
        [5, 6, 6],
        [7, 5, 5],
      ],
    ]);
    const { values } = heatmapOf(cam, [6, 9]);
    for (let n = 0; n < 2; n++) {
      const map = Array.from(values.slice(n * 54, (n + 1) * 54));
      expect(Math.min(...map)).toBe(0);
      // 1/(1 + 1e-7) in float32
      expect(Math.abs(Math.max(...map) - 1)).toBeLessThan(1e-6);
      for (const v of map) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
    }
    cam.dispose();
  });

  it('needs the second normalization: resizing lowers a single-cell peak', () => {
    // 3 → 4 with half-pixel centres: s = 0.75i − 0.125 → 0 (clamped), 0.625, 1.375, 2 (clamped).
    // The first normalization makes the centre 2/(2 + 1e-7) ≈ 1. The tent around index 1 weighs
    // a(s) = max(0, 1 − |s − 1|) = [0, 0.625, 0.625, 0], so the resized map is a ⊗ a with peak
    // 0.625² = 0.390625 < 1 in the inner 2×2 block and 0 elsewhere.
    const cam = tf.tensor3d(CENTRE_PEAK);
    const withoutSecond = tf.tidy(() => bilinearResize(normalize(cam), [4, 4]));
    const a = [0, 0.625, 0.625, 0];
    const once = a.flatMap((ai) => a.map((aj) => ai * aj));
    expectClose(withoutSecond.dataSync(), once);
    expect(Math.max(...Array.from(withoutSecond.dataSync()))).toBeLessThan(0.4);
    withoutSecond.dispose();

    // The second normalization divides by 0.390625 (+1e-7): inner block 1, border 0.
    const { values } = heatmapOf(cam, [4, 4]);
    expectClose(
      values,
      [
        [0, 0, 0, 0],
        [0, 1, 1, 0],
        [0, 1, 1, 0],
        [0, 0, 0, 0],
      ].flat(),
    );
    cam.dispose();
  });

  it('passes errors from its steps through as GradCamError and leaks nothing', () => {
    const cam = tf.tensor3d(CENTRE_PEAK);
    const bad = tf.zeros([3, 3]);
    const before = tf.memory().numTensors;
    const codeOf = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(GradCamError);
        return (e as GradCamError).code;
      }
      return undefined;
    };
    expect(codeOf(() => camToHeatmap(cam, [0, 4]))).toBe('BAD_OPTION');
    expect(codeOf(() => camToHeatmap(bad as tf.Tensor3D, [4, 4]))).toBe('SHAPE_MISMATCH');
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([cam, bad]);
  });
});
