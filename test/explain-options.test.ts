import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  CAM_METHODS,
  type CamMethodName,
  type ExplainProgress,
  GradCam,
  type GradCamResult,
  bilinearResize,
  camToHeatmap,
  gradientsForClass,
  normalize,
  poolWeights,
  splitModel,
  weightedActivationMap,
} from '../src';
import { expectGradCamError } from './helpers/expect';
import { buildFixtureModel, loadFixture, toTensor } from './helpers/fixtures';
import { conv, dense, randomImages, snapshot } from './helpers/models';

/** max |a − b| over two tensors of the same shape. */
function diff(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/**
 * The dw fixture: a trained depthwise-separable CNN with a GAP + Dense head (so CAM applies), on
 * wasm (the options are backend-independent; wasm runs them ~25× faster than cpu in Node).
 */
const fx = loadFixture('dw');
let model: tfl.LayersModel;
let images: tf.Tensor4D;
let gc: GradCam;
beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
  model = buildFixtureModel(fx);
  images = tf.concat(fx.images.map((img) => toTensor(img.tensor))) as tf.Tensor4D;
  gc = new GradCam(model, { layerName: 'pw3' });
});
afterAll(() => {
  images.dispose();
  model.dispose();
});

/** Grad-CAM by hand from the pure functions, with a transformation of the gradients. */
function handGradCam(classIndex: number[], transform: (g: tf.Tensor4D) => tf.Tensor4D = (g) => g) {
  const split = splitModel(model, 'pw3');
  const pass = split.forward(images);
  const out = tf.tidy(() => {
    const g = gradientsForClass(pass.head, pass.activations, classIndex);
    const weights = poolWeights(transform(g.gradients));
    const signed = tf.sum(tf.mul(pass.activations, tf.reshape(weights, [2, 1, 1, weights.shape[1]])), 3) as tf.Tensor3D;
    return { signed, cam: weightedActivationMap(pass.activations, weights), heatmap: camToHeatmap(weightedActivationMap(pass.activations, weights), [32, 32]) };
  });
  pass.dispose();
  return out;
}

describe('explainTopK', () => {
  it('gives the same maps as k separate calls, best class first, and leaks nothing', () => {
    const before = tf.memory().numTensors;
    const k = 3;
    for (const method of ['gradcam', 'layercam', 'ablationcam'] as CamMethodName[]) {
      const ranked = gc.explainTopK(images, k, { method });
      expect(ranked).toHaveLength(k);
      ranked.forEach((r, rank) => {
        const single = gc.explain(images, { method, classIndex: r.classIndex });
        expect(diff(r.heatmap, single.heatmap)).toBeLessThanOrEqual(1e-5);
        expect(diff(r.cam, single.cam)).toBeLessThanOrEqual(1e-5);
        r.scores.forEach((s, i) => expect(s).toBeCloseTo(single.scores[i], 5));
        if (rank > 0) r.scores.forEach((s, i) => expect(s).toBeLessThanOrEqual(ranked[rank - 1].scores[i]));
        single.dispose();
      });
      expect(ranked[0].classIndex).toEqual(fx.images.map((img) => img.argmax));
      expect(ranked[1].classIndex).toEqual(fx.images.map((img) => img.second));
      ranked.forEach((r) => r.dispose());
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('works on a model with a skip connection over the target (body tensors repeated per class)', () => {
    const input = tfl.input({ shape: [8, 8, 3] });
    const s = conv('stem', 4).apply(input) as tfl.SymbolicTensor;
    const joined = tfl.layers.add().apply([conv('target', 4).apply(s), s] as tfl.SymbolicTensor[]);
    const m = tfl.model({ inputs: input, outputs: dense('p', 4).apply(tfl.layers.globalAveragePooling2d({}).apply(joined)) as tfl.SymbolicTensor });
    const x = randomImages(2);
    const g = new GradCam(m, { layerName: 'target' });
    const ranked = g.explainTopK(x, 4);
    for (const r of ranked) {
      const single = g.explain(x, { classIndex: r.classIndex });
      expect(diff(r.heatmap, single.heatmap)).toBeLessThanOrEqual(1e-5);
      single.dispose();
      r.dispose();
    }
    x.dispose();
    m.dispose();
  });

  it('rejects k outside [1, K]', () => {
    expectGradCamError(() => gc.explainTopK(images, 0), 'BAD_OPTION', /from 1 to 5/);
    expectGradCamError(() => gc.explainTopK(images, 6), 'BAD_OPTION');
  });
});

describe('explain options', () => {
  it('counterfactual: Grad-CAM of the negated gradients', () => {
    const classes = [3, 1];
    const hand = handGradCam(classes, (g) => tf.neg(g));
    const r = gc.explain(images, { classIndex: classes, counterfactual: true });
    expect(diff(r.heatmap, hand.heatmap)).toBeLessThan(1e-5);
    const plain = gc.explain(images, { classIndex: classes });
    expect(diff(r.heatmap, plain.heatmap)).toBeGreaterThan(0.1); // it is a different map
    tf.dispose(hand);
    r.dispose();
    plain.dispose();
  });

  it('relu: false and normalize: false give the raw signed map, resized', () => {
    const classes = [3, 1];
    const hand = handGradCam(classes);
    const r = gc.explain(images, { classIndex: classes, relu: false, normalize: false });
    expect(diff(r.cam, hand.signed)).toBeLessThan(1e-6);
    const resized = bilinearResize(hand.signed, [32, 32]);
    expect(diff(r.heatmap, resized)).toBeLessThan(1e-6);
    expect(tf.tidy(() => tf.min(r.cam).dataSync()[0])).toBeLessThan(0); // signed
    const reluOnly = gc.explain(images, { classIndex: classes, normalize: false });
    expect(diff(reluOnly.cam, hand.cam)).toBeLessThan(1e-6);
    tf.dispose([hand, resized]);
    r.dispose();
    reluOnly.dispose();
  });

  it("score: 'probability' differentiates the softmax output", () => {
    const split = splitModel(model, 'pw3');
    const pass = split.forward(images);
    const expected = tf.tidy(() => {
      const probabilities = pass.headFor({ output: 'model' }) as unknown as (a: tf.Tensor4D) => tf.Tensor2D;
      const g = gradientsForClass((a) => probabilities(a), pass.activations, [3, 1]);
      return camToHeatmap(weightedActivationMap(pass.activations, poolWeights(g.gradients)), [32, 32]);
    });
    pass.dispose();
    const r = gc.explain(images, { classIndex: [3, 1], score: 'probability' });
    expect(diff(r.heatmap, expected)).toBeLessThan(1e-5);
    for (const s of r.scores) {
      expect(s).toBeGreaterThan(0);
      expect(s).toBeLessThanOrEqual(1);
    }
    expected.dispose();
    r.dispose();
  });

  it('target: a score function gives the same map as the class it picks, and classIndex −1', () => {
    const byClass = gc.explain(images, { classIndex: 2 });
    const byTarget = gc.explain(images, { target: (out) => tf.squeeze(tf.slice(out, [0, 2], [-1, 1]), [1]) as tf.Tensor1D });
    expect(diff(byTarget.heatmap, byClass.heatmap)).toBeLessThan(1e-6);
    expect(byTarget.classIndex).toEqual([-1, -1]);
    byTarget.scores.forEach((s, i) => expect(s).toBeCloseTo(byClass.scores[i], 5));
    byClass.dispose();
    byTarget.dispose();
  });

  it('a target function that returns the wrong shape is a BAD_OPTION', () => {
    expectGradCamError(() => gc.explain(images, { target: (out) => out as tf.Tensor1D }), 'BAD_OPTION', /one score per image/);
  });

  it('several target layers: per-layer maps normalized and resized, averaged, normalized again', () => {
    const multi = new GradCam(model, { layerName: ['pw2', 'pw3'] });
    expect(multi.layerNames).toEqual(['pw2', 'pw3']);
    const r = multi.explain(images, { classIndex: [3, 1] });
    const single = ['pw2', 'pw3'].map((l) => new GradCam(model, { layerName: l }).explain(images, { classIndex: [3, 1] }));
    const expected = tf.tidy(() => {
      const scaled = single.map((s) => bilinearResize(normalize(s.cam), [32, 32]));
      return normalize(tf.div(tf.add(scaled[0], scaled[1]), 2) as tf.Tensor3D);
    });
    expect(diff(r.heatmap, expected)).toBeLessThan(1e-5);
    expect(r.cams).toHaveLength(2);
    expect(diff(r.cams[0], single[0].cam)).toBeLessThan(1e-6);
    expect(r.cams[1].shape).toEqual([2, 8, 8]);
    tf.dispose([expected]);
    [r, ...single].forEach((x) => x.dispose());
  });

  it('augSmooth: the mean of six augmented heatmaps mapped back onto the image', () => {
    const classes = [3, 1];
    const r = gc.explain(images, { classIndex: classes, augSmooth: true });
    const expected = tf.tidy(() => {
      const maps: tf.Tensor3D[] = [];
      for (const flip of [false, true]) {
        for (const brightness of [1, 0.9, 1.1]) {
          const copy = tf.mul(flip ? tf.reverse(images, 2) : images, brightness);
          const m = gc.explain(copy, { classIndex: classes });
          maps.push(flip ? (tf.reverse(m.heatmap, 2) as tf.Tensor3D) : tf.clone(m.heatmap));
          m.dispose();
        }
      }
      return tf.div(tf.addN(maps), maps.length);
    });
    expect(diff(r.heatmap, expected)).toBeLessThan(1e-5);
    expect(r.classIndex).toEqual(classes);
    tf.dispose([expected]);
    r.dispose();
  });

  it('eigenSmooth: the first-component projection of the weighted activations instead of their sum', () => {
    const r = gc.explain(images, { classIndex: [3, 1], eigenSmooth: true });
    const plain = gc.explain(images, { classIndex: [3, 1] });
    expect(r.heatmap.shape).toEqual([2, 32, 32]);
    expect(diff(r.heatmap, plain.heatmap)).toBeGreaterThan(1e-3);
    r.dispose();
    plain.dispose();
  });

  it('CAM: the Dense column of the class weighs the channels (by hand), and equals Grad-CAM on a GAP model', () => {
    const r = gc.explain(images, { classIndex: [3, 1], method: 'cam' });
    const kernel = model.getLayer('predictions').getWeights()[0]; // [32,5], live: do not dispose
    const expected = tf.tidy(() => {
      const pass = splitModel(model, 'pw3').forward(images);
      const weights = tf.stack([tf.squeeze(tf.slice(kernel, [0, 3], [-1, 1])), tf.squeeze(tf.slice(kernel, [0, 1], [-1, 1]))]) as tf.Tensor2D;
      const cam = weightedActivationMap(pass.activations, weights);
      pass.dispose();
      return cam;
    });
    expect(diff(r.cam, expected)).toBeLessThan(1e-5);
    const grad = gc.explain(images, { classIndex: [3, 1] });
    // Grad-CAM's weights on a GAP head are the Dense column divided by h·w = 64.
    expect(diff(grad.heatmap, r.heatmap)).toBeLessThan(1e-5);
    tf.dispose([expected]);
    r.dispose();
    grad.dispose();
  });

  it('CAM on a model whose head is not GAP + Dense is an UNSUPPORTED_MODEL error', () => {
    const plain = buildFixtureModel(loadFixture('plain'));
    const x = toTensor(loadFixture('plain').images[0].tensor);
    const explainer = new GradCam(plain, { layerName: 'conv3' });
    expectGradCamError(() => explainer.explain(x, { method: 'cam' }), 'UNSUPPORTED_MODEL', /global average pooling/);
    explainer.dispose();
    x.dispose();
    plain.dispose();
  });

  it('ScoreCAM and AblationCAM report progress and give the same maps for any batchSize', () => {
    for (const method of ['scorecam', 'ablationcam'] as CamMethodName[]) {
      const seen: ExplainProgress[] = [];
      const a = gc.explain(images, { method, classIndex: [3, 1], batchSize: 5, onProgress: (p) => seen.push(p) });
      const b = gc.explain(images, { method, classIndex: [3, 1], batchSize: 64 });
      expect(diff(a.heatmap, b.heatmap)).toBeLessThan(1e-5);
      expect(seen.length).toBeGreaterThan(2);
      expect(seen.every((p) => p.method === method && p.layerName === 'pw3')).toBe(true);
      const last = seen[seen.length - 1];
      expect(last.done).toBe(last.total);
      seen.slice(1).forEach((p, i) => expect(p.done).toBeGreaterThanOrEqual(seen[i].done));
      a.dispose();
      b.dispose();
    }
  });

  it('bad options are BAD_OPTION errors', () => {
    expectGradCamError(() => gc.explain(images, { method: 'gradcam3' as CamMethodName }), 'BAD_OPTION', /gradcam\+\+/);
    expectGradCamError(() => gc.explain(images, { classIndex: 1, target: (o) => o as tf.Tensor1D }), 'BAD_OPTION', /not both/);
    expectGradCamError(() => gc.explain(images, { batchSize: 0 }), 'BAD_OPTION');
    expectGradCamError(() => gc.explain(images, { score: 'softmax' as 'logit' }), 'BAD_OPTION');
  });
});

describe('every method', () => {
  it.each(CAM_METHODS)('%s: heatmaps in [0,1] at the input size, no leak, the model unchanged', (method) => {
    const before = snapshot(model);
    gc.explain(images, { method, classIndex: [3, 1] }).dispose(); // warm-up
    const count = tf.memory().numTensors;
    const r: GradCamResult = gc.explain(images, { method, classIndex: [3, 1] });
    expect(r.method).toBe(method);
    expect(r.heatmap.shape).toEqual([2, 32, 32]);
    const [lo, hi] = tf.tidy(() => [tf.min(r.heatmap).dataSync()[0], tf.max(r.heatmap).dataSync()[0]]);
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThanOrEqual(1);
    expect(hi).toBeGreaterThan(0.99); // not a flat map
    r.dispose();
    expect(tf.memory().numTensors).toBe(count);
    expect(snapshot(model)).toBe(before);
  });
});

describe('option combinations that do not apply', () => {
  it('counterfactual with a method that uses no gradients, and explainTopK with augSmooth, are BAD_OPTION', () => {
    expectGradCamError(() => gc.explain(images, { method: 'scorecam', counterfactual: true }), 'BAD_OPTION', /uses none/);
    expectGradCamError(() => gc.explainTopK(images, 2, { augSmooth: true } as never), 'BAD_OPTION', /augSmooth/);
  });
});

describe('a model whose output is a feature map (segmentation-like)', () => {
  let seg: tfl.LayersModel;
  beforeAll(() => {
    const input = tfl.input({ shape: [8, 8, 3] });
    const features = conv('features', 4).apply(input) as tfl.SymbolicTensor;
    const mask = tfl.layers.conv2d({ name: 'mask', filters: 2, kernelSize: 1, activation: 'softmax' }).apply(features) as tfl.SymbolicTensor;
    seg = tfl.model({ inputs: input, outputs: mask });
  });
  afterAll(() => seg.dispose());

  it('auto-detects the last feature map before the output, not the output itself', () => {
    expect(new GradCam(seg).layerName).toBe('features');
  });

  it('explains a target function (the logit of class 1 summed over the image) and needs one', () => {
    const x = randomImages(2);
    const g = new GradCam(seg);
    const r = g.explain(x, { target: (out) => tf.sum(tf.slice(out, [0, 0, 0, 1], [-1, -1, -1, 1]), [1, 2, 3]) as tf.Tensor1D });
    expect(r.heatmap.shape).toEqual([2, 8, 8]);
    expect(r.classIndex).toEqual([-1, -1]);
    r.dispose();
    expectGradCamError(() => g.explain(x), 'UNSUPPORTED_MODEL', /target/);
    x.dispose();
  });
});
