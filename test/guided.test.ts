import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { deprocessSaliency, guidedBackprop, guidedGradCam } from '../src/guided-backprop';
import { guidedRectifier } from '../src/model/guided';
import { expectClose, expectGradCamError } from './helpers/expect';
import { init, snapshot } from './helpers/models';

/*
 * The hand case. One image 2×2×1, pixels p0..p3 (row-major) with values X.
 *
 *   conv 1×1, 2 filters:  z[p,f] = x[p]·w[f] + b[f],   w = [1, −1], b = [0, 0.25]
 *   rectifier:            h[p,f] = relu(z[p,f])
 *   flatten:              h as 8 features in the order (p0,f0), (p0,f1), (p1,f0), …, (p3,f1)
 *   dense (then softmax): logit[k] = Σ_j h[j]·V[j,k] + c[k]
 *
 * For X = [1, −2, 3, 0.5]:
 *   z[·,f0] = [1, −2, 3, 0.5]        → h[·,f0] = [1, 0, 3, 0.5]
 *   z[·,f1] = [−0.75, 2.25, −2.75, −0.25] → h[·,f1] = [0, 2.25, 0, 0]
 *   logit0 = 1·2 + 2.25·3 + 3·(−0.5) + 0.5·1.5 + 0.1 = 8.1
 *   logit1 = 1·0.5 + 2.25·(−1) + 3·1 = 1.25            → the top class is 0.
 *
 * Backward for class k: the gradient reaching h[p,f] is dy = V[(p,f),k]. Plain backprop passes
 * it where z > 0; guided backprop only where z > 0 AND dy > 0. Then ∂/∂x[p] = Σ_f pass·dy·w[f].
 *
 * Class 0 (dy = column 0 of V):
 *   p0: f0 z=1>0, dy=2 → 2·1 = 2          f1 z<0 (dy=1>0: blocked by the forward sign)
 *   p1: f0 z<0                            f1 z=2.25>0, dy=3 → 3·(−1) = −3
 *   p2: f0 z=3>0, dy=−0.5: plain −0.5, guided 0 (blocked by the guidance only)
 *   p3: f0 z=0.5>0, dy=1.5 → 1.5           f1 z<0
 *   guided = [2, −3, 0, 1.5]    plain = [2, −3, −0.5, 1.5]
 * Class 1 (dy = column 1):
 *   p0: f0 dy=0.5 → 0.5;  p1: f1 z>0, dy=−1: plain (−1)(−1) = 1, guided 0;  p2: f0 dy=1 → 1;
 *   p3: f0 dy=0 → 0.
 *   guided = [0.5, 0, 1, 0]     plain = [0.5, 1, 1, 0]
 *
 * With relu6 instead, and X6 = [1, −2, 7, 0.5]: z[p2,f0] = 7 ≥ 6 is saturated, so class 1's
 * dy=1 there is blocked too: guided6 = [0.5, 0, 0, 0], plain relu6 = [0.5, 1, 0, 0] (a guided
 * plain ReLU would give [0.5, 0, 1, 0]). logit0 = 2 + 6.75 + 6·(−0.5) + 0.75 + 0.1 = 6.6,
 * logit1 = 0.5 − 2.25 + 6 = 4.25.
 */
const X = [1, -2, 3, 0.5];
const X6 = [1, -2, 7, 0.5];
const CONV_W = [1, -1];
const CONV_B = [0, 0.25];
// prettier-ignore
const V = [
  2, 0.5, //   (p0,f0)
  1, 0, //     (p0,f1)
  -1, 0, //    (p1,f0)
  3, -1, //    (p1,f1)
  -0.5, 1, //  (p2,f0)
  1, 0, //     (p2,f1)
  1.5, 0, //   (p3,f0)
  -2, 0, //    (p3,f1)
];
const C = [0.1, 0];

const GUIDED0 = [2, -3, 0, 1.5];
const PLAIN0 = [2, -3, -0.5, 1.5];
const GUIDED1 = [0.5, 0, 1, 0];
const PLAIN1 = [0.5, 1, 1, 0];
const GUIDED6_1 = [0.5, 0, 0, 0];
const PLAIN6_1 = [0.5, 1, 0, 0];

type Variant = 'fused' | 'activation' | 'reluLayer' | 'fused6' | 'activation6' | 'reluLayer6';

/** The hand-case network, with its rectifier written in one of the ways a model can have it. */
function handLayers(variant: Variant): tfl.layers.Layer[] {
  const convActivation = variant === 'fused' ? 'relu' : variant === 'fused6' ? 'relu6' : 'linear';
  const conv = tfl.layers.conv2d({ name: 'conv', filters: 2, kernelSize: 1, activation: convActivation, inputShape: [2, 2, 1] });
  const rectifier: tfl.layers.Layer[] =
    variant === 'activation'
      ? [tfl.layers.activation({ activation: 'relu', name: 'act' })]
      : variant === 'activation6'
        ? [tfl.layers.activation({ activation: 'relu6', name: 'act' })]
        : variant === 'reluLayer'
          ? [tfl.layers.reLU({ name: 'relu' })]
          : variant === 'reluLayer6'
            ? [tfl.layers.reLU({ maxValue: 6, name: 'relu' })]
            : [];
  return [conv, ...rectifier, tfl.layers.flatten({ name: 'flat' }), tfl.layers.dense({ name: 'dense', units: 2, activation: 'softmax' })];
}

function setHandWeights(model: tfl.LayersModel): void {
  const values = [tf.tensor4d(CONV_W, [1, 1, 1, 2]), tf.tensor1d(CONV_B), tf.tensor2d(V, [8, 2]), tf.tensor1d(C)];
  model.getLayer('conv').setWeights(values.slice(0, 2));
  model.getLayer('dense').setWeights(values.slice(2));
  tf.dispose(values);
}

function handModel(variant: Variant): tfl.LayersModel {
  const model = tfl.sequential({ layers: handLayers(variant) });
  setHandWeights(model);
  return model;
}

/** The hand case's logits written with plain ops: `cap` 6 for relu6, and `rectify` to swap the rectifier. */
function handLogits(x: tf.Tensor, cap?: number, rectify?: (z: tf.Tensor) => tf.Tensor): tf.Tensor2D {
  const z = tf.add(tf.mul(x, tf.tensor1d(CONV_W)), tf.tensor1d(CONV_B)); // [N,2,2,1]·[2] → [N,2,2,2]
  const h = rectify !== undefined ? rectify(z) : cap === undefined ? tf.relu(z) : tf.clipByValue(z, 0, cap);
  return tf.add(tf.matMul(tf.reshape(h, [-1, 8]), tf.tensor2d(V, [8, 2])), tf.tensor1d(C)) as tf.Tensor2D;
}

/** Plain backprop of logit k through the hand-written network: ∂logit_k/∂x, as 4 numbers. */
function plainGradient(pixels: number[], k: number, cap?: number): number[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(pixels, [1, 2, 2, 1]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.slice(handLogits(t, cap), [0, k], [1, 1])))(x);
    return Array.from(g.dataSync());
  });
}

/** Runs guidedBackprop, reads everything back, frees it, and checks that nothing leaked. */
function run(
  model: tfl.LayersModel,
  input: tf.Tensor,
  classIndex?: number | number[],
): { saliency: number[]; shape: number[]; classIndex: number[]; scores: number[] } {
  const before = tf.memory().numTensors;
  const r = guidedBackprop(model, input, { classIndex });
  const out = { saliency: Array.from(r.saliency.dataSync()), shape: r.saliency.shape, classIndex: r.classIndex, scores: r.scores };
  r.dispose();
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

describe('guidedBackprop: the hand case', () => {
  const x = tf.tensor4d(X, [1, 2, 2, 1]);
  const x6 = tf.tensor4d(X6, [1, 2, 2, 1]);
  afterAll(() => tf.dispose([x, x6]));

  it('plain backprop of the hand-written network gives the hand-derived plain gradients', () => {
    expectClose(plainGradient(X, 0), PLAIN0);
    expectClose(plainGradient(X, 1), PLAIN1);
    expectClose(plainGradient(X6, 1, 6), PLAIN6_1);
  });

  it.each(['fused', 'activation', 'reluLayer'] as const)(
    'relu as %s: the guided gradient of the top class (blocked where dy < 0, unlike plain backprop)',
    (variant) => {
      const model = handModel(variant);
      const r = run(model, x);
      expect(r.shape).toEqual([1, 2, 2, 1]);
      expect(r.classIndex).toEqual([0]);
      expectClose(r.scores, [8.1], 1e-5);
      expectClose(r.saliency, GUIDED0);
      // Plain backprop differs at p2, where only the guidance blocks the gradient.
      expect(Math.abs(r.saliency[2] - PLAIN0[2])).toBeGreaterThan(0.4);
      model.dispose();
    },
  );

  it.each(['fused', 'activation', 'reluLayer'] as const)('relu as %s: class 1, blocked by guidance at p1', (variant) => {
    const model = handModel(variant);
    const r = run(model, x, 1);
    expect(r.classIndex).toEqual([1]);
    expectClose(r.scores, [1.25], 1e-5);
    expectClose(r.saliency, GUIDED1);
    expect(Math.abs(r.saliency[1] - PLAIN1[1])).toBeGreaterThan(0.9);
    model.dispose();
  });

  it.each(['fused6', 'activation6', 'reluLayer6'] as const)(
    'relu6 as %s: gradient passes only where 0 < x < 6 and dy > 0',
    (variant) => {
      const model = handModel(variant);
      const r = run(model, x6, 1);
      expectClose(r.scores, [4.25], 1e-5);
      expectClose(r.saliency, GUIDED6_1);
      expect(Math.abs(r.saliency[1] - PLAIN6_1[1])).toBeGreaterThan(0.9);
      // The top class, for completeness: z[p2,f0] = 7 is saturated, the rest as for relu.
      const top = run(model, x6);
      expect(top.classIndex).toEqual([0]);
      expectClose(top.scores, [6.6], 1e-5);
      expectClose(top.saliency, [2, -3, 0, 1.5]);
      model.dispose();
    },
  );

  it('per-image classes in one batch, and a single [H,W,C] image', () => {
    const model = handModel('fused');
    const batch = tf.stack([tf.squeeze(x, [0]), tf.squeeze(x, [0]), tf.squeeze(x6, [0])]);
    const r = run(model, batch, [0, 1, 1]);
    expect(r.shape).toEqual([3, 2, 2, 1]);
    expect(r.classIndex).toEqual([0, 1, 1]);
    // Image 2 (X6) through a plain relu: p2 has z = 7 > 0 and dy = 1 > 0, so it passes.
    expectClose(r.saliency, [...GUIDED0, ...GUIDED1, 0.5, 0, 1, 0]);
    expectClose(r.scores, [8.1, 1.25, 0.5 - 2.25 + 7], 1e-5);

    const single = tf.reshape(x, [2, 2, 1]);
    const s = run(model, single);
    expect(s.shape).toEqual([1, 2, 2, 1]);
    expectClose(s.saliency, GUIDED0);
    tf.dispose([batch, single]);
    model.dispose();
  });

  it('drops the final softmax: the gradient is of the logit, not of the probability', () => {
    const model = handModel('fused');
    const r = run(model, x);
    expectClose(r.saliency, GUIDED0);
    // The guided gradient of the softmax probability, written by hand with the same rectifier,
    // is something else: if the softmax were kept, the comparison above would fail.
    const ofProbability = tf.tidy(() => {
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.slice(tf.softmax(handLogits(t, undefined, guidedRectifier())), [0, 0], [1, 1])))(x);
      return Array.from(g.dataSync());
    });
    const maxDiff = Math.max(...ofProbability.map((v, i) => Math.abs(v - GUIDED0[i])));
    expect(maxDiff).toBeGreaterThan(0.5);
    model.dispose();
  });

  it('guidedRectifier alone: forward is relu/clip, backward masks by x and dy', () => {
    const t = tf.tensor1d([-1, 0.5, 2, 7]);
    const dy = tf.tensor1d([1, -1, 3, 2]);
    const [y, g] = tf.tidy(() => {
      const f = guidedRectifier();
      return [f(t), tf.grad((a: tf.Tensor) => f(a))(t, dy)];
    });
    expectClose(y.dataSync(), [0, 0.5, 2, 7]);
    expectClose(g.dataSync(), [0, 0, 3, 2]);
    const [y6, g6] = tf.tidy(() => {
      const f = guidedRectifier(6);
      return [f(t), tf.grad((a: tf.Tensor) => f(a))(t, dy)];
    });
    expectClose(y6.dataSync(), [0, 0.5, 2, 6]);
    expectClose(g6.dataSync(), [0, 0, 3, 0]);
    tf.dispose([t, dy, y, g, y6, g6]);
  });
});

describe('guidedBackprop: nested models', () => {
  const x = tf.tensor4d(X, [1, 2, 2, 1]);
  afterAll(() => x.dispose());

  it('a functional base with the relu inside, and the dense softmax outside', () => {
    const [conv, flat, dense] = handLayers('fused');
    const innerIn = tfl.input({ shape: [2, 2, 1] });
    const base = tfl.model({ name: 'base', inputs: innerIn, outputs: flat.apply(conv.apply(innerIn)) as tfl.SymbolicTensor });
    const input = tfl.input({ shape: [2, 2, 1] });
    const model = tfl.model({ inputs: input, outputs: dense.apply(base.apply(input)) as tfl.SymbolicTensor });
    conv.setWeights([tf.tensor4d(CONV_W, [1, 1, 1, 2]), tf.tensor1d(CONV_B)]);
    dense.setWeights([tf.tensor2d(V, [8, 2]), tf.tensor1d(C)]);
    const r = run(model, x, 1);
    expectClose(r.saliency, GUIDED1);
    expectClose(r.scores, [1.25], 1e-5);
    model.dispose();
  });

  it('the whole network (softmax included) nested in an outer model, twice deep', () => {
    const inner = handModel('activation');
    const mid = tfl.sequential({ name: 'mid', layers: [tfl.layers.inputLayer({ inputShape: [2, 2, 1] }), inner] });
    const input = tfl.input({ shape: [2, 2, 1] });
    const model = tfl.model({ inputs: input, outputs: mid.apply(input) as tfl.SymbolicTensor });
    const before = snapshot(model);
    const r = run(model, x);
    expect(r.classIndex).toEqual([0]);
    expectClose(r.scores, [8.1], 1e-5); // the logit: the nested softmax was dropped
    expectClose(r.saliency, GUIDED0);
    expect(snapshot(model)).toBe(before);
    model.dispose();
  });
});

describe('guidedBackprop: a deeper network against a layer-by-layer backward pass', () => {
  /*
   * conv c1 (relu) → conv c2 (linear) → ReLU layer → max pool → conv c3 (relu6) → flatten →
   * dense (softmax). The reference runs the forward pass with plain ops, then goes backward one
   * layer at a time: the vector-Jacobian product of each linear piece (convolutions, pooling,
   * dense) by tf.grad, and at each rectifier the guided mask written out by hand.
   */
  const conv = (name: string, filters: number, activation: 'relu' | 'linear' | 'relu6'): tfl.layers.Layer =>
    tfl.layers.conv2d({ name, filters, kernelSize: 3, padding: 'same', activation, kernelInitializer: init(), biasInitializer: init() });
  const c1 = conv('c1', 4, 'relu');
  const c2 = conv('c2', 4, 'linear');
  const relu = tfl.layers.reLU({ name: 'relu' });
  const pool = tfl.layers.maxPooling2d({ name: 'pool', poolSize: 2 });
  const c3 = conv('c3', 3, 'relu6');
  const flat = tfl.layers.flatten({ name: 'flat' });
  const dense = tfl.layers.dense({ name: 'dense', units: 3, activation: 'softmax', kernelInitializer: init(), biasInitializer: init() });
  const model = tfl.sequential({ layers: [tfl.layers.inputLayer({ inputShape: [6, 6, 2] }), c1, c2, relu, pool, c3, flat, dense] });
  const x = tf.mul(tf.randomUniform([2, 6, 6, 2], -1, 2, 'float32', 11), 3) as tf.Tensor4D;
  afterAll(() => {
    x.dispose();
    model.dispose();
  });

  const linearConv = (layer: tfl.layers.Layer, t: tf.Tensor): tf.Tensor => {
    const [k, b] = layer.getWeights();
    return tf.add(tf.conv2d(t as tf.Tensor4D, k as tf.Tensor4D, 1, 'same'), b);
  };
  const maxPool = (t: tf.Tensor): tf.Tensor => tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid');
  const denseLogits = (t: tf.Tensor): tf.Tensor => {
    const [k, b] = dense.getWeights();
    return tf.add(tf.matMul(tf.reshape(t, [t.shape[0], -1]), k as tf.Tensor2D), b);
  };
  /** The vector-Jacobian product of `f` at `at` with `dy`. */
  const vjp = (f: (t: tf.Tensor) => tf.Tensor, at: tf.Tensor, dy: tf.Tensor): tf.Tensor =>
    tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), dy)))(at);
  const mask = (z: tf.Tensor, dy: tf.Tensor, cap?: number, guided = true): tf.Tensor => {
    let pass = tf.greater(z, 0);
    if (cap !== undefined) pass = tf.logicalAnd(pass, tf.less(z, cap));
    if (guided) pass = tf.logicalAnd(pass, tf.greater(dy, 0));
    return tf.where(pass, dy, tf.zerosLike(dy));
  };

  function reference(classes: number[], guided: boolean): number[] {
    return tf.tidy(() => {
      const z1 = linearConv(c1, x);
      const h1 = tf.relu(z1);
      const z2 = linearConv(c2, h1);
      const h2 = tf.relu(z2);
      const p = maxPool(h2);
      const z3 = linearConv(c3, p);
      const h3 = tf.clipByValue(z3, 0, 6);
        const seed = tf.oneHot(tf.tensor1d(classes, 'int32'), 3);
      let g = vjp(denseLogits, h3, seed);
      g = vjp((t) => linearConv(c3, t), p, mask(z3, g, 6, guided));
      g = vjp(maxPool, h2, g);
      g = vjp((t) => linearConv(c2, t), h1, mask(z2, g, undefined, guided));
      g = vjp((t) => linearConv(c1, t), x, mask(z1, g, undefined, guided));
      return Array.from(g.dataSync());
    });
  }

  it('matches the reference for chosen classes, and differs from plain backprop', () => {
    const before = snapshot(model);
    for (const classes of [
      [2, 0],
      [1, 1],
    ]) {
      const r = run(model, x, classes);
      expect(r.classIndex).toEqual(classes);
      const expected = reference(classes, true);
      expectClose(r.saliency, expected, 1e-5);
      // Guidance matters here, so this comparison can fail.
      const plain = reference(classes, false);
      expect(Math.max(...plain.map((v, i) => Math.abs(v - expected[i])))).toBeGreaterThan(1e-2);
      // The map is not trivially zero.
      expect(Math.max(...r.saliency.map(Math.abs))).toBeGreaterThan(1e-3);
    }
    expect(snapshot(model)).toBe(before);
  });

  it('the scores are the pre-softmax logits of the chosen (default: top) classes', () => {
    const r = run(model, x);
    const logits = tf.tidy(() =>
      Array.from(denseLogits(tf.clipByValue(linearConv(c3, maxPool(tf.relu(linearConv(c2, tf.relu(linearConv(c1, x)))))), 0, 6)).dataSync()),
    );
    const top = [0, 1].map((n) => {
      const row = logits.slice(3 * n, 3 * n + 3);
      return row.indexOf(Math.max(...row));
    });
    expect(r.classIndex).toEqual(top);
    expectClose(r.scores, top.map((k, n) => logits[3 * n + k]), 1e-4);
    expectClose(r.saliency, reference(top, true), 1e-5);
  });
});

describe('guidedGradCam and deprocessSaliency', () => {
  it('guidedGradCam is saliency · heatmap[..., None]', () => {
    const saliency = tf.tensor4d([1, -2, 3, 4, -5, 6, 7, 8], [1, 2, 2, 2]);
    const heatmap = tf.tensor3d([0, 0.5, 1, 0.25], [1, 2, 2]);
    const before = tf.memory().numTensors;
    const out = guidedGradCam(saliency, heatmap);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(out.shape).toEqual([1, 2, 2, 2]);
    expectClose(out.dataSync(), [0, 0, 1.5, 2, -5, 6, 1.75, 2]);
    tf.dispose([saliency, heatmap, out]);
  });

  it('guidedGradCam refuses tensors that do not match', () => {
    const saliency = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
    const wrongSize = tf.zeros([1, 3, 3]) as tf.Tensor3D;
    const wrongBatch = tf.zeros([2, 2, 2]) as tf.Tensor3D;
    const wrongRank = tf.zeros([1, 2, 2, 1]) as unknown as tf.Tensor3D;
    expectGradCamError(() => guidedGradCam(saliency, wrongSize), 'SHAPE_MISMATCH', /\[1,2,2,3\].*\[1,3,3\]/);
    expectGradCamError(() => guidedGradCam(saliency, wrongBatch), 'SHAPE_MISMATCH');
    expectGradCamError(() => guidedGradCam(saliency, wrongRank), 'SHAPE_MISMATCH', /heatmap must be a 3-D/);
    expectGradCamError(() => guidedGradCam(wrongSize as unknown as tf.Tensor4D, wrongSize), 'SHAPE_MISMATCH', /saliency/);
    tf.dispose([saliency, wrongSize, wrongBatch, wrongRank]);
  });

  it('deprocessSaliency: per image (x − mean)/(std + 1e-5)·0.1 + 0.5, clipped to [0, 1]', () => {
    const size = 4 * 4 * 2;
    const spike = Array.from({ length: size }, (_, i) => (i === 5 ? 100 : 0)); // √31 ≈ 5.6 std: clipped to 1
    const ramp = Array.from({ length: size }, (_, i) => i * 0.37 - 3);
    const expected = [spike, ramp].flatMap((img) => {
      const mean = img.reduce((a, b) => a + b, 0) / img.length;
      const std = Math.sqrt(img.reduce((a, b) => a + (b - mean) ** 2, 0) / img.length); // population, as np.std
      return img.map((v) => Math.min(1, Math.max(0, ((v - mean) / (std + 1e-5)) * 0.1 + 0.5)));
    });
    expect(expected[5]).toBe(1);
    const input = tf.tensor4d([...spike, ...ramp], [2, 4, 4, 2]);
    const before = tf.memory().numTensors;
    const out = deprocessSaliency(input);
    expect(tf.memory().numTensors).toBe(before + 1);
    expectClose(out.dataSync(), expected, 1e-5);
    tf.dispose([input, out]);
    const flat = tf.zeros([2, 2]) as unknown as tf.Tensor4D;
    expectGradCamError(() => deprocessSaliency(flat), 'SHAPE_MISMATCH');
    flat.dispose();
  });
});

describe('guidedBackprop: errors and hygiene', () => {
  const x = tf.tensor4d(X, [1, 2, 2, 1]);
  afterAll(() => x.dispose());

  it('leaves the model unchanged and can run again', () => {
    for (const variant of ['fused', 'fused6', 'activation', 'reluLayer6'] as const) {
      const model = handModel(variant);
      const before = snapshot(model);
      run(model, x);
      run(model, x, 1);
      expect(snapshot(model)).toBe(before);
      // The layers still compute a plain (unguided, with softmax) forward pass.
      const probs = tf.tidy(() => Array.from((model.predict(x) as tf.Tensor).dataSync()));
      expect(probs[0] + probs[1]).toBeCloseTo(1, 6);
      model.dispose();
    }
  });

  it('bad inputs and class indices', () => {
    const model = handModel('fused');
    const wrong = tf.zeros([1, 3, 3, 1]);
    const two = tf.zeros([2, 2, 2, 1]);
    const nan = tf.tensor4d([1, NaN, 0, 0], [1, 2, 2, 1]);
    expectGradCamError(() => guidedBackprop(model, wrong), 'BAD_INPUT', /\[1,3,3,1\]/);
    expectGradCamError(() => guidedBackprop(model, [1, 2] as unknown as tf.Tensor), 'BAD_INPUT');
    expectGradCamError(() => guidedBackprop(model, x, { classIndex: 2 }), 'BAD_CLASS_INDEX', /2 classes/);
    expectGradCamError(() => guidedBackprop(model, x, { classIndex: -1 }), 'BAD_CLASS_INDEX');
    expectGradCamError(() => guidedBackprop(model, two, { classIndex: [0] }), 'BAD_CLASS_INDEX', /1 entries/);
    expectGradCamError(() => guidedBackprop(model, nan), 'NON_FINITE_INPUT');
    tf.dispose([wrong, two, nan]);
    model.dispose();
  });

  it('unsupported models', () => {
    const input = tfl.input({ shape: [2, 2, 1] });
    const c = tfl.layers.conv2d({ filters: 2, kernelSize: 1, activation: 'relu' }).apply(input) as tfl.SymbolicTensor;
    const flat = tfl.layers.flatten().apply(c) as tfl.SymbolicTensor;
    const twoOutputs = tfl.model({
      inputs: input,
      outputs: [tfl.layers.dense({ units: 2 }).apply(flat) as tfl.SymbolicTensor, tfl.layers.dense({ units: 3 }).apply(flat) as tfl.SymbolicTensor],
    });
    const featureMap = tfl.model({ inputs: input, outputs: c });
    const rnn = tfl.sequential({
      name: 'rnn',
      layers: [
        tfl.layers.reshape({ targetShape: [4, 1], inputShape: [2, 2, 1] }),
        tfl.layers.simpleRNN({ units: 3, activation: 'relu', name: 'recurrent', recurrentInitializer: 'glorotUniform' }),
        tfl.layers.dense({ units: 2 }),
      ],
    });
    expectGradCamError(() => guidedBackprop(twoOutputs, x), 'UNSUPPORTED_MODEL', /2 outputs/);
    expectGradCamError(() => guidedBackprop(featureMap, x), 'UNSUPPORTED_MODEL', /\[N,K\]/);
    expectGradCamError(() => guidedBackprop(rnn, x), 'UNSUPPORTED_MODEL', /"recurrent" \(SimpleRNN\)/);
    // The same layer nested one level deeper is found too.
    const outer = tfl.sequential({ layers: [tfl.layers.inputLayer({ inputShape: [2, 2, 1] }), rnn] });
    expectGradCamError(() => guidedBackprop(outer, x), 'UNSUPPORTED_MODEL', /recurrent/);
    twoOutputs.dispose();
    outer.dispose();
  });
});
