import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { GradCam, splitModel } from '../../src';
import { cachingForRun, kernelCachingOf } from '../../src/model/dense-head';
import { expectGradCamError } from '../helpers/expect';
import { conv, dense, randomImages } from '../helpers/models';

/** A conv net with a flatten → Dense(relu) → Dense(softmax) head, the case the cache speeds up. */
function model(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.inputLayer({ inputShape: [8, 8, 3] }),
      conv('conv', 4),
      tfl.layers.flatten({ name: 'flatten' }),
      dense('fc', 6, 'relu'),
      dense('predictions', 3),
    ],
  });
}

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe('the transposed-kernel cache', () => {
  it('gives the same maps with and without the cache, and frees its tensors on dispose', () => {
    const m = model();
    const x = randomImages(2);
    const before = tf.memory().numTensors;
    const cached = new GradCam(m, { layerName: 'conv' });
    expect(tf.memory().numTensors).toBe(before + 2); // Wᵀ of fc and of predictions
    const plain = new GradCam(m, { layerName: 'conv', cacheTransposedKernels: false });
    expect(tf.memory().numTensors).toBe(before + 2);
    for (const classIndex of [0, 1, 2]) {
      const a = cached.explain(x, { classIndex });
      const b = plain.explain(x, { classIndex });
      expect(maxDiff(a.heatmap, b.heatmap)).toBeLessThan(1e-6);
      expect(maxDiff(a.cam, b.cam)).toBeLessThan(1e-6);
      a.dispose();
      b.dispose();
    }
    cached.dispose();
    plain.dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    m.dispose();
  });

  it('follows weight updates: after setWeights, a reused explainer equals a fresh one', () => {
    const m = model();
    const x = randomImages(2);
    const reused = new GradCam(m, { layerName: 'conv' });
    reused.explain(x).dispose(); // cache in use
    const fc = m.getLayer('fc');
    const [kernel, bias] = fc.getWeights();
    const flipped = tf.neg(kernel);
    fc.setWeights([flipped, bias]);
    flipped.dispose();

    const count = tf.memory().numTensors;
    const again = reused.explain(x, { classIndex: 1 });
    expect(tf.memory().numTensors).toBe(count + 3); // the result's heatmap, cam and output: the stale Wᵀ was replaced, not added
    const fresh = new GradCam(m, { layerName: 'conv' });
    const expected = fresh.explain(x, { classIndex: 1 });
    expect(maxDiff(again.heatmap, expected.heatmap)).toBeLessThan(1e-6);
    expect(maxDiff(again.cam, expected.cam)).toBeLessThan(1e-6);
    [again, expected, reused, fresh].forEach((t) => t.dispose());
    x.dispose();
    m.dispose();
  });

  it('a reused explainer (cached split) gives the same maps as a fresh one on every call', () => {
    const m = model();
    const x = randomImages(3);
    const reused = new GradCam(m, { layerName: 'conv' });
    for (let i = 0; i < 3; i++) {
      const a = reused.explain(x, { classIndex: i });
      const fresh = new GradCam(m, { layerName: 'conv' });
      const b = fresh.explain(x, { classIndex: i });
      expect(maxDiff(a.heatmap, b.heatmap)).toBe(0);
      [a, b, fresh].forEach((t) => t.dispose());
    }
    reused.dispose();
    x.dispose();
    m.dispose();
  });

  it('a batch gives the same maps as one image at a time', () => {
    const m = model();
    const x = randomImages(4);
    const g = new GradCam(m, { layerName: 'conv' });
    const batch = g.explain(x, { classIndex: [0, 1, 2, 1] });
    [0, 1, 2, 1].forEach((classIndex, i) => {
      const one = tf.slice(x, [i], [1]);
      const single = g.explain(one, { classIndex });
      const row = tf.slice(batch.heatmap, [i], [1]);
      expect(maxDiff(row, single.heatmap)).toBeLessThanOrEqual(1e-5);
      tf.dispose([one, row]);
      single.dispose();
    });
    batch.dispose();
    g.dispose();
    x.dispose();
    m.dispose();
  });

  it("'auto' caches kernels of at most 2²² weights, and the uncached product gives the same maps", () => {
    // fc: 256 × 16385 = 4 194 560 weights, just over 2²² = 4 194 304; predictions: 16385 × 3.
    const m = tfl.sequential({
      layers: [tfl.layers.inputLayer({ inputShape: [8, 8, 3] }), conv('conv', 4), tfl.layers.flatten({ name: 'flatten' }), dense('fc', 16385, 'relu'), dense('predictions', 3)],
    });
    const before = tf.memory().numTensors;
    const auto = new GradCam(m, { layerName: 'conv', cacheTransposedKernels: 'auto' });
    expect(tf.memory().numTensors).toBe(before + 1); // Wᵀ of predictions only
    const all = new GradCam(m, { layerName: 'conv' }); // default: every kernel
    expect(tf.memory().numTensors).toBe(before + 3); // and of fc
    for (const x of [randomImages(1), randomImages(3)]) {
      for (const classIndex of [0, 2]) {
        const [a, b] = [auto.explain(x, { classIndex }), all.explain(x, { classIndex })];
        const scale = tf.tidy(() => tf.max(tf.abs(b.cam)).dataSync()[0]);
        expect(maxDiff(a.cam, b.cam)).toBeLessThanOrEqual(1e-6 * scale);
        expect(maxDiff(a.heatmap, b.heatmap)).toBeLessThan(1e-6);
        [a, b].forEach((r) => r.dispose());
      }
      x.dispose();
    }
    auto.dispose();
    all.dispose();
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it('rejects a cacheTransposedKernels that is not true, false or auto', () => {
    const m = model();
    for (const bad of ['yes', 1, null]) {
      expectGradCamError(() => new GradCam(m, { cacheTransposedKernels: bad as unknown as boolean }), 'BAD_OPTION', /true, false or 'auto'/);
      expectGradCamError(() => splitModel(m, 'conv', { cacheTransposedKernels: bad as unknown as boolean }), 'BAD_OPTION', /true, false or 'auto'/);
    }
    m.dispose();
  });
});

describe('the caching the pool and the command choose', () => {
  it('none for an option check, small kernels below 100 images, every kernel from 100', () => {
    expect(cachingForRun(0)).toBe(false);
    expect(cachingForRun(1)).toBe('auto');
    expect(cachingForRun(99)).toBe('auto');
    expect(cachingForRun(100)).toBe(true);
  });

  it('an explicit option wins over the default, and a bad one is a BAD_OPTION', () => {
    expect(kernelCachingOf(undefined, 'auto')).toBe('auto');
    expect(kernelCachingOf(false, true)).toBe(false);
    expect(kernelCachingOf('auto', false)).toBe('auto');
    expectGradCamError(() => kernelCachingOf('all', true), 'BAD_OPTION', /got "all"/);
  });
});
