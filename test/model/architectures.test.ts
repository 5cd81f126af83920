import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  GradCam,
  type ScoreHead,
  camToHeatmap,
  gradientsForClass,
  poolWeights,
  splitModel,
  weightedActivationMap,
} from '../../src';
import { expectGradCamError } from '../helpers/expect';
import { buildFixtureModel, loadFixture, toTensor } from '../helpers/fixtures';
import { conv, dense, denseLogits, randomImages, snapshot } from '../helpers/models';

/**
 * For each architecture, the plumbing (finding the layer, cutting the graph, reusing skip
 * tensors, dropping the softmax) must give the same maps as a head written out by hand for
 * that model, applied to activations computed by hand.
 */
type Apply = (layer: tfl.layers.Layer, x: tf.Tensor | tf.Tensor[]) => tf.Tensor;
const run: Apply = (layer, x) => layer.apply(x) as tf.Tensor;

interface Reference {
  activations: tf.Tensor4D;
  head: ScoreHead;
}

function expectSameAsReference(gc: GradCam, x: tf.Tensor4D, reference: () => Reference, classIndex?: number[]): void {
  const before = tf.memory().numTensors;
  const r = gc.explain(x, { classIndex });
  const [n, height, width] = x.shape;
  const expected = tf.tidy(() => {
    const { activations, head } = reference();
    const g = gradientsForClass(head, activations, classIndex);
    const cam = weightedActivationMap(activations, poolWeights(g.gradients));
    return { cam, heatmap: camToHeatmap(cam, [height, width]), scores: g.scores, classIndex: g.classIndex };
  });
  expect(r.heatmap.shape).toEqual([n, height, width]);
  expect(r.classIndex).toEqual(Array.from(expected.classIndex.dataSync()));
  r.scores.forEach((s, i) => expect(s).toBeCloseTo(expected.scores.dataSync()[i], 4));
  expectClose(r.cam, expected.cam, 1e-5);
  expectClose(r.heatmap, expected.heatmap, 1e-5);
  // The maps must not be trivially flat, or the comparison would prove little.
  expect(tf.tidy(() => tf.max(r.heatmap).dataSync()[0])).toBeCloseTo(1, 4);
  r.dispose();
  tf.dispose(expected);
  expect(tf.memory().numTensors).toBe(before);
}

function expectClose(actual: tf.Tensor, expected: tf.Tensor, tol: number): void {
  expect(actual.shape).toEqual(expected.shape);
  const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0]);
  expect(diff).toBeLessThanOrEqual(tol);
}

describe('architectures', () => {
  const x = randomImages(2);
  afterAll(() => x.dispose());

  it('a residual skip connection that jumps over the target layer', () => {
    const input = tfl.input({ shape: [8, 8, 3] });
    const stem = conv('stem', 4);
    const target = conv('target', 4);
    const after = conv('after', 4, 'linear');
    const add = tfl.layers.add({ name: 'add' });
    const relu = tfl.layers.activation({ activation: 'relu', name: 'add_relu' });
    const gap = tfl.layers.globalAveragePooling2d({ name: 'gap' });
    const head = dense('predictions', 3);
    const s = stem.apply(input) as tfl.SymbolicTensor;
    const branch = after.apply(target.apply(s)) as tfl.SymbolicTensor;
    const y = relu.apply(add.apply([branch, s])) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: head.apply(gap.apply(y)) as tfl.SymbolicTensor });

    const gc = new GradCam(model, { layerName: 'target' });
    expectSameAsReference(gc, x, () => {
      const skip = run(stem, x);
      return {
        activations: run(target, skip) as tf.Tensor4D,
        head: (a) => denseLogits(head, run(gap, run(relu, run(add, [run(after, a), skip])))),
      };
    });
    // Auto-detection picks the last 4-D layer: the activation after the add.
    expect(new GradCam(model).layerName).toBe('add_relu');
    model.dispose();
  });

  it('several branches after the target, joined by a concatenation', () => {
    const input = tfl.input({ shape: [8, 8, 3] });
    const target = conv('target', 4);
    const left = conv('left', 3);
    const right = conv('right', 2);
    const cat = tfl.layers.concatenate({ name: 'cat' });
    const pool = tfl.layers.maxPooling2d({ poolSize: 2, name: 'pool' });
    const flat = tfl.layers.flatten({ name: 'flat' });
    const head = dense('predictions', 4);
    const t = target.apply(input) as tfl.SymbolicTensor;
    const joined = cat.apply([left.apply(t), right.apply(t)] as tfl.SymbolicTensor[]) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: head.apply(flat.apply(pool.apply(joined))) as tfl.SymbolicTensor });

    const gc = new GradCam(model, { layerName: 'target' });
    const reference = (): Reference => ({
      activations: run(target, x) as tf.Tensor4D,
      head: (a) => denseLogits(head, run(flat, run(pool, run(cat, [run(left, a), run(right, a)])))),
    });
    expectSameAsReference(gc, x, reference);
    expectSameAsReference(gc, x, reference, [3, 1]);
    model.dispose();
  });

  it('a functional model nested in a functional model (transfer learning), addressed as outer/inner', () => {
    const innerInput = tfl.input({ shape: [8, 8, 3] });
    const c1 = conv('c1', 4);
    const c2 = conv('c2', 4);
    const c3 = conv('c3', 4);
    const base = tfl.model({
      name: 'base',
      inputs: innerInput,
      outputs: c3.apply(c2.apply(c1.apply(innerInput))) as tfl.SymbolicTensor,
    });
    const input = tfl.input({ shape: [8, 8, 3] });
    const gap = tfl.layers.globalAveragePooling2d({ name: 'gap' });
    const head = dense('predictions', 3);
    const model = tfl.model({ inputs: input, outputs: head.apply(gap.apply(base.apply(input))) as tfl.SymbolicTensor });

    const gc = new GradCam(model, { layerName: 'base/c2' });
    expect(gc.layerName).toBe('base/c2');
    expectSameAsReference(gc, x, () => ({
      activations: run(c2, run(c1, x)) as tf.Tensor4D,
      head: (a) => denseLogits(head, run(gap, run(c3, a))),
    }));
    // A bare inner name is accepted when it is unique, and reported with its full path.
    expect(new GradCam(model, { layerName: 'c2' }).layerName).toBe('base/c2');
    // Auto-detection searches into the nested model.
    expect(new GradCam(model).layerName).toBe('base/c3');
    model.dispose();
  });

  it('a model used as the first layer of a Sequential (its layers are inlined by tfjs)', () => {
    const c1 = conv('c1', 4);
    const c2 = conv('c2', 4);
    const base = tfl.sequential({ name: 'backbone', layers: [tfl.layers.inputLayer({ inputShape: [8, 8, 3] }), c1, c2] });
    const gap = tfl.layers.globalAveragePooling2d({ name: 'gap' });
    const head = dense('predictions', 3);
    const model = tfl.sequential({ layers: [base, gap, head] });

    expect(new GradCam(model).layerName).toBe('backbone/c2');
    const gc = new GradCam(model, { layerName: 'backbone/c1' });
    expectSameAsReference(gc, x, () => ({
      activations: run(c1, x) as tf.Tensor4D,
      head: (a) => denseLogits(head, run(gap, run(c2, a))),
    }));
    model.dispose();
  });

  it('the target inside a nested model whose own last layer is the softmax', () => {
    const innerInput = tfl.input({ shape: [8, 8, 3] });
    const c1 = conv('c1', 4);
    const gap = tfl.layers.globalAveragePooling2d({ name: 'gap' });
    const head = dense('predictions', 3);
    const whole = tfl.model({
      name: 'classifier',
      inputs: innerInput,
      outputs: head.apply(gap.apply(c1.apply(innerInput))) as tfl.SymbolicTensor,
    });
    const input = tfl.input({ shape: [8, 8, 3] });
    const model = tfl.model({ inputs: input, outputs: whole.apply(input) as tfl.SymbolicTensor });

    const gc = new GradCam(model);
    expect(gc.layerName).toBe('classifier/c1');
    expectSameAsReference(gc, x, () => ({
      activations: run(c1, x) as tf.Tensor4D,
      head: (a) => denseLogits(head, run(gap, a)),
    }));
    model.dispose();
  });

  it('a softmax as a separate layer: Activation("softmax") and tf.layers.softmax', () => {
    for (const makeSoftmax of [() => tfl.layers.activation({ activation: 'softmax' }), () => tfl.layers.softmax()]) {
      const target = conv('target', 4);
      const gap = tfl.layers.globalAveragePooling2d({});
      const logits = dense('logits', 3, 'linear');
      const model = tfl.sequential({
        layers: [tfl.layers.inputLayer({ inputShape: [8, 8, 3] }), target, gap, logits, makeSoftmax()],
      });
      expectSameAsReference(new GradCam(model), x, () => ({
        activations: run(target, x) as tf.Tensor4D,
        head: (a) => denseLogits(logits, run(gap, a)),
      }));
      model.dispose();
    }
  });

  it('inference mode: dropout off and batch normalization on its moving statistics', () => {
    const target = conv('target', 4);
    const bn = tfl.layers.batchNormalization({
      name: 'bn',
      movingMeanInitializer: tfl.initializers.constant({ value: 0.3 }),
      movingVarianceInitializer: tfl.initializers.constant({ value: 2 }),
    });
    const drop = tfl.layers.dropout({ rate: 0.5, name: 'drop' });
    const gap = tfl.layers.globalAveragePooling2d({});
    const head = dense('predictions', 3);
    const model = tfl.sequential({ layers: [tfl.layers.inputLayer({ inputShape: [8, 8, 3] }), target, bn, drop, gap, head] });

    const gc = new GradCam(model, { layerName: 'target' });
    // By hand: dropout is the identity and BN uses (a - 0.3) / sqrt(2 + eps) (gamma 1, beta 0).
    expectSameAsReference(gc, x, () => ({
      activations: run(target, x) as tf.Tensor4D,
      head: (a) => denseLogits(head, run(gap, tf.div(tf.sub(a, 0.3), Math.sqrt(2 + 1e-3)))),
    }));
    model.dispose();
  });

  it('leaves the model as it was: weights, config, trainable flags, graph nodes, softmax', () => {
    const input = tfl.input({ shape: [8, 8, 3] });
    const stem = conv('stem', 4);
    const target = conv('target', 4);
    const add = tfl.layers.add({ name: 'add' });
    const gap = tfl.layers.globalAveragePooling2d({ name: 'gap' });
    const head = dense('predictions', 3);
    const s = stem.apply(input) as tfl.SymbolicTensor;
    const model = tfl.model({
      inputs: input,
      outputs: head.apply(gap.apply(add.apply([target.apply(s), s] as tfl.SymbolicTensor[]))) as tfl.SymbolicTensor,
    });
    stem.trainable = false;
    const before = snapshot(model);
    const predictionsBefore = model.predict(x) as tf.Tensor;

    const gc = new GradCam(model, { layerName: 'target' });
    for (let i = 0; i < 3; i++) gc.explain(x, { classIndex: i }).dispose();

    expect(snapshot(model)).toBe(before);
    const predictionsAfter = model.predict(x) as tf.Tensor;
    expectClose(predictionsAfter, predictionsBefore, 0);
    // Still a softmax: rows sum to one.
    expectClose(tf.sum(predictionsAfter, 1), tf.ones([2]), 1e-6);
    // No graph node was added to any layer, so `layer.output` still works.
    expect(() => target.output).not.toThrow();
    tf.dispose([predictionsBefore, predictionsAfter]);
    model.dispose();
  });
});

describe('FeaturePass.head', () => {
  it('refuses activations for another number of images when layers after the target reuse body tensors', () => {
    const input = tfl.input({ shape: [8, 8, 3] });
    const stem = conv('stem', 4);
    const s = stem.apply(input) as tfl.SymbolicTensor;
    const joined = tfl.layers.add().apply([conv('target', 4).apply(s), s] as tfl.SymbolicTensor[]);
    const model = tfl.model({
      inputs: input,
      outputs: dense('p', 2).apply(tfl.layers.globalAveragePooling2d({}).apply(joined)) as tfl.SymbolicTensor,
    });
    const x = randomImages(2);
    const pass = splitModel(model, 'target').forward(x);
    const one = tf.slice(pass.activations, [0], [1]) as tf.Tensor4D;
    expectGradCamError(() => pass.head(one), 'SHAPE_MISMATCH', /continues a forward pass of 2 images/);
    tf.dispose([one, x]);
    pass.dispose();
    model.dispose();
  });
});

describe('FeaturePass.head outside tf.tidy', () => {
  it('leaves only the scores it returns', () => {
    const fx = loadFixture('plain');
    const model = buildFixtureModel(fx);
    const x = toTensor(fx.images[0].tensor);
    const pass = splitModel(model, 'conv3').forward(x);
    const before = tf.memory().numTensors;
    const scores = pass.head(pass.activations);
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([scores, x]);
    pass.dispose();
    model.dispose();
  });
});
