import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  GradCam,
  bilinearResize,
  gradientsForClass,
  normalize,
  poolWeights,
  splitModel,
  weightedActivationMap,
} from '../../src';
import { FIXTURE_NAMES, type Fixture, buildFixtureModel, loadFixture, maxAbsDiff, relativeDiff, toTensor } from '../helpers/fixtures';

/** Tolerances from test/fixtures/parity/README.md: what a correct implementation meets on every case. */
const HEATMAP_ABS = 1e-4;
const RELATIVE = 1e-4;

/** Numeric parity with pytorch-grad-cam on every fixture, image and class, on the current backend. */
export function describeParity(): void {
  it('auto-detects the last spatial feature map: the max-pool before a flatten, the layer before a GAP', () => {
    const expected: Record<string, string> = { plain: 'pool2', dw: 'pw3', bn: 'pool3', residual: 'conv2' };
    for (const name of FIXTURE_NAMES) {
      const model = buildFixtureModel(loadFixture(name));
      expect(new GradCam(model).layerName).toBe(expected[name]);
      model.dispose();
    }
  });

  describe.each(FIXTURE_NAMES)('parity with pytorch-grad-cam: %s', (name) => {
    let fx: Fixture;
    let model: tfl.LayersModel;
    beforeAll(() => {
      fx = loadFixture(name);
      model = buildFixtureModel(fx);
    });
    afterAll(() => model.dispose());

    it('the built model reproduces the reference logits', () => {
      for (const img of fx.images) {
        const x = toTensor(img.tensor);
        const probs = model.predict(x) as tf.Tensor;
        const expected = tf.softmax(tf.tensor1d(img.torch_logits));
        expect(maxAbsDiff(probs, expected.dataSync())).toBeLessThan(1e-5);
        tf.dispose([x, probs, expected]);
      }
    });

    it('pure functions: activations, score, gradients, weights and raw map per case', () => {
      const target = fx.targets[0];
      const split = splitModel(model, target.layer);
      for (const c of target.cases) {
        const before = tf.memory().numTensors;
        const x = toTensor(fx.images[c.image].tensor);
        const pass = split.forward(x);
        expect(relativeDiff(pass.activations, target.activations[c.image].data)).toBeLessThan(RELATIVE);

        const g = gradientsForClass(pass.head, pass.activations, c.class);
        expect(g.scores.dataSync()[0]).toBeCloseTo(c.score, 4);
        expect(Array.from(g.classIndex.dataSync())).toEqual([c.class]);
        expect(relativeDiff(g.gradients, c.gradients.data)).toBeLessThan(RELATIVE);
        const weights = poolWeights(g.gradients);
        expect(relativeDiff(weights, c.gradcam_weights)).toBeLessThan(RELATIVE);
        const raw = weightedActivationMap(pass.activations, weights);
        expect(relativeDiff(raw, c.gradcam_raw.data)).toBeLessThan(RELATIVE);

        const [, height, width] = x.shape;
        const heatmap = tf.tidy(() => normalize(bilinearResize(normalize(raw), [height, width])));
        expect(maxAbsDiff(heatmap, c.heatmaps.GradCAM.data)).toBeLessThan(HEATMAP_ABS);

        tf.dispose([x, weights, raw, heatmap, g.gradients, g.scores, g.classIndex]);
        pass.dispose();
        expect(tf.memory().numTensors).toBe(before);
      }
    });

    it('GradCam.explain: heatmap and cam for each case, one image at a time', () => {
      const target = fx.targets[0];
      const gc = new GradCam(model, { layerName: target.layer });
      for (const c of target.cases) {
        const x = toTensor(fx.images[c.image].tensor);
        const r = gc.explain(x, { classIndex: c.class });
        expect(r.heatmap.shape).toEqual([1, ...c.heatmaps.GradCAM.shape]);
        expect(maxAbsDiff(r.heatmap, c.heatmaps.GradCAM.data)).toBeLessThan(HEATMAP_ABS);
        expect(relativeDiff(r.cam, c.raw_maps.GradCAM.data)).toBeLessThan(RELATIVE);
        expect(r.scores[0]).toBeCloseTo(c.score, 4);
        r.dispose();
        x.dispose();
      }
    });

    it('GradCam.explain: both images in one batch, a class per image, and the default top class', () => {
      const target = fx.targets[0];
      const gc = new GradCam(model, { layerName: target.layer });
      const batch = tf.concat(fx.images.map((img) => toTensor(img.tensor)));
      for (const role of ['argmax', 'second']) {
        const cases = fx.images.map((_, i) => target.cases.find((c) => c.image === i && c.class_role === role)!);
        const r = role === 'argmax' ? gc.explain(batch) : gc.explain(batch, { classIndex: cases.map((c) => c.class) });
        expect(r.classIndex).toEqual(cases.map((c) => c.class));
        cases.forEach((c, i) => {
          const heatmap = tf.slice(r.heatmap, [i, 0, 0], [1, -1, -1]);
          expect(maxAbsDiff(heatmap, c.heatmaps.GradCAM.data)).toBeLessThan(HEATMAP_ABS);
          expect(r.scores[i]).toBeCloseTo(c.score, 4);
          heatmap.dispose();
        });
        r.dispose();
      }
      batch.dispose();
    });
  });
}
