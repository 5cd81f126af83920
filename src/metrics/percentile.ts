/**
 * pytorch-grad-cam's percentile rule for ROAD, bit for bit: the threshold is numpy's
 * `np.percentile(mask, p)` (linear interpolation) of the float32 map, compared in float32, and a
 * pixel is removed when its value is at or above it (kept: strictly below).
 */

/** Which pixels ROAD removes first: the most relevant (high map) or the least relevant (low map). */
export type RoadOrder = 'most-relevant-first' | 'least-relevant-first';

/**
 * numpy's linear percentile of float32 values, as numpy 1.24 computes it: the neighbours'
 * difference in float32, the interpolation in float64, then rounded to float32 (torch compares
 * the float32 map with the threshold in float32).
 *
 * @param values float32 values (not modified).
 * @param percentile in [0, 100].
 */
export function percentileThreshold(values: Float32Array, percentile: number): number {
  const sorted = Float32Array.from(values).sort();
  const n = sorted.length;
  const virtual = (percentile / 100) * (n - 1);
  const below = Math.floor(virtual);
  const above = Math.min(below + 1, n - 1);
  const gamma = virtual - below;
  const a = sorted[below];
  const b = sorted[above];
  const diff = Math.fround(b - a);
  // numpy's _lerp: from the lower neighbour below one half, from the upper one above.
  return Math.fround(gamma < 0.5 ? a + diff * gamma : b - diff * (1 - gamma));
}

/**
 * The pixels ROAD removes from one map at one percentile: 1 where the map (most-relevant-first)
 * or 1 − map (least-relevant-first) is ≥ its `percentile`-th percentile, else 0.
 *
 * A map that is 0 on more than `percentile` % of its pixels has a threshold of 0, so
 * most-relevant-first then removes every pixel, as in pytorch-grad-cam.
 *
 * @param map `[h*w]` float32 heatmap values, row-major.
 */
export function roadRemovedPixels(map: Float32Array, percentile: number, order: RoadOrder): Uint8Array {
  const ranked = order === 'most-relevant-first' ? map : map.map((v) => Math.fround(1 - v));
  const threshold = percentileThreshold(ranked, percentile);
  return Uint8Array.from(ranked, (v) => (v >= threshold ? 1 : 0));
}
