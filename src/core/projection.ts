import * as tf from '@tensorflow/tfjs-core';
import { assertRank } from './assert';

/**
 * Power-iteration steps {@link firstComponentProjection} takes by default. The error in the
 * singular vector shrinks by `(σ₂/σ₁)²` per step, so convergence depends on the gap between the
 * first two singular values. On the parity fixtures `(σ₂/σ₁)²` is at most 0.22 and 10 steps
 * bring `v` within 1e-7 of numpy's SVD; 40 (4×) reaches float32 precision for `(σ₂/σ₁)²` up to
 * about 0.67. With a smaller gap the map mixes in some of the second component. The count is
 * fixed so the work stays on the device (no read-back to test for convergence).
 */
export const PROJECTION_ITERATIONS = 40;

/**
 * The projection of each image's activations on their first principal component —
 * pytorch-grad-cam's `get_2d_projection`, used by EigenCAM, EigenGradCAM and `eigenSmooth`.
 *
 * Per image, `x[n]` `[h,w,C]` becomes `M` `[h·w, C]` with its columns centred; the map is
 * `M·v` with `v` the first right-singular vector of `M`. tfjs has no SVD, so `v` comes from
 * a fixed number of power-iteration steps on `MᵀM` (applied as `Mᵀ(M·v)`), batched over
 * images and kept on the device. NaN activations count as 0, as in pytorch-grad-cam. An
 * all-zero or constant input gives an all-zero map.
 *
 * **Sign.** A singular vector's sign is arbitrary; pytorch-grad-cam's depends on the LAPACK
 * build. Ours is fixed: the map correlates non-negatively with the channel-mean activation,
 * `Σ_p map_p · mean_c(x[n,p,c]) ≥ 0` (for `eigenSmooth`, with the un-smoothed CAM); where
 * that sum is exactly 0, the element with the largest |value| is made positive.
 *
 * @param x `[N,h,w,C]` activations (or per-channel contributions).
 * @param iterations power-iteration steps; see {@link PROJECTION_ITERATIONS}.
 * @returns `[N,h,w]` projections, before any ReLU.
 */
export function firstComponentProjection(x: tf.Tensor4D, iterations = PROJECTION_ITERATIONS): tf.Tensor3D {
  assertRank(x, 4, 'activations', '[N,h,w,C]');
  const [n, h, w, c] = x.shape;
  return tf.tidy(() => {
    const clean = tf.where(tf.isNaN(x), tf.zerosLike(x), x);
    const rows = tf.reshape(clean, [n, h * w, c]) as tf.Tensor3D;
    // Shifting by the first row first is exact for constant columns, so they centre to exactly
    // 0 (a plain mean can miss by an ulp and leave noise that normalization would amplify).
    const shifted = tf.sub(rows, tf.slice(rows, [0, 0, 0], [n, 1, c]));
    const m = tf.sub(shifted, tf.mean(shifted, 1, true)) as tf.Tensor3D;

    // Iterate on M / max|M| so the products stay O(1) whatever the activations' scale.
    const maxAbs = tf.max(tf.abs(m), [1, 2], true);
    const scale = tf.where(tf.greater(maxAbs, 0), maxAbs, tf.onesLike(maxAbs));
    const scaled = tf.div(m, scale) as tf.Tensor3D;
    // Deterministic start: all-ones plus a ramp, so it is not orthogonal to a v summing to 0.
    const start = tf.add(1, tf.div(tf.range(0, c, 1, 'float32'), c));
    let v = tf.tile(tf.reshape(unit(start, 0), [1, c, 1]), [n, 1, 1]) as tf.Tensor3D;
    for (let i = 0; i < iterations; i++) {
      const prev = v;
      v = tf.tidy(() => unit(tf.matMul(scaled, tf.matMul(scaled, prev), true, false) as tf.Tensor3D, 1));
      tf.dispose(prev); // free each step's vector now rather than at the end of the outer tidy
    }

    // The sign is decided on the scaled matrix too: Σ proj·mean at the original scale can
    // overflow float32 (activations of 1e20 give ±Infinity terms and a NaN sum).
    const proj = tf.reshape(tf.matMul(scaled, v), [n, h * w]) as tf.Tensor2D;
    const corr = tf.sum(tf.mul(proj, tf.mean(scaled, 2)), 1); // centred channel mean: Σ proj = 0
    const extreme = tf.add(tf.max(proj, 1), tf.min(proj, 1)); // > 0 iff the largest |value| is positive
    const sign = tf.where(
      tf.notEqual(corr, 0),
      tf.sign(corr),
      tf.where(tf.less(extreme, 0), tf.fill([n], -1), tf.ones([n])),
    );
    return tf.reshape(tf.mul(tf.mul(proj, tf.reshape(sign, [n, 1])), tf.reshape(scale, [n, 1])), [n, h, w]) as tf.Tensor3D;
  });
}

/** `t / ‖t‖₂` along `axis`; a zero vector stays zero instead of becoming NaN. */
function unit<T extends tf.Tensor>(t: T, axis: number): T {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.sum(tf.square(t), axis, true));
    return tf.div(t, tf.where(tf.greater(norm, 0), norm, tf.onesLike(norm))) as T;
  });
}
