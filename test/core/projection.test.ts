import * as tf from '@tensorflow/tfjs-core';
import { firstComponentProjection, PROJECTION_ITERATIONS } from '../../src/core/projection';
import { expectClose, expectGradCamError } from '../helpers/expect';

/** A deterministic pseudo-random sequence in [-1, 1) (LCG), so the tests need no seed state. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

/** Runs the projection on `[N,h,w,C]` values, checks it leaks nothing, returns the flat map. */
function project(values: number[], shape: [number, number, number, number]): { shape: number[]; data: Float32Array } {
  const x = tf.tensor4d(values, shape);
  const before = tf.memory().numTensors;
  const y = firstComponentProjection(x);
  const out = { shape: y.shape, data: y.dataSync() as Float32Array };
  y.dispose();
  expect(tf.memory().numTensors).toBe(before);
  x.dispose();
  return out;
}

/** x[p,:] = a_p·u + offset (one image, channels last), flat. */
function rankOne(a: number[], u: number[], offset: number[]): number[] {
  return a.flatMap((ap) => u.map((uc, c) => ap * uc + offset[c]));
}

const centred = (a: number[]): number[] => {
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  return a.map((v) => v - mean);
};
const normOf = (u: number[]): number => Math.hypot(...u);

/** Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations (float64). */
function jacobiEigen(sym: number[][]): { values: number[]; vectors: number[][] } {
  const n = sym.length;
  const a = sym.map((row) => [...row]);
  const v = a.map((_, i) => a.map((__, j): number => (i === j ? 1 : 0))); // columns are eigenvectors
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p][q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (Math.abs(a[p][q]) < 1e-300) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k][p];
          const akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p][k];
          const aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k][p];
          const vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: a.map((row, i) => row[i]), vectors: v[0].map((_, j) => v.map((row) => row[j])) };
}

/**
 * The first-component projection of one image `[P, C]` (row-major), computed independently in
 * float64: centre, eigen-decompose MᵀM by Jacobi, project, apply the documented sign rule.
 */
function referenceProjection(x: number[], P: number, C: number): { proj: number[]; ratio: number } {
  const mean = Array.from({ length: C }, (_, c) => {
    let s = 0;
    for (let p = 0; p < P; p++) s += x[p * C + c];
    return s / P;
  });
  const m = Array.from({ length: P }, (_, p) => Array.from({ length: C }, (__, c) => x[p * C + c] - mean[c]));
  const mtm = Array.from({ length: C }, (_, i) =>
    Array.from({ length: C }, (__, j) => m.reduce((s, row) => s + row[i] * row[j], 0)),
  );
  const { values, vectors } = jacobiEigen(mtm);
  const order = values.map((_, i) => i).sort((i, j) => values[j] - values[i]);
  const v = vectors[order[0]];
  let proj = m.map((row) => row.reduce((s, mc, c) => s + mc * v[c], 0));
  const corr = proj.reduce((s, pv, p) => s + pv * (m[p].reduce((t, mc) => t + mc, 0) / C), 0);
  if (corr < 0) proj = proj.map((pv) => -pv);
  return { proj, ratio: values[order[1]] / values[order[0]] };
}

describe('firstComponentProjection', () => {
  it('uses a fixed, documented number of power-iteration steps', () => {
    expect(PROJECTION_ITERATIONS).toBe(40);
  });

  it('rank 1: x_p = a_p·u + b projects to (a − ā)·|u|, sign following the channel mean', () => {
    // M = (a − ā)·uᵀ, so v = ±u/|u| and M·v = ±(a − ā)·|u|. The channel mean of M is
    // (a − ā)·mean(u): with mean(u) > 0 the rule picks +, with mean(u) < 0 it picks −.
    const a = [0, 1, 4, 2, 0.5, 3, 1, 0, 2]; // a 3×3 spatial pattern
    const offset = [0.3, -1, 2, 0.7];
    const uPos = [1, 2, -1, 3]; // mean > 0
    const expected = centred(a).map((v) => v * normOf(uPos));
    const pos = project(rankOne(a, uPos, offset), [1, 3, 3, 4]);
    expect(pos.shape).toEqual([1, 3, 3]);
    expectClose(pos.data, expected, 1e-5);

    const uNeg = uPos.map((v) => -v); // same subspace, mean < 0: the map flips
    const neg = project(rankOne(a, uNeg, offset), [1, 3, 3, 4]);
    expectClose(
      neg.data,
      expected.map((v) => -v),
      1e-5,
    );
  });

  it('rank 2 with a clear gap: matches a float64 Jacobi eigen-decomposition of MᵀM', () => {
    const rand = lcg(42);
    const [h, w, C] = [5, 4, 6];
    const P = h * w;
    const a = Array.from({ length: P }, () => rand());
    const b = Array.from({ length: P }, () => rand());
    const u1 = Array.from({ length: C }, () => rand());
    const u2 = Array.from({ length: C }, () => rand());
    const x: number[] = [];
    for (let p = 0; p < P; p++) for (let c = 0; c < C; c++) x.push(3 * a[p] * u1[c] + b[p] * u2[c] + 0.5 + 0.01 * rand());
    const { proj, ratio } = referenceProjection(x, P, C);
    expect(ratio).toBeLessThan(0.5); // (σ₂/σ₁)²: the gap the test relies on
    const got = project(x, [1, h, w, C]);
    const scale = Math.max(...proj.map(Math.abs));
    expectClose(got.data, proj, 1e-5 * scale); // same sign: the rule is applied in both
  });

  it('breaks a zero correlation by making the largest |value| positive', () => {
    // x_p = (a_p, −a_p): the channel mean is exactly 0, so Σ proj·mean = 0 and the fallback
    // decides. v = ±(1,−1)/√2 and M·v = ±√2·(a − ā).
    const twoChannel = (a: number[]): number[] => a.flatMap((v) => [v, -v]);
    const a1 = [0, 0, 0, 4]; // a − ā = (−1,−1,−1,3): the largest |value| is already positive
    const a2 = [4, 4, 4, 0]; // a − ā = (1,1,1,−3): the rule must flip it
    const expected = [-1, -1, -1, 3].map((v) => v * Math.SQRT2);
    expectClose(project(twoChannel(a1), [1, 2, 2, 2]).data, expected, 1e-5);
    expectClose(project(twoChannel(a2), [1, 2, 2, 2]).data, expected, 1e-5);
  });

  it('with one channel, is the centred activation itself', () => {
    const a = [2, 5, 1, 0, 7, 3];
    expectClose(project(a, [1, 2, 3, 1]).data, centred(a), 1e-5);
  });

  it('treats each image of a batch independently', () => {
    const rand = lcg(7);
    const [h, w, C] = [3, 4, 5];
    const img1 = Array.from({ length: h * w * C }, () => rand());
    const img2 = rankOne(
      Array.from({ length: h * w }, (_, p) => (p % 3) * 2),
      [0.5, 1, 0, 2, 1],
      [1, 1, 1, 1, 1],
    );
    const batch = project([...img1, ...img2], [2, h, w, C]);
    expect(batch.shape).toEqual([2, h, w]);
    const alone1 = project(img1, [1, h, w, C]).data;
    const alone2 = project(img2, [1, h, w, C]).data;
    expectClose(batch.data.subarray(0, h * w), alone1, 1e-6);
    expectClose(batch.data.subarray(h * w), alone2, 1e-6);
    expectClose(alone1, referenceProjection(img1, h * w, C).proj, 1e-4);
  });

  it('does not depend on the scale of the activations', () => {
    const rand = lcg(3);
    const x = Array.from({ length: 2 * 3 * 3 * 4 }, () => rand());
    const base = project(x, [2, 3, 3, 4]).data;
    for (const k of [1e-20, 1e20]) {
      const scaled = project(
        x.map((v) => v * k),
        [2, 3, 3, 4],
      ).data;
      expectClose(
        Array.from(scaled, (v) => v / k),
        base,
        1e-5,
      );
    }
  });

  it('gives zeros, never NaN, for an all-zero or constant input or a 1×1 map', () => {
    const zeros = project(new Array(2 * 3 * 3 * 4).fill(0), [2, 3, 3, 4]);
    expect(Array.from(zeros.data)).toEqual(new Array(18).fill(0));
    const constant = rankOne(new Array(9).fill(0), [0, 0, 0, 0], [0.1, 0.3, 7.7, -2.9]);
    expect(Array.from(project(constant, [1, 3, 3, 4]).data)).toEqual(new Array(9).fill(0));
    expect(Array.from(project([0.4, 2, 9], [1, 1, 1, 3]).data)).toEqual([0]);
  });

  it('treats NaN activations as 0, as pytorch-grad-cam does', () => {
    const rand = lcg(11);
    const x = Array.from({ length: 3 * 3 * 4 }, () => rand());
    const withNaN = [...x];
    for (const i of [0, 5, 17, 30]) withNaN[i] = NaN;
    const zeroed = withNaN.map((v) => (Number.isNaN(v) ? 0 : v));
    const got = project(withNaN, [1, 3, 3, 4]).data;
    expect(Array.from(got).every(Number.isFinite)).toBe(true);
    expectClose(got, project(zeroed, [1, 3, 3, 4]).data, 0);
  });

  it('rejects a tensor that is not 4-D, leaking nothing', () => {
    const x = tf.zeros([3, 3, 4]);
    expectGradCamError(() => firstComponentProjection(x as unknown as tf.Tensor4D), 'SHAPE_MISMATCH', /\[N,h,w,C\]/);
    x.dispose();
  });
});
