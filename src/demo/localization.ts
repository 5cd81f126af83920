import type { Box } from './scenes';

/**
 * Localization metrics for heatmaps: plain functions over a row-major `size × size` map (one
 * image of a `GradCamResult.heatmap`, read with `data()`), for evaluating where a method points.
 */

function checkMap(heatmap: ArrayLike<number>, size: number): void {
  if (!Number.isInteger(size) || size < 1 || heatmap.length !== size * size) {
    throw new RangeError(`heatmap must hold size × size = ${size}² values, got ${heatmap.length}`);
  }
}

/** The row-major index of the map's maximum (the first one when several pixels tie). */
function argmax(heatmap: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < heatmap.length; i++) if (heatmap[i] > heatmap[best]) best = i;
  return best;
}

/**
 * The pointing game (Zhang et al., 2016), without tolerance: whether the heatmap's maximum falls
 * inside `box`. When several pixels share the maximum, the first in row-major order counts.
 *
 * @param heatmap `size × size` values, row-major.
 * @throws RangeError when the map does not hold `size²` values.
 */
export function pointingHit(heatmap: ArrayLike<number>, size: number, box: Box): boolean {
  checkMap(heatmap, size);
  const peak = argmax(heatmap);
  const [row, col] = [Math.floor(peak / size), peak % size];
  return row >= box.top && row < box.bottom && col >= box.left && col < box.right;
}

/**
 * Weakly-supervised localization as in the Grad-CAM paper: keep the pixels at or above
 * `threshold` × the map's maximum, take the largest 4-connected component of them, and return
 * its bounding box (`bottom`/`right` exclusive). Components of equal size: the first found in
 * row-major order.
 *
 * @param heatmap `size × size` values, row-major.
 * @param threshold fraction of the maximum (default 0.15).
 * @returns the box, or `null` when the map has no positive maximum (nothing to localize).
 * @throws RangeError when the map does not hold `size²` values.
 */
export function localizationBox(heatmap: ArrayLike<number>, size: number, threshold = 0.15): Box | null {
  checkMap(heatmap, size);
  const peak = heatmap[argmax(heatmap)];
  if (!(peak > 0) || !Number.isFinite(peak)) return null;
  const cut = threshold * peak;
  const seen = new Uint8Array(size * size);
  const stack = new Int32Array(size * size);
  let best: Box | null = null;
  let bestArea = 0;
  for (let start = 0; start < size * size; start++) {
    if (seen[start] || !(heatmap[start] >= cut)) continue;
    // Flood fill one component with an explicit stack (maps can be large).
    const box: Box = { top: size, left: size, bottom: 0, right: 0 };
    let area = 0;
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    while (top > 0) {
      const i = stack[--top];
      const [row, col] = [Math.floor(i / size), i % size];
      area++;
      box.top = Math.min(box.top, row);
      box.left = Math.min(box.left, col);
      box.bottom = Math.max(box.bottom, row + 1);
      box.right = Math.max(box.right, col + 1);
      const neighbours = [row > 0 ? i - size : -1, row < size - 1 ? i + size : -1, col > 0 ? i - 1 : -1, col < size - 1 ? i + 1 : -1];
      for (const n of neighbours) {
        if (n >= 0 && !seen[n] && heatmap[n] >= cut) {
          seen[n] = 1;
          stack[top++] = n;
        }
      }
    }
    if (area > bestArea) {
      best = box;
      bestArea = area;
    }
  }
  return best;
}

/** Intersection over union of two boxes (0 when both are empty). */
export function iou(a: Box, b: Box): number {
  const area = (box: Box): number => Math.max(0, box.bottom - box.top) * Math.max(0, box.right - box.left);
  const overlap = area({
    top: Math.max(a.top, b.top),
    left: Math.max(a.left, b.left),
    bottom: Math.min(a.bottom, b.bottom),
    right: Math.min(a.right, b.right),
  });
  const union = area(a) + area(b) - overlap;
  return union > 0 ? overlap / union : 0;
}
