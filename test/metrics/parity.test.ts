/**
 * Parity with pytorch-grad-cam's own metric classes (commit 084273b), on the parity networks with
 * pytorch-grad-cam's GradCAM heatmaps: test/fixtures/metrics/metrics.json, made by
 * scripts/fixtures/metrics/make_metrics_fixture.py.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import * as metrics from '../../src/metrics';
import { percentileThreshold, roadRemovedPixels, type RoadOrder } from '../../src/metrics/percentile';
import { type FlatArray, buildFixtureModel, loadFixture, maxAbsDiff } from '../helpers/fixtures';

interface Scores {
  confidenceChange: number;
  dropInConfidence: number;
  increaseInConfidence: number;
  road_morf: Record<string, number>;
  road_lerf: Record<string, number>;
  roadCombined: number;
}
interface MetricsCase {
  image: number;
  class: number;
  probability: Scores;
  logit: Scores;
  removed: Record<'morf' | 'lerf', Record<string, { count: number; threshold: number }>>;
  imputed?: Array<{ order: 'morf' | 'lerf'; percentile: number; image: FlatArray }>;
}
interface MetricsFixture {
  nets: Array<{ name: string; cases: MetricsCase[] }>;
  percentile_rule: Array<{ name: string; map: FlatArray; rules: Array<{ order: 'morf' | 'lerf'; percentile: number; threshold: number; removed: number[] }> }>;
}

const fixture = JSON.parse(fs.readFileSync(path.resolve(process.cwd(), 'test/fixtures/metrics/metrics.json'), 'utf8')) as MetricsFixture;
const ORDER: Record<'morf' | 'lerf', RoadOrder> = { morf: 'most-relevant-first', lerf: 'least-relevant-first' };

// On wasm: the metrics are backend-independent tensor code, and wasm runs them ~25× faster than cpu.
beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
});

describe.each(fixture.nets.map((n) => [n.name, n] as const))('%s network: the same numbers as pytorch-grad-cam', (name, net) => {
  let model: LayersModel;
  let images: tf.Tensor4D;
  let heatmaps: tf.Tensor3D;
  const classIndex = net.cases.map((c) => c.class);
  beforeAll(() => {
    const fx = loadFixture(name);
    model = buildFixtureModel(fx);
    // One row per case: the case's image and its pytorch-grad-cam GradCAM heatmap.
    images = tf.tidy(() => tf.concat(net.cases.map((c) => tf.tensor4d(fx.images[c.image].tensor.data, [1, 32, 32, 3]))));
    heatmaps = tf.tidy(() => tf.stack(fx.targets[0].cases.map((c) => tf.tensor(c.heatmaps.GradCAM.data, c.heatmaps.GradCAM.shape))) as tf.Tensor3D);
    expect(fx.targets[0].cases.map((c) => [c.image, c.class])).toEqual(net.cases.map((c) => [c.image, c.class]));
  });
  afterAll(() => {
    tf.dispose([images, heatmaps]);
    model.dispose();
  });

  it.each(['probability', 'logit'] as const)('confidenceChange, dropInConfidence, increaseInConfidence (%s) within 1e-5', async (score) => {
    const o = { classIndex, score };
    const before = tf.memory().numTensors;
    const change = await metrics.confidenceChange(model, images, heatmaps, o);
    const drop = await metrics.dropInConfidence(model, images, heatmaps, o);
    const increase = await metrics.increaseInConfidence(model, images, heatmaps, o);
    expect(tf.memory().numTensors).toBe(before);
    expect(maxAbsDiff(change, net.cases.map((c) => c[score].confidenceChange))).toBeLessThan(1e-5);
    expect(maxAbsDiff(drop, net.cases.map((c) => c[score].dropInConfidence))).toBeLessThan(1e-5);
    expect(increase).toEqual(net.cases.map((c) => c[score].increaseInConfidence));
  });

  it.each(['probability', 'logit'] as const)('road, most and least relevant first at 20/50/80, noise 0 (%s) within 1e-4', async (score) => {
    for (const order of ['morf', 'lerf'] as const) {
      for (const p of ['20', '50', '80']) {
        const got = await metrics.road(model, images, heatmaps, { classIndex, score, percentiles: Number(p), order: ORDER[order], noise: 0 });
        expect(maxAbsDiff(got, net.cases.map((c) => c[score][`road_${order}`][p]))).toBeLessThan(1e-4);
      }
    }
  });

  it.each(['probability', 'logit'] as const)('roadCombined over 10..90, noise 0 (%s) within 1e-4, without leaks', async (score) => {
    const before = tf.memory().numTensors;
    const got = await metrics.roadCombined(model, images, heatmaps, { classIndex, score, noise: 0 });
    expect(tf.memory().numTensors).toBe(before);
    expect(maxAbsDiff(got, net.cases.map((c) => c[score].roadCombined))).toBeLessThan(1e-4);
  });

  it('removes the same number of pixels at every percentile, with the same float32 threshold', () => {
    const maps = heatmaps.arraySync().map((m) => Float32Array.from(m.flat()));
    net.cases.forEach((c, i) => {
      for (const order of ['morf', 'lerf'] as const) {
        for (const [p, want] of Object.entries(c.removed[order])) {
          const ranked = order === 'morf' ? maps[i] : maps[i].map((v) => Math.fround(1 - v));
          expect(percentileThreshold(ranked, Number(p))).toBe(Math.fround(want.threshold));
          expect(roadRemovedPixels(maps[i], Number(p), ORDER[order]).reduce((a, b) => a + b, 0)).toBe(want.count);
        }
      }
    });
  });

  it('imputes the same image (noise 0) within 1e-5', async () => {
    const maps = heatmaps.arraySync().map((m) => Float32Array.from(m.flat()));
    const imputedCases = net.cases.flatMap((c, i) => (c.imputed ?? []).map((im) => ({ i, ...im })));
    expect(imputedCases.length).toBeGreaterThanOrEqual(2);
    for (const { i, order, percentile, image } of imputedCases) {
      const removed = tf.tensor2d(roadRemovedPixels(maps[i], percentile, ORDER[order]), [32, 32]);
      const source = tf.tidy(() => tf.squeeze(tf.slice(images, [i, 0, 0, 0], [1, -1, -1, -1]), [0]) as tf.Tensor3D);
      const out = await metrics.noisyLinearImpute(source, removed, { noise: 0 });
      expect(maxAbsDiff(out.dataSync(), image.data)).toBeLessThan(1e-5);
      tf.dispose([removed, source, out]);
    }
  });
});

describe('the percentile rule on ties and plateaus (pytorch-grad-cam: removed = map ≥ np.percentile)', () => {
  it.each(fixture.percentile_rule.map((m) => [m.name, m] as const))('%s', (_name, entry) => {
    const map = Float32Array.from(entry.map.data);
    for (const rule of entry.rules) {
      const removed = roadRemovedPixels(map, rule.percentile, ORDER[rule.order]);
      const got = Array.from(removed.keys()).filter((i) => removed[i] === 1);
      expect({ ...rule, removed: got }).toEqual({ ...rule, removed: rule.removed });
    }
  });
});
