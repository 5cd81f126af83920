/**
 * The cost of `roadCombined` (tfjs-gradcam/metrics) on one 224×224 image, and the share of it
 * spent in the noisy linear imputation (the sparse solves, in JavaScript), measured on the same
 * removal masks. The map is a smooth off-centre blob, so the removed regions are large and
 * connected, as with real CAMs (the hard case for the solver).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { mulberry32 } from '../src/demo/prng';
import { roadCombined } from '../src/metrics';
import { imputeImage } from '../src/metrics/impute';
import { type RoadOrder, roadRemovedPixels } from '../src/metrics/percentile';

const PERCENTILES = [10, 20, 30, 40, 50, 60, 70, 80, 90];

function blob(size: number): Float32Array {
  const map = new Float32Array(size * size);
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) map[r * size + c] = Math.exp(-((r - 0.4 * size) ** 2 + (c - 0.6 * size) ** 2) / (2 * (0.2 * size) ** 2));
  }
  return map;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median ms of `roadCombined` and of its 18 imputations alone over `rounds` rounds (after a warm-up of the imputations). */
export async function roadCost(model: tfl.LayersModel, x: tf.Tensor4D, rounds: number): Promise<{ total: number; imputation: number }> {
  const [, h, w, c] = x.shape;
  const map = blob(h);
  const heatmaps = tf.tensor3d(map, [1, h, w]);
  const pixels = (await x.data()) as Float32Array;
  const masks = (['least-relevant-first', 'most-relevant-first'] as RoadOrder[]).flatMap((order) => PERCENTILES.map((p) => roadRemovedPixels(map, p, order)));
  const imputeAll = (): void => {
    const random = mulberry32(1);
    for (const removed of masks) imputeImage(pixels, removed, h, w, c, 0.01, random);
  };
  imputeAll();
  const totals: number[] = [];
  const imputations: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let t0 = performance.now();
    await roadCombined(model, x, heatmaps, { classIndex: 0, seed: r });
    totals.push(performance.now() - t0);
    t0 = performance.now();
    imputeAll();
    imputations.push(performance.now() - t0);
  }
  heatmaps.dispose();
  return { total: median(totals), imputation: median(imputations) };
}
