import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  GradCam,
  type GradCamResult,
  type TargetFunction,
  binaryTarget,
  classTarget,
  regressionTarget,
  segmentationTarget,
  similarityTarget,
  tokensToGrid,
} from '../src';
import { expectClose, expectGradCamError } from './helpers/expect';
import { conv, dense, denseLogits, init, randomImages, snapshot } from './helpers/models';

/**
 * Models the Python anchors make users wrap: several outputs, several inputs, a segmenter, a
 * binary classifier, an embedder. Each map is checked against a hand computation: tf.grad of the
 * chosen score w.r.t. the target activations (computed by a sub-model up to the target), the
 * spatial mean of the gradients as weights, the ReLU of the weighted sum.
 */

const TOL = 1e-5;

/** Grad-CAM from `score: activations [N,h,w,C] → [N]`, by hand; `signed`: without the ReLU. */
function handGradCam(activations: tf.Tensor4D, score: (a: tf.Tensor4D) => tf.Tensor1D, signed = false): number[] {
  return tf.tidy(() => {
    const g = tf.grad((a: tf.Tensor) => tf.sum(score(a as tf.Tensor4D)))(activations);
    const map = tf.sum(tf.mul(activations, tf.mean(g, [1, 2], true)), 3);
    return Array.from((signed ? map : tf.relu(map)).dataSync());
  });
}

/**
 * The map equals the reference (a hand computation) within 1e-5, and within 1e-4 of its own
 * scale (these small models make maps of order 1e-3), and the reference is not all zeros.
 */
function expectMap(actual: number[], reference: number[]): void {
  const scale = Math.max(...reference.map(Math.abs));
  expect(scale).toBeGreaterThan(0);
  expectClose(actual, reference, Math.min(TOL, 1e-4 * scale));
}

/** The activations of `layer` for `feeds`, through a sub-model of the same layers. */
function activationsOf(model: tfl.LayersModel, layer: string, feeds: tf.Tensor | tf.Tensor[]): tf.Tensor4D {
  const sub = tfl.model({ inputs: model.inputs, outputs: model.getLayer(layer).output as tfl.SymbolicTensor });
  return sub.predict(feeds) as tf.Tensor4D;
}

function gap(a: tf.Tensor4D): tf.Tensor2D {
  return tf.mean(a, [1, 2]) as tf.Tensor2D;
}

/** Explains, checks that the call and the result's dispose leave no tensor behind, returns the map and result data. */
function explained(gc: GradCam, x: tf.Tensor, options: Parameters<GradCam['explain']>[1]): { cam: number[]; output: tf.Tensor; r: GradCamResult } {
  const before = tf.memory().numTensors;
  const r = gc.explain(x, options);
  const cam = Array.from(r.cam.dataSync());
  const output = tf.clone(r.output);
  r.dispose();
  expect(tf.memory().numTensors).toBe(before + 1);
  return { cam, output, r };
}

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe('a two-headed classifier + regressor (outputName)', () => {
  const input = tfl.input({ shape: [8, 8, 3], name: 'image' });
  const target = conv('target', 5).apply(conv('c1', 4).apply(input)) as tfl.SymbolicTensor;
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(target) as tfl.SymbolicTensor;
  const cls = dense('cls', 3, 'softmax');
  const reg = dense('reg', 2, 'linear');
  const model = tfl.model({ inputs: input, outputs: [cls.apply(pooled), reg.apply(pooled)] as tfl.SymbolicTensor[] });
  const x = randomImages(2, 8, 3, 11);
  const a = activationsOf(model, 'target', x);
  const predicted = model.predict(x) as tf.Tensor[];

  it('explains the regressor: its value, output 1, and its own output on the result', () => {
    const gc = new GradCam(model, { outputName: 'reg', layerName: 'target' });
    const { cam, output, r } = explained(gc, x, { target: regressionTarget(1) });
    expectMap(cam, handGradCam(a, (t) => tf.reshape(tf.slice(denseLogits(reg, gap(t)), [0, 1], [-1, 1]), [-1]) as tf.Tensor1D));
    expect(r.classIndex).toEqual([-1, -1]);
    expect(maxDiff(output, predicted[1])).toBeLessThanOrEqual(1e-6);
    output.dispose();
  });

  it('explains the classifier: class logits, softmax on the output, classTarget reporting its class', () => {
    const gc = new GradCam(model, { outputName: 'cls' });
    expect(gc.layerName).toBe('target');
    const byTarget = explained(gc, x, { target: classTarget(2) });
    const byIndex = explained(gc, x, { classIndex: 2 });
    const hand = handGradCam(a, (t) => tf.reshape(tf.slice(denseLogits(cls, gap(t)), [0, 2], [-1, 1]), [-1]) as tf.Tensor1D);
    expectMap(byTarget.cam, hand);
    expectMap(byIndex.cam, hand);
    expect(byTarget.r.classIndex).toEqual([2, 2]);
    expect(maxDiff(byTarget.output, predicted[0])).toBeLessThanOrEqual(1e-6);
    tf.dispose([byTarget.output, byIndex.output]);
  });

  it('asks for outputName, and a class target outside the classes is BAD_CLASS_INDEX', () => {
    expectGradCamError(() => new GradCam(model), 'BAD_OPTION', /2 outputs \("cls", "reg"\)/);
    const gc = new GradCam(model, { outputName: 'cls' });
    expectGradCamError(() => gc.explain(x, { target: classTarget(3) }), 'BAD_CLASS_INDEX', /3 classes/);
    expectGradCamError(() => classTarget(-1), 'BAD_CLASS_INDEX');
    expectGradCamError(() => gc.explain(x, { target: regressionTarget(3) }), 'BAD_OPTION', /K > 3/);
  });

  it('never changes the model', () => {
    const before = snapshot(model);
    const gc = new GradCam(model, { outputName: 'reg' });
    gc.explain(x, { target: regressionTarget(), method: 'scorecam', maxChannels: 2 }).dispose();
    gc.dispose();
    expect(snapshot(model)).toBe(before);
  });
});

describe('an image + vector model (inputName, otherInputs)', () => {
  const image = tfl.input({ shape: [8, 8, 3], name: 'image' });
  const vector = tfl.input({ shape: [4], name: 'meta' });
  const target = conv('target', 4).apply(image) as tfl.SymbolicTensor;
  const pooled = tfl.layers.globalAveragePooling2d({}).apply(target) as tfl.SymbolicTensor;
  const joined = tfl.layers.concatenate({}).apply([pooled, vector]) as tfl.SymbolicTensor;
  const hidden = dense('hidden', 6, 'relu');
  const out = dense('out', 3, 'softmax');
  // The vector comes first: the image is not input 0.
  const model = tfl.model({ inputs: [vector, image], outputs: out.apply(hidden.apply(joined)) as tfl.SymbolicTensor });
  const x = randomImages(2, 8, 3, 12);
  const meta = tf.randomNormal([2, 4], 0, 1, 'float32', 13) as tf.Tensor2D;
  const a = activationsOf(model, 'target', [meta, x]);
  const logitsOf = (t: tf.Tensor4D, m: tf.Tensor2D): tf.Tensor2D => denseLogits(out, tf.relu(denseLogits(hidden, tf.concat([gap(t), m], 1))));

  it('holds the other input fixed: Grad-CAM equals the hand computation, output equals predict', () => {
    const gc = new GradCam(model, { inputName: 'image' });
    const { cam, output } = explained(gc, x, { classIndex: 1, otherInputs: { meta } });
    expectMap(cam, handGradCam(a, (t) => tf.reshape(tf.slice(logitsOf(t, meta), [0, 1], [-1, 1]), [-1]) as tf.Tensor1D));
    expect(maxDiff(output, model.predict([meta, x]) as tf.Tensor)).toBeLessThanOrEqual(1e-6);
    output.dispose();
  });

  it('shares a batch-1 input across the batch', () => {
    const gc = new GradCam(model, { inputName: 'image' });
    const one = tf.slice(meta, [1, 0], [1, 4]);
    const shared = tf.concat([one, one]) as tf.Tensor2D;
    const { cam, output } = explained(gc, x, { classIndex: 0, otherInputs: { meta: one } });
    const sharedA = activationsOf(model, 'target', [shared, x]);
    expectMap(cam, handGradCam(sharedA, (t) => tf.reshape(tf.slice(logitsOf(t, shared), [0, 0], [-1, 1]), [-1]) as tf.Tensor1D));
    tf.dispose([one, shared, sharedA, output]);
  });

  it.each(['scorecam', 'ablationcam', 'gradcam++', 'eigencam'] as const)(
    '%s pairs each image (and each perturbed copy) with its own other input',
    (method) => {
      const gc = new GradCam(model, { inputName: 'image' });
      const both = gc.explain(x, { method, classIndex: 2, otherInputs: { meta }, batchSize: 3 });
      for (const i of [0, 1]) {
        const xi = tf.slice(x, [i, 0, 0, 0], [1, 8, 8, 3]);
        const mi = tf.slice(meta, [i, 0], [1, 4]);
        const alone = gc.explain(xi, { method, classIndex: 2, otherInputs: { meta: mi } });
        expectMap(Array.from(tf.slice(both.cam, [i, 0, 0], [1, 8, 8]).dataSync()), Array.from(alone.cam.dataSync()));
        tf.dispose([xi, mi]);
        alone.dispose();
      }
      both.dispose();
    },
  );

  it('explainTopK takes otherInputs too: each rank as explain gives it for that class', () => {
    const gc = new GradCam(model, { inputName: 'image' });
    for (const method of ['gradcam', 'scorecam'] as const) {
      const ranked = gc.explainTopK(x, 2, { method, otherInputs: { meta } });
      for (const r of ranked) {
        const single = gc.explain(x, { method, classIndex: r.classIndex, otherInputs: { meta } });
        expectMap(Array.from(r.cam.dataSync()), Array.from(single.cam.dataSync()));
        expect(maxDiff(r.output, single.output)).toBeLessThanOrEqual(1e-6);
        single.dispose();
        r.dispose();
      }
    }
  });

  it('says which input is missing, misshapen or unknown, and leaks nothing', () => {
    expectGradCamError(() => new GradCam(model), 'BAD_OPTION', /2 inputs \("meta", "image"\).*inputName/s);
    const gc = new GradCam(model, { inputName: 'image' });
    expectGradCamError(() => gc.explain(x), 'BAD_INPUT', /input "meta" \[\?,4\] is missing/);
    const wrong = tf.zeros([3, 4]);
    expectGradCamError(() => gc.explain(x, { otherInputs: { meta: wrong } }), 'BAD_INPUT', /otherInputs.meta has shape \[3,4\]/);
    expectGradCamError(() => gc.explain(x, { otherInputs: { meta, extra: meta } }), 'BAD_OPTION', /"extra".*"meta"/);
    wrong.dispose();
  });
});

describe('targets for other kinds of model', () => {
  it('segmentationTarget: a fully-convolutional segmenter, mask [H,W] or one per image', () => {
    const input = tfl.input({ shape: [8, 8, 3] });
    const seg = tfl.layers.conv2d({ name: 'seg', filters: 3, kernelSize: 1, activation: 'softmax', kernelInitializer: init() });
    const model = tfl.model({ inputs: input, outputs: seg.apply(conv('target', 4).apply(input)) as tfl.SymbolicTensor });
    const x = randomImages(2, 8, 3, 14);
    const a = activationsOf(model, 'target', x);
    const masks = tf.cast(tf.greater(tf.randomUniform([2, 8, 8], 0, 1, 'float32', 15), 0.5), 'float32') as tf.Tensor3D;
    const [kernel, bias] = seg.getWeights();
    const logits = (t: tf.Tensor4D): tf.Tensor4D => tf.add(tf.conv2d(t, kernel as tf.Tensor4D, 1, 'same'), bias);
    const score = (t: tf.Tensor4D, m: tf.Tensor): tf.Tensor1D =>
      tf.sum(tf.mul(tf.reshape(tf.slice(logits(t), [0, 0, 0, 1], [-1, 8, 8, 1]), [-1, 8, 8]), m), [1, 2]) as tf.Tensor1D;
    const gc = new GradCam(model, { layerName: 'target' });
    // Signed maps: a map that is all negative would be zero after the ReLU, and prove nothing.
    const signed = { relu: false, normalize: false };
    const perImage = explained(gc, x, { target: segmentationTarget(masks, 1), ...signed });
    expectMap(perImage.cam, handGradCam(a, (t) => score(t, masks), true));
    const first = tf.reshape(tf.slice(masks, [0, 0, 0], [1, 8, 8]), [8, 8]);
    const shared = explained(gc, x, { target: segmentationTarget(first, 1), ...signed });
    expectMap(shared.cam, handGradCam(a, (t) => score(t, first), true));
    expect(maxDiff(shared.output, model.predict(x) as tf.Tensor)).toBeLessThanOrEqual(1e-6);
    // ScoreCAM's rows are variants of one image: a per-image mask must follow them.
    const scorecam = gc.explain(x, { method: 'scorecam', target: segmentationTarget(masks, 1) });
    const second = tf.slice(x, [1, 0, 0, 0], [1, 8, 8, 3]);
    const alone = gc.explain(second, { method: 'scorecam', target: segmentationTarget(tf.slice(masks, [1, 0, 0], [1, 8, 8]), 1) });
    expectMap(Array.from(tf.slice(scorecam.cam, [1, 0, 0], [1, 8, 8]).dataSync()), Array.from(alone.cam.dataSync()));
    const wrongSize = tf.ones([4, 4]);
    expectGradCamError(() => gc.explain(x, { target: segmentationTarget(wrongSize, 1) }), 'SHAPE_MISMATCH', /\[N,4,4,K>1\]/);
    tf.dispose([a, masks, first, perImage.output, shared.output, second, wrongSize]);
    scorecam.dispose();
    alone.dispose();
  });

  it('binaryTarget: the logit before the final sigmoid, or its negation', () => {
    const input = tfl.input({ shape: [8, 8, 3] });
    const pooled = tfl.layers.globalAveragePooling2d({}).apply(conv('target', 4).apply(input)) as tfl.SymbolicTensor;
    const head = dense('p', 1, 'linear');
    const sigmoid = tfl.layers.dense({ name: 'logit', units: 1, activation: 'sigmoid', kernelInitializer: init() });
    const model = tfl.model({ inputs: input, outputs: sigmoid.apply(head.apply(pooled)) as tfl.SymbolicTensor });
    const x = randomImages(2, 8, 3, 16);
    const a = activationsOf(model, 'target', x);
    const logit = (t: tf.Tensor4D): tf.Tensor1D => tf.reshape(denseLogits(sigmoid, denseLogits(head, gap(t))), [-1]) as tf.Tensor1D;
    const gc = new GradCam(model);
    const positive = explained(gc, x, { target: binaryTarget() });
    const negative = explained(gc, x, { target: binaryTarget(false) });
    expectMap(positive.cam, handGradCam(a, logit));
    expectMap(negative.cam, handGradCam(a, (t) => tf.neg(logit(t))));
    expect(positive.r.scores).toEqual(Array.from(logit(a).dataSync()).map((s) => expect.closeTo(s, 5)));
    expect(maxDiff(positive.output, model.predict(x) as tf.Tensor)).toBeLessThanOrEqual(1e-6);
    tf.dispose([a, positive.output, negative.output]);
    const multi = new GradCam(tfl.model({ inputs: input, outputs: dense('two', 2).apply(pooled) as tfl.SymbolicTensor }));
    expectGradCamError(() => multi.explain(x, { target: binaryTarget() }), 'BAD_OPTION', /single-logit output \[N,1\]/);
  });

  it('similarityTarget: cosine similarity of an embedding to a concept, [D] or one per image', () => {
    const input = tfl.input({ shape: [8, 8, 3] });
    const pooled = tfl.layers.globalAveragePooling2d({}).apply(conv('target', 4).apply(input)) as tfl.SymbolicTensor;
    const embed = dense('embed', 6, 'linear');
    const model = tfl.model({ inputs: input, outputs: embed.apply(pooled) as tfl.SymbolicTensor });
    const x = randomImages(2, 8, 3, 17);
    const a = activationsOf(model, 'target', x);
    const concepts = tf.randomNormal([2, 6], 0, 1, 'float32', 18) as tf.Tensor2D;
    const cosine = (t: tf.Tensor4D, e: tf.Tensor2D): tf.Tensor1D => {
      const o = denseLogits(embed, gap(t));
      const unit = (v: tf.Tensor2D): tf.Tensor => tf.div(v, tf.norm(v, 'euclidean', 1, true));
      return tf.sum(tf.mul(unit(o), unit(e)), 1) as tf.Tensor1D;
    };
    const gc = new GradCam(model);
    const perImage = explained(gc, x, { target: similarityTarget(concepts) });
    expectMap(perImage.cam, handGradCam(a, (t) => cosine(t, concepts)));
    const one = tf.slice(concepts, [0, 0], [1, 6]) as tf.Tensor2D;
    const shared = explained(gc, x, { target: similarityTarget(tf.reshape(one, [6])) });
    expectMap(shared.cam, handGradCam(a, (t) => cosine(t, tf.concat([one, one]) as tf.Tensor2D)));
    const extra = tf.zeros([1, 6]);
    const short = similarityTarget(extra);
    expectGradCamError(() => gc.explain(x, { target: short }), 'SHAPE_MISMATCH', /no row for image 1/);
    tf.dispose([a, concepts, one, extra, perImage.output, shared.output]);
  });

  it('a custom target receives the image of each row', () => {
    const input = tfl.input({ shape: [8, 8, 3] });
    const model = tfl.model({
      inputs: input,
      outputs: dense('o', 3).apply(tfl.layers.globalAveragePooling2d({}).apply(conv('target', 4).apply(input))) as tfl.SymbolicTensor,
    });
    const seen: number[][] = [];
    const target: TargetFunction = (output, imageIndex) => {
      seen.push(imageIndex);
      return tf.reshape(tf.slice(output, [0, 0], [-1, 1]), [-1]) as tf.Tensor1D;
    };
    const x = randomImages(2, 8, 3, 19);
    const gc = new GradCam(model);
    gc.explain(x, { target }).dispose();
    expect(seen).toEqual([[0, 1]]);
    seen.length = 0;
    gc.explain(x, { target, method: 'ablationcam', batchSize: 3 }).dispose();
    // The plain pass, then 4 channels of each image in chunks of 3.
    expect(seen).toEqual([[0, 1], [0, 0, 0], [0], [1, 1, 1], [1]]);
  });
});

describe('output: the prediction from the same pass', () => {
  const input = tfl.input({ shape: [8, 8, 3] });
  const model = tfl.model({
    inputs: input,
    outputs: dense('o', 4, 'softmax').apply(tfl.layers.flatten({}).apply(conv('target', 3).apply(input))) as tfl.SymbolicTensor,
  });
  const x = randomImages(3, 8, 3, 20);
  const predicted = model.predict(x) as tf.Tensor2D;

  it.each(['gradcam', 'eigencam', 'scorecam'] as const)('%s: equals predict within 1e-6, logit or probability scores', (method) => {
    const gc = new GradCam(model);
    for (const score of ['logit', 'probability'] as const) {
      const { output } = explained(gc, x, { method, score });
      expect(maxDiff(output, predicted)).toBeLessThanOrEqual(1e-6);
      output.dispose();
    }
  });

  it('augSmooth keeps the plain images\' output; explainTopK gives each result its own', () => {
    const gc = new GradCam(model);
    const { output } = explained(gc, x, { augSmooth: true });
    expect(maxDiff(output, predicted)).toBeLessThanOrEqual(1e-6);
    output.dispose();
    const before = tf.memory().numTensors;
    const [first, second] = gc.explainTopK(x, 2);
    first.dispose();
    expect(maxDiff(second.output, predicted)).toBeLessThanOrEqual(1e-6);
    second.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('a tiny patch-token transformer (reshapeTransform, tokensToGrid)', () => {
  // Patchify conv → 16 tokens, a class token in front → Dense blocks on [N,17,C] → pooled head.
  const input = tfl.input({ shape: [8, 8, 3] });
  const patches = tfl.layers.conv2d({ name: 'patchify', filters: 4, kernelSize: 2, strides: 2, kernelInitializer: init() }).apply(input) as tfl.SymbolicTensor;
  const tokens = tfl.layers.reshape({ targetShape: [16, 4] }).apply(patches) as tfl.SymbolicTensor;
  const clsToken = tfl.layers.reshape({ targetShape: [1, 4] }).apply(dense('cls_token', 4, 'linear').apply(tfl.layers.globalAveragePooling2d({}).apply(patches))) as tfl.SymbolicTensor;
  const sequence = tfl.layers.concatenate({ axis: 1 }).apply([clsToken, tokens]) as tfl.SymbolicTensor;
  const block2 = dense('block2', 4, 'relu').apply(dense('block1', 4, 'relu').apply(sequence)) as tfl.SymbolicTensor;
  const out = dense('out', 3, 'softmax');
  const model = tfl.model({ inputs: input, outputs: out.apply(tfl.layers.globalAveragePooling1d({}).apply(block2)) as tfl.SymbolicTensor });
  const x = randomImages(2, 8, 3, 22);
  const raw = tfl.model({ inputs: input, outputs: block2 }).predict(x) as tf.Tensor3D; // [2,17,4]
  const grid = (t: tf.Tensor): tf.Tensor4D => tf.reshape(tf.slice(t, [0, 1, 0], [-1, 16, 4]), [-1, 4, 4, 4]);
  const logit = (t: tf.Tensor): tf.Tensor1D => tf.reshape(tf.slice(denseLogits(out, tf.mean(t, 1)), [0, 2], [-1, 1]), [-1]) as tf.Tensor1D;

  it('Grad-CAM: gradients of the tokens, class token dropped, laid out as the grid', () => {
    const predicted = model.predict(x) as tf.Tensor;
    const before = tf.memory().numTensors;
    const gc = new GradCam(model, { layerName: 'block2', reshapeTransform: tokensToGrid() });
    // The signed map (this class's map is all negative, which the ReLU would zero).
    const { cam, output } = explained(gc, x, { classIndex: 2, relu: false, normalize: false });
    const hand = tf.tidy(() => {
      const g = grid(tf.grad((t: tf.Tensor) => tf.sum(logit(t)))(raw));
      return Array.from(tf.sum(tf.mul(grid(raw), tf.mean(g, [1, 2], true)), 3).dataSync());
    });
    expectMap(cam, hand);
    expect(maxDiff(output, predicted)).toBeLessThanOrEqual(1e-6);
    output.dispose();
    gc.dispose();
    expect(tf.memory().numTensors).toBe(before);
    predicted.dispose();
  });

  it('AblationCAM: the head gets the ablated grid back among the tokens, class token untouched', () => {
    const gc = new GradCam(model, { layerName: 'block2', reshapeTransform: tokensToGrid({ skipTokens: 1, height: 4, width: 4 }) });
    const { cam, output } = explained(gc, x, { method: 'ablationcam', classIndex: 2 });
    const hand = [0, 1].flatMap((n) =>
      tf.tidy(() => {
        const own = tf.slice(raw, [n, 0, 0], [1, 17, 4]);
        expect(tf.min(grid(own)).dataSync()[0]).toBe(0); // after a ReLU: ablated channels are set to 0
        const score = logit(own).dataSync()[0];
        const patchRows = tf.reshape(tf.tensor1d([0, ...new Array<number>(16).fill(1)]), [1, 17, 1]);
        const weights = [0, 1, 2, 3].map((c) => {
          const channel = tf.reshape(tf.oneHot(tf.tensor1d([c], 'int32'), 4), [1, 1, 4]);
          const ablated = tf.mul(own, tf.sub(1, tf.mul(patchRows, channel)));
          return (score - logit(ablated).dataSync()[0]) / score;
        });
        return Array.from(tf.relu(tf.sum(tf.mul(grid(own), tf.tensor1d(weights)), 3)).dataSync());
      }),
    );
    expectMap(cam, hand);
    output.dispose();
    gc.dispose();
  });

  it('says, at construction, when the tokens do not make the grid or the transform does more than move tokens', () => {
    expectGradCamError(() => new GradCam(model, { layerName: 'block2' }), 'NOT_A_FEATURE_MAP', /reshapeTransform/);
    expectGradCamError(() => new GradCam(model, { layerName: 'block2', reshapeTransform: tokensToGrid({ skipTokens: 0 }) }), 'BAD_OPTION', /17 tokens less 0 skipped leaves 17, which is not a square/);
    expectGradCamError(() => new GradCam(model, { layerName: 'block2', reshapeTransform: tokensToGrid({ height: 2, width: 4 }) }), 'BAD_OPTION', /is not 2×4/);
    const scaled = (t: tf.Tensor): tf.Tensor4D => tf.mul(tokensToGrid()(t), 2);
    expectGradCamError(() => new GradCam(model, { layerName: 'block2', reshapeTransform: scaled }), 'BAD_OPTION', /whole rows of 4 channels/);
    expectGradCamError(() => tokensToGrid({ height: 4 }), 'BAD_OPTION', /together/);
  });
});
