/** `explain --metrics`: each explained map's faithfulness metrics, and their means for the summary. */
import * as tf from '@tensorflow/tfjs-core';
import { GradCamError } from '../errors';
import { type MetricModel, averageDrop, confidenceChange, deletion, insertion, roadCombined } from '../metrics';

/** The metrics of one map (class probabilities; see docs/metrics.md). */
export interface MapMetrics {
  /** s(x ⊙ cam) − s(x). */
  readonly confidenceChange: number;
  /** max(0, s(x) − s(x ⊙ cam)) / s(x): this image's term of the Average Drop. */
  readonly drop: number;
  /** 1 when s(x ⊙ cam) > s(x): this image's term of the Average Increase. */
  readonly increase: number;
  /** (LeRF − MoRF) / 2 over the percentiles 10…90, noise 0.01 with seed 0. */
  readonly roadCombined: number;
  readonly deletion: number;
  readonly insertion: number;
}

/** The CLI's fixed seed, so that a run's ROAD numbers are reproducible. */
const SEED = 0;

/** Computes the metrics of one image's map for its class. `input` `[H,W,C]`, `heatmap` `[1,H,W]`. */
export async function mapMetrics(model: MetricModel, input: tf.Tensor3D, heatmap: tf.Tensor3D, classIndex: number): Promise<MapMetrics> {
  const images = tf.expandDims(input, 0) as tf.Tensor4D;
  try {
    const o = { classIndex };
    const [change] = await confidenceChange(model, images, heatmap, o);
    // Average Drop over a batch of one: this image's term (undefined, NaN, for a probability of 0).
    const drop = await averageDrop(model, images, heatmap, o).catch((err: unknown) => {
      if (err instanceof GradCamError && err.code === 'BAD_OPTION') return Number.NaN;
      throw err;
    });
    const [road] = await roadCombined(model, images, heatmap, { ...o, seed: SEED });
    const [del] = await deletion(model, images, heatmap, o);
    const [ins] = await insertion(model, images, heatmap, o);
    return { confidenceChange: change, drop, increase: change > 0 ? 1 : 0, roadCombined: road, deletion: del, insertion: ins };
  } finally {
    images.dispose();
  }
}

/** The mean of each metric over the explained maps, for the summary line. */
export function metricsSummary(all: readonly MapMetrics[]): string {
  if (all.length === 0) return '';
  const mean = (key: keyof MapMetrics): string => {
    const values = all.map((m) => m[key]).filter(Number.isFinite);
    return (values.reduce((s, v) => s + v, 0) / values.length).toFixed(3);
  };
  return (
    `Faithfulness over ${all.length} map${all.length === 1 ? '' : 's'} (means): average drop ${mean('drop')}, ` +
    `average increase ${mean('increase')}, ROAD combined ${mean('roadCombined')}, deletion ${mean('deletion')}, insertion ${mean('insertion')}`
  );
}
