import * as tf from '@tensorflow/tfjs-core';
import { GradCamError, normalize } from '../../src';
import { expectClose } from '../helpers/expect';

/** normalize(maps) as a flat array, with the result disposed and a leak check. */
function normalized(maps: number[][][]): { shape: number[]; values: Float32Array } {
  const x = tf.tensor3d(maps);
  const before = tf.memory().numTensors;
  const y = normalize(x);
  const out = { shape: y.shape, values: y.dataSync() as Float32Array };
  y.dispose();
  expect(tf.memory().numTensors).toBe(before);
  x.dispose();
  return out;
}

const EPS = 1e-7;

describe('normalize', () => {
  it('min-max scales a map: [[1,3],[5,9]] → (m − 1)/(8 + 1e-7)', () => {
    const { shape, values } = normalized([
      [
        [1, 3],
        [5, 9],
      ],
    ]);
    expect(shape).toEqual([1, 2, 2]);
    expectClose(values, [0, 2 / (8 + EPS), 4 / (8 + EPS), 8 / (8 + EPS)]);
    expect(values[0]).toBe(0);
  });

  it('adds exactly 1e-7 to the denominator (visible on a tiny range)', () => {
    // range 1e-6: (1e-6)/(1e-6 + 1e-7) = 10/11 ≈ 0.90909, whereas without ε it would be 1
    // and with ε = 1e-8 it would be 100/101 ≈ 0.990.
    const { values } = normalized([[[0, 1e-6]]]);
    expect(values[0]).toBe(0);
    expect(Math.abs(values[1] - 10 / 11)).toBeLessThan(1e-4);
  });

  it('turns a constant map into zeros, never NaN', () => {
    const { values } = normalized([
      [
        [5, 5],
        [5, 5],
      ],
    ]);
    for (const v of values) {
      expect(Number.isNaN(v)).toBe(false);
      expect(v).toBe(0);
    }
    const zeros = normalized([[[0, 0, 0]]]);
    expect(Array.from(zeros.values)).toEqual([0, 0, 0]);
  });

  it('normalizes each map of a batch on its own', () => {
    const { shape, values } = normalized([
      [
        [1, 3],
        [5, 9],
      ],
      [
        [100, 300],
        [200, 100],
      ],
      [
        [7, 7],
        [7, 7],
      ],
    ]);
    expect(shape).toEqual([3, 2, 2]);
    expectClose(values, [
      // map 0: min 1, range 8
      0, 2 / (8 + EPS), 4 / (8 + EPS), 8 / (8 + EPS),
      // map 1: min 100, range 200 (a shared min/max would be 1 and 299)
      0, 200 / (200 + EPS), 100 / (200 + EPS), 0,
      // map 2: constant
      0, 0, 0, 0,
    ]);
  });

  it('handles negative values', () => {
    // min −4, shifted [0, 2, 4, 0], range 4
    const { values } = normalized([
      [
        [-4, -2],
        [0, -4],
      ],
    ]);
    expectClose(values, [0, 2 / (4 + EPS), 4 / (4 + EPS), 0]);
    // mixed signs: min −3, shifted [0, 3, 9, 4], range 9
    const mixed = normalized([
      [
        [-3, 0],
        [6, 1],
      ],
    ]);
    expectClose(mixed.values, [0, 3 / (9 + EPS), 9 / (9 + EPS), 4 / (9 + EPS)]);
  });

  it('rejects maps that are not 3-D with SHAPE_MISMATCH and leaks nothing', () => {
    const x = tf.zeros([2, 2]);
    const before = tf.memory().numTensors;
    let caught: unknown;
    try {
      normalize(x as tf.Tensor3D);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(GradCamError);
    expect((caught as GradCamError).code).toBe('SHAPE_MISMATCH');
    expect((caught as GradCamError).message).toContain('[2,2]');
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
