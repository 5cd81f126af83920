import * as fs from 'node:fs';
import { FIXTURE_DIR, FIXTURE_METHODS, FIXTURE_NAMES, type FlatArray, loadFixture } from '../helpers/fixtures';

/**
 * The committed fixtures (scripts/fixtures/parity/ regenerates them) parse and carry what the
 * parity, method and browser suites read, with consistent shapes — so a broken regeneration
 * fails here with a clear message instead of deep inside a numeric comparison.
 */
const PGC_COMMIT = '084273b3f30b54ad0c64cf8020a4337d979a66e0';
const product = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

function expectArray(a: FlatArray, shape: number[], what: string): void {
  expect({ what, shape: a.shape }).toEqual({ what, shape });
  expect({ what, length: a.data.length }).toEqual({ what, length: product(shape) });
  expect({ what, finite: a.data.every(Number.isFinite) }).toEqual({ what, finite: true });
}

describe('committed parity fixtures', () => {
  it('every fixture file in test/fixtures/parity is one the suites run', () => {
    const files = fs.readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.json'));
    expect(files.map((f) => f.replace(/\.json$/, '')).sort()).toEqual([...FIXTURE_NAMES].sort());
  });

  describe.each(FIXTURE_NAMES)('%s', (name) => {
    const fx = loadFixture(name) as ReturnType<typeof loadFixture> & {
      format: string;
      generator: { pytorch_grad_cam: { commit: string } };
      targets: Array<{ feature_shape_hwc: number[] }>;
    };
    const [H, W, C] = fx.model.input.shape;
    const layerNames = fx.model.layers.map((l) => l.name);

    it('names its format and the pytorch-grad-cam commit that computed it', () => {
      expect(fx.format).toBe('gradcam-ref-fixture/1');
      expect(fx.name).toBe(name);
      expect(fx.generator.pytorch_grad_cam.commit).toBe(PGC_COMMIT);
    });

    it('describes a model whose layers are wired to known layers and whose weights fit their shapes', () => {
      expect(fx.model.input.shape).toHaveLength(3);
      const known = new Set([fx.model.input.name]);
      for (const layer of fx.model.layers) {
        expect(layer.inputs.every((i) => known.has(i))).toBe(true);
        known.add(layer.name);
      }
      expect(layerNames).toContain(fx.model.output);
      for (const [layer, weights] of Object.entries(fx.weights)) {
        expect(layerNames).toContain(layer);
        for (const w of weights) expect(w.data).toHaveLength(product(w.shape));
      }
    });

    it('has two images of the input shape, with logits whose top two classes are argmax and second', () => {
      expect(fx.images).toHaveLength(2);
      for (const img of fx.images) {
        expectArray(img.tensor, [1, H, W, C], 'image');
        const order = img.torch_logits.map((v, k) => [v, k]).sort((a, b) => b[0] - a[0]);
        expect([img.argmax, img.second]).toEqual([order[0][1], order[1][1]]);
      }
    });

    it('has, for every image and both classes, the gradients, weights, raw maps and heatmaps of every method', () => {
      const target = fx.targets[0];
      expect(layerNames).toContain(target.layer);
      const [h, w, c] = target.feature_shape_hwc;
      target.activations.forEach((a) => expectArray(a, [h, w, c], 'activations'));
      const roles = target.cases.map((k) => `${k.image}/${k.class_role}`).sort();
      expect(roles).toEqual(['0/argmax', '0/second', '1/argmax', '1/second']);
      for (const k of target.cases) {
        expect(k.class).toBe(k.class_role === 'argmax' ? fx.images[k.image].argmax : fx.images[k.image].second);
        expect(k.score).toBeCloseTo(fx.images[k.image].torch_logits[k.class], 4);
        expectArray(k.gradients, [h, w, c], 'gradients');
        expect(k.gradcam_weights).toHaveLength(c);
        expectArray(k.gradcam_raw, [h, w], 'gradcam_raw');
        for (const method of Object.keys(FIXTURE_METHODS)) {
          expectArray(k.raw_maps[method], [h, w], `${method} raw map`);
          expectArray(k.heatmaps[method], [H, W], `${method} heatmap`);
          // A heatmap is normalised to [0, 1] (its maximum 1 unless the map is all zero).
          const data = k.heatmaps[method].data;
          expect(Math.min(...data)).toBeGreaterThanOrEqual(0);
          expect(Math.max(...data)).toBeLessThanOrEqual(1 + 1e-6);
        }
        const extra = k as unknown as { channel_weights: Record<string, number[]>; eigencam: { heatmap_negated_projection: FlatArray; numpy_VT0: number[] } };
        expect(extra.channel_weights.ScoreCAM).toHaveLength(c);
        expect(extra.eigencam.numpy_VT0).toHaveLength(c);
        expectArray(extra.eigencam.heatmap_negated_projection, [H, W], 'EigenCAM negated heatmap');
      }
    });
  });
});
