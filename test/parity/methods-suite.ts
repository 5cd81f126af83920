import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { type CamMethodName, GradCam } from '../../src';
import { FIXTURE_METHODS, FIXTURE_NAMES, type Fixture, buildFixtureModel, loadFixture, maxAbsDiff, relativeDiff, toTensor } from '../helpers/fixtures';

/**
 * Every method the fixtures carry, through `GradCam.explain`, against pytorch-grad-cam:
 * heatmaps ≤ 1e-4 absolute and raw maps ≤ 1e-4 relative for the gradient methods; ScoreCAM
 * ≤ 1e-3 (it differences many forward passes); EigenCAM up to the sign of its SVD.
 */
const TOLERANCE: Partial<Record<CamMethodName, { heatmap: number; raw: number }>> = {
  scorecam: { heatmap: 1e-3, raw: 1e-3 },
};

/** @param fixtures the parity fixtures to compare on: all of them by default. */
export function describeMethodParity(fixtures: readonly string[] = FIXTURE_NAMES): void {
  describe.each(fixtures)('every method vs pytorch-grad-cam: %s', (name) => {
    let fx: Fixture;
    let model: tfl.LayersModel;
    let gc: GradCam;
    beforeAll(() => {
      fx = loadFixture(name);
      model = buildFixtureModel(fx);
      gc = new GradCam(model, { layerName: fx.targets[0].layer });
    });
    afterAll(() => model.dispose());

    it.each(Object.keys(FIXTURE_METHODS))('%s: heatmap and raw map for every image and class', (refName) => {
      const method = FIXTURE_METHODS[refName];
      const tol = TOLERANCE[method] ?? { heatmap: 1e-4, raw: 1e-4 };
      const batch = tf.concat(fx.images.map((img) => toTensor(img.tensor)));
      const before = tf.memory().numTensors;
      for (const role of ['argmax', 'second']) {
        const cases = fx.images.map((_, i) => fx.targets[0].cases.find((c) => c.image === i && c.class_role === role)!);
        const r = gc.explain(batch, { method, classIndex: cases.map((c) => c.class) });
        cases.forEach((c, i) => {
          const heatmap = tf.tidy(() => tf.slice(r.heatmap, [i], [1]).dataSync());
          const cam = tf.tidy(() => tf.slice(r.cam, [i], [1]).dataSync());
          if (method === 'eigencam') {
            const negated = (c as unknown as { eigencam: { heatmap_negated_projection: { data: number[] } } }).eigencam
              .heatmap_negated_projection.data;
            const error = Math.min(maxAbsDiff(heatmap, c.heatmaps.EigenCAM.data), maxAbsDiff(heatmap, negated));
            expect(error).toBeLessThan(tol.heatmap);
          } else {
            expect(maxAbsDiff(heatmap, c.heatmaps[refName].data)).toBeLessThan(tol.heatmap);
            expect(relativeDiff(cam, c.raw_maps[refName].data)).toBeLessThan(tol.raw);
          }
          expect(r.scores[i]).toBeCloseTo(c.score, 4);
        });
        expect(r.classIndex).toEqual(cases.map((c) => c.class));
        r.dispose();
      }
      expect(tf.memory().numTensors).toBe(before);
      batch.dispose();
    });
  });
}
