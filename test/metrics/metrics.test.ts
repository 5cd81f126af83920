/** The metrics against hand computations on a tiny model, their errors, leaks and seeded noise. */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { GradCamError } from '../../src';
import * as metrics from '../../src/metrics';
import { graphReference, loadGraphFixture, loadLayersFixture, tensorOf } from '../helpers/graph-fixtures';
import { roadRemovedPixels } from '../../src/metrics/percentile';

// Two classes over 2×2×1 images: logit 0 = x·w with w = [1, 2, 3, 4] (raster order), logit 1 = 0.
const W = [1, 2, 3, 4];
const asFunction = (x: tf.Tensor4D): tf.Tensor2D =>
  tf.tidy(() => {
    const a = tf.sum(tf.mul(tf.reshape(x, [-1, 4]), tf.tensor1d(W)), 1, true);
    return tf.concat([a, tf.zerosLike(a)], 1) as tf.Tensor2D;
  });
function asLayersModel(): tfl.LayersModel {
  // A 1×1 identity conv (a feature map to cut at), flatten, then the same logits through a softmax.
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [2, 2, 1], filters: 1, kernelSize: 1, useBias: false, kernelInitializer: 'ones' }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 2, useBias: false, activation: 'softmax' }),
    ],
  });
  const kernel = tf.tensor2d(W.flatMap((w) => [w, 0]), [4, 2]);
  model.layers[2].setWeights([kernel]);
  kernel.dispose();
  return model;
}
const sigmoid = (a: number): number => 1 / (1 + Math.exp(-a));
const image = (v: number[]): tf.Tensor4D => tf.tensor4d(v, [1, 2, 2, 1]);

let layers: tfl.LayersModel;
beforeAll(async () => {
  await tf.setBackend('cpu');
  layers = asLayersModel();
});
afterAll(() => layers.dispose());

// Image 1: score 10; times its map [1,1,0,0] → 3. Image 2: score 3; times [0,0,0,1] → 4.
const pair = (): { images: tf.Tensor4D; heatmaps: tf.Tensor3D } => ({
  images: tf.tensor4d([1, 1, 1, 1, -1, 0, 0, 1], [2, 2, 2, 1]),
  heatmaps: tf.tensor3d([1, 1, 0, 0, 0, 0, 0, 1], [2, 2, 2]),
});

describe.each([
  ['a function', () => asFunction],
  ['a LayersModel (its softmax is left out for the logits)', () => layers],
] as const)('on %s', (_kind, model) => {
  it('confidence metrics and the paper\'s Average Drop / Increase equal the hand computation', async () => {
    const { images, heatmaps } = pair();
    const o = { classIndex: 0 };
    const before = tf.memory().numTensors;
    const change = await metrics.confidenceChange(model(), images, heatmaps, o);
    const drop = await metrics.dropInConfidence(model(), images, heatmaps, o);
    const increase = await metrics.increaseInConfidence(model(), images, heatmaps, o);
    const avgDrop = await metrics.averageDrop(model(), images, heatmaps, o);
    const avgIncrease = await metrics.averageIncrease(model(), images, heatmaps, o);
    const logitDrop = await metrics.averageDrop(model(), images, heatmaps, { ...o, score: 'logit' });
    const logitChange = await metrics.confidenceChange(model(), images, heatmaps, { ...o, score: 'logit' });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([images, heatmaps]);
    expect(change[0]).toBeCloseTo(sigmoid(3) - sigmoid(10), 6);
    expect(change[1]).toBeCloseTo(sigmoid(4) - sigmoid(3), 6);
    expect(drop[0]).toBeCloseTo(sigmoid(10) - sigmoid(3), 6);
    expect(drop[1]).toBe(0);
    expect(increase).toEqual([0, 1]);
    expect(avgDrop).toBeCloseTo(((sigmoid(10) - sigmoid(3)) / sigmoid(10) + 0) / 2, 6);
    expect(avgIncrease).toBe(0.5);
    expect(logitDrop).toBeCloseTo((7 / 10 + 0) / 2, 6);
    expect(logitChange).toEqual([expect.closeTo(-7, 5), expect.closeTo(1, 5)]);
  });

  it('deletion and insertion equal the hand-computed trapezoids, with ties in raster order', async () => {
    // Map [0.1, 0.9, 0.5, 0.5]: order 1, 2, 3, 0 (pixels 2 and 3 tie: raster order). 10 steps
    // over 4 pixels flip ⌊0.4k⌋ = 0,0,0,1,1,2,2,2,3,3,4 pixels.
    const x = image([1, 1, 1, 1]);
    const cam = tf.tensor3d([0.1, 0.9, 0.5, 0.5], [1, 2, 2]);
    const o = { classIndex: 0, score: 'logit' as const };
    const before = tf.memory().numTensors;
    // Deletion: scores 10, 8 (−w1), 5 (−w2), 1 (−w3), 0 → curve [10,10,10,8,8,5,5,5,1,1,0].
    const del = await metrics.deletion(model(), x, cam, o);
    // Insertion: 0, 2, 5, 9, 10 → curve [0,0,0,2,2,5,5,5,9,9,10].
    const ins = await metrics.insertion(model(), x, cam, o);
    // 4 steps: deletion curve [10,8,5,1,0], insertion [0,2,5,9,10], baseline 1: deletion changes nothing.
    const del4 = await metrics.deletion(model(), x, cam, { ...o, steps: 4 });
    const ins4 = await metrics.insertion(model(), x, cam, { ...o, steps: 4 });
    const sameAsBaseline = await metrics.deletion(model(), x, cam, { ...o, baseline: 1 });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, cam]);
    const trapezoid = (c: number[]): number => c.slice(1).reduce((s, v, k) => s + (v + c[k]) / 2, 0) / (c.length - 1);
    expect(del[0]).toBeCloseTo(trapezoid([10, 10, 10, 8, 8, 5, 5, 5, 1, 1, 0]), 5);
    expect(del[0]).toBeCloseTo(5.8, 5);
    expect(ins[0]).toBeCloseTo(4.2, 5);
    expect(del4[0]).toBeCloseTo((18 + 13 + 6 + 1) / 2 / 4, 5);
    expect(ins4[0]).toBeCloseTo((2 + 7 + 14 + 19) / 2 / 4, 5);
    expect(sameAsBaseline[0]).toBeCloseTo(10, 5);
  });
});

describe('the percentile rule (numpy linear interpolation; removed: at or above the threshold)', () => {
  const removedOf = (map: number[], p: number, order: 'most-relevant-first' | 'least-relevant-first' = 'most-relevant-first'): number[] =>
    Array.from(roadRemovedPixels(Float32Array.from(map), p, order));

  it('ties: the threshold interpolates between the tied values, so a tied group goes out whole', () => {
    const map = [0.25, 0.75, 0.25, 0.75];
    // Sorted [0.25, 0.25, 0.75, 0.75]. p10: index 0.3, between two 0.25s: the threshold is 0.25
    // itself and every pixel is at or above it. p = 100/3: index exactly 1, the same.
    expect(removedOf(map, 10)).toEqual([1, 1, 1, 1]);
    expect(removedOf(map, 100 / 3)).toEqual([1, 1, 1, 1]);
    // p50: index 1.5: 0.75 − 0.5·0.5 = 0.5: the 0.75s go. p70: index 2.1, between the 0.75s.
    expect(removedOf(map, 50)).toEqual([0, 1, 0, 1]);
    expect(removedOf(map, 70)).toEqual([0, 1, 0, 1]);
    // Least relevant first: 1 − map = [0.75, 0.25, 0.75, 0.25]: at p50 the map's 0.25s go.
    expect(removedOf(map, 50, 'least-relevant-first')).toEqual([1, 0, 1, 0]);
  });

  it('a plateau of zeros: most-relevant-first at a percentile inside it removes every pixel', () => {
    const map = [0, 0, 0, 0.5, 1];
    expect(removedOf(map, 50)).toEqual([1, 1, 1, 1, 1]);
    expect(removedOf(map, 70)).toEqual([0, 0, 0, 1, 1]); // index 2.8: 0.5·0.8 = 0.4
    // Least relevant first ranks 1 − map: [1,1,1,0.5,0], p50 → 1: the zeros of the map go.
    expect(removedOf(map, 50, 'least-relevant-first')).toEqual([1, 1, 1, 0, 0]);
  });

  it('every pixel removed: the imputation is all zeros, never NaN, and road still scores', async () => {
    const x = tf.tensor3d([1, 2, 3, 4], [2, 2, 1]);
    const all = tf.ones([2, 2]) as tf.Tensor2D;
    const out = await metrics.noisyLinearImpute(x, all, { noise: 0 });
    expect(Array.from(out.dataSync())).toEqual([0, 0, 0, 0]);
    const images = image([1, 1, 1, 1]);
    const flat = tf.tensor3d([0, 0, 0, 1], [1, 2, 2]);
    const r = await metrics.road(asFunction, images, flat, { classIndex: 0, score: 'logit', percentiles: 50, order: 'most-relevant-first', noise: 0 });
    expect(r[0]).toBeCloseTo(-10, 5); // every pixel imputed as 0: score 0 − 10
    tf.dispose([x, all, out, images, flat]);
  });
});

describe('noisyLinearImpute', () => {
  it('fills a removed pixel with the 1/6–1/12 weighted mean of its neighbours (in the image)', async () => {
    const values = [1, 2, 3, 4, 100, 6, 7, 8, 9];
    const x = tf.tensor3d(values, [3, 3, 1]);
    const centre = tf.tensor2d([0, 0, 0, 0, 1, 0, 0, 0, 0], [3, 3]);
    const corner = tf.tensor2d([1, 0, 0, 0, 0, 0, 0, 0, 0], [3, 3]);
    const a = (await metrics.noisyLinearImpute(x, centre, { noise: 0 })).dataSync();
    const b = (await metrics.noisyLinearImpute(x, corner, { noise: 0 })).dataSync();
    expect(a[4]).toBeCloseTo((2 + 4 + 6 + 8) / 6 + (1 + 3 + 7 + 9) / 12, 5);
    // The corner has 3 neighbours: right and below (1/6 each), the diagonal (1/12), out of 5/12.
    expect(b[0]).toBeCloseTo((2 / 6 + 4 / 6 + 100 / 12) / (5 / 12), 5);
    expect(Array.from(a).filter((_, i) => i !== 4)).toEqual(values.filter((_, i) => i !== 4));
    tf.dispose([x, centre, corner]);
  });

  it('two touching removed pixels are solved together', async () => {
    // Row [0, ?, ?, 3] in a 1×4 image: each unknown is the mean of its two neighbours → 1, 2.
    const x = tf.tensor3d([0, 9, 9, 3], [1, 4, 1]);
    const removed = tf.tensor2d([0, 1, 1, 0], [1, 4]);
    const out = await metrics.noisyLinearImpute(x, removed, { noise: 0 });
    expect(Array.from(out.dataSync())).toEqual([0, expect.closeTo(1, 6), expect.closeTo(2, 6), 3]);
    tf.dispose([x, removed, out]);
  });

  it('seeded noise: the same seed gives the same image, another seed another; std as asked', async () => {
    const x = tf.randomUniform([32, 32, 3], 0, 1, 'float32', 3) as tf.Tensor3D;
    const removed = tf.tensor2d(Array.from({ length: 1024 }, (_, i) => (i % 3 === 0 ? 1 : 0)), [32, 32]);
    const clean = (await metrics.noisyLinearImpute(x, removed, { noise: 0 })).dataSync();
    const a = (await metrics.noisyLinearImpute(x, removed, { noise: 0.05, seed: 7 })).dataSync();
    const b = (await metrics.noisyLinearImpute(x, removed, { noise: 0.05, seed: 7 })).dataSync();
    const c = (await metrics.noisyLinearImpute(x, removed, { noise: 0.05, seed: 8 })).dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    const jitter = Array.from(a).map((v, i) => v - clean[i]).filter((_, i) => Math.floor(i / 3) % 3 === 0);
    const std = Math.sqrt(jitter.reduce((s, v) => s + v * v, 0) / jitter.length);
    expect(std).toBeGreaterThan(0.045);
    expect(std).toBeLessThan(0.055);
    expect(Array.from(a).filter((_, i) => Math.floor(i / 3) % 3 !== 0)).toEqual(Array.from(clean).filter((_, i) => Math.floor(i / 3) % 3 !== 0));
    tf.dispose([x, removed]);
  });

  it('road with seeded noise is reproducible', async () => {
    const x = tf.randomUniform([1, 2, 2, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
    const cam = tf.tensor3d([0.1, 0.9, 0.5, 0.3], [1, 2, 2]);
    const o = { classIndex: 0, noise: 0.2, seed: 11 };
    const a = await metrics.roadCombined(asFunction, x, cam, o);
    const b = await metrics.roadCombined(asFunction, x, cam, o);
    const c = await metrics.roadCombined(asFunction, x, cam, { ...o, seed: 12 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    tf.dispose([x, cam]);
  });
});

describe('bad input rejects with a GradCamError and leaks nothing', () => {
  // Every tensor an argument needs is made inside the call and freed after it.
  const made: tf.Tensor[] = [];
  const t = <T extends tf.Tensor>(x: T): T => {
    made.push(x);
    return x;
  };
  const cases: Array<[string, () => Promise<unknown>, string]> = [
    ['heatmaps of the wrong shape', () => metrics.confidenceChange(asFunction, t(image([1, 1, 1, 1])), t(tf.zeros([1, 3, 2])) as tf.Tensor3D, { classIndex: 0 }), 'SHAPE_MISMATCH'],
    ['heatmaps without a batch axis', () => metrics.road(asFunction, t(image([1, 1, 1, 1])), t(tf.zeros([2, 2])) as unknown as tf.Tensor3D, { classIndex: 0, percentiles: 50, order: 'most-relevant-first' }), 'SHAPE_MISMATCH'],
    ['images of strings', () => metrics.confidenceChange(asFunction, t(tf.tensor4d(['a', 'b', 'c', 'd'] as unknown as number[], [1, 2, 2, 1], 'string' as never)), t(tf.ones([1, 2, 2])) as tf.Tensor3D, { classIndex: 0 }), 'BAD_INPUT'],
    ['images of rank 3', () => metrics.deletion(asFunction, t(tf.zeros([2, 2, 1])) as unknown as tf.Tensor4D, t(tf.zeros([1, 2, 2])) as tf.Tensor3D, { classIndex: 0 }), 'BAD_INPUT'],
    ['a class out of range (function)', () => metrics.averageDrop(asFunction, t(image([1, 1, 1, 1])), t(tf.ones([1, 2, 2])) as tf.Tensor3D, { classIndex: 2 }), 'BAD_CLASS_INDEX'],
    ['a class out of range (LayersModel)', () => metrics.roadCombined(layers, t(image([1, 1, 1, 1])), t(tf.ones([1, 2, 2])) as tf.Tensor3D, { classIndex: 5 }), 'BAD_CLASS_INDEX'],
    ['a negative class', () => metrics.insertion(asFunction, t(image([1, 1, 1, 1])), t(tf.ones([1, 2, 2])) as tf.Tensor3D, { classIndex: -1 }), 'BAD_CLASS_INDEX'],
    ['percentile 0', () => metrics.road(asFunction, t(image([1, 1, 1, 1])), t(tf.ones([1, 2, 2])) as tf.Tensor3D, { classIndex: 0, percentiles: 0, order: 'most-relevant-first' }), 'BAD_OPTION'],
    ['percentile 100', () => metrics.roadCombined(asFunction, t(image([1, 1, 1, 1])), t(tf.ones([1, 2, 2])) as tf.Tensor3D, { classIndex: 0, percentiles: [50, 100] }), 'BAD_OPTION'],
    ['a bad order', () => metrics.road(asFunction, t(image([1, 1, 1, 1])), t(tf.ones([1, 2, 2])) as tf.Tensor3D, { classIndex: 0, percentiles: 50, order: 'MoRF' as never }), 'BAD_OPTION'],
    ['negative noise', () => metrics.roadCombined(asFunction, t(image([1, 1, 1, 1])), t(tf.ones([1, 2, 2])) as tf.Tensor3D, { classIndex: 0, noise: -1 }), 'BAD_OPTION'],
    ['NaN in the images (checked on the device)', () => metrics.confidenceChange(asFunction, t(image([1, NaN, 1, 1])), t(tf.ones([1, 2, 2])) as tf.Tensor3D, { classIndex: 0 }), 'NON_FINITE_INPUT'],
    ['NaN in the heatmaps', () => metrics.deletion(asFunction, t(image([1, 1, 1, 1])), t(tf.tensor3d([NaN, 0, 0, 0], [1, 2, 2])), { classIndex: 0 }), 'NON_FINITE_INPUT'],
    ['a non-positive score for averageDrop', () => metrics.averageDrop(asFunction, t(image([-1, 0, 0, 0])), t(tf.ones([1, 2, 2])) as tf.Tensor3D, { classIndex: 0, score: 'logit' }), 'BAD_OPTION'],
    ['an image of the wrong size for the LayersModel', () => metrics.confidenceChange(layers, t(tf.zeros([1, 3, 3, 1])) as tf.Tensor4D, t(tf.zeros([1, 3, 3])) as tf.Tensor3D, { classIndex: 0 }), 'BAD_INPUT'],
    ['a model of no known kind', () => metrics.confidenceChange({} as never, t(image([1, 1, 1, 1])), t(tf.ones([1, 2, 2])) as tf.Tensor3D, { classIndex: 0 }), 'UNSUPPORTED_MODEL'],
    ['a removed mask of the wrong size', () => metrics.noisyLinearImpute(t(tf.zeros([2, 2, 1])) as tf.Tensor3D, t(tf.zeros([2, 3])) as tf.Tensor2D), 'SHAPE_MISMATCH'],
  ];
  it.each(cases)('%s', async (_name, call, code) => {
    const before = tf.memory().numTensors;
    const err = await call().then(() => undefined, (e: unknown) => e);
    tf.dispose(made.splice(0));
    expect(tf.memory().numTensors).toBe(before);
    expect(err).toBeInstanceOf(GradCamError);
    expect((err as GradCamError).code).toBe(code);
  });
});

describe('models', () => {
  it('int32 images are scored as their float values', async () => {
    const ints = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1], 'int32');
    const floats = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    const cam = tf.tensor3d([1, 0.5, 0, 1], [1, 2, 2]);
    const o = { classIndex: 0, score: 'logit' as const };
    // 1·1 + 2·2·0.5 + 0 + 4·4 = 19, against 30.
    expect(await metrics.confidenceChange(asFunction, ints, cam, o)).toEqual([expect.closeTo(-11, 5)]);
    expect(await metrics.deletion(asFunction, ints, cam, o)).toEqual(await metrics.deletion(asFunction, floats, cam, o));
    tf.dispose([ints, floats, cam]);
  });

  it('a model with one output score (K = 1) is scored on it', async () => {
    const single = (x: tf.Tensor4D): tf.Tensor2D => tf.tidy(() => tf.reshape(tf.sum(x, [1, 2, 3]), [-1, 1]) as tf.Tensor2D);
    const images = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    const cam = tf.tensor3d([1, 0.5, 0, 1], [1, 2, 2]);
    // 1 + 2·0.5 + 0 + 4 = 6, against 10.
    expect(await metrics.confidenceChange(single, images, cam, { classIndex: 0, score: 'logit' })).toEqual([expect.closeTo(-4, 5)]);
    tf.dispose([images, cam]);
  });

  it('a LayersModel with no feature map (Flatten + Dense on pixels) is scored on its logits, before its softmax', async () => {
    // logit 0 = the sum of the pixels, logit 1 = 0; softmax activation on the Dense layer.
    const flat = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: [2, 2, 1] }), tfl.layers.dense({ units: 2, activation: 'softmax', useBias: false })] });
    const kernel = tf.tensor2d([1, 0, 1, 0, 1, 0, 1, 0], [4, 2]);
    flat.layers[1].setWeights([kernel]);
    const images = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    const cam = tf.tensor3d([1, 0.5, 0, 1], [1, 2, 2]);
    const before = tf.memory().numTensors;
    // Logits: 1 + 2·0.5 + 0 + 4 = 6 against 10; probabilities: softmax([6, 0]) against softmax([10, 0]).
    expect(await metrics.confidenceChange(flat, images, cam, { classIndex: 0, score: 'logit' })).toEqual([expect.closeTo(-4, 5)]);
    const p = (z: number): number => 1 / (1 + Math.exp(-z));
    expect(await metrics.confidenceChange(flat, images, cam, { classIndex: 0, score: 'probability' })).toEqual([expect.closeTo(p(6) - p(10), 6)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([kernel, images, cam]);
    flat.dispose();
  });

  it('a GraphModel-shaped object is scored before its Softmax output node', async () => {
    const nodes: string[] = [];
    const graphLike = {
      outputNodes: ['Identity'],
      // As the converter writes a classifier: …/BiasAdd → …/Softmax → Identity (the output node).
      executor: {
        graph: {
          nodes: {
            Identity: { name: 'Identity', op: 'Identity', inputNames: ['probs'] },
            probs: { name: 'probs', op: 'Softmax', inputNames: ['logits'] },
            logits: { name: 'logits', op: 'BiasAdd', inputNames: ['x', 'b'] },
          },
          inputs: [],
          outputs: [{ name: 'Identity', op: 'Identity', inputNames: ['probs'] }],
        },
      },
      execute(x: tf.Tensor, node?: string | string[]): tf.Tensor {
        nodes.push(String(node));
        return node === 'logits' ? asFunction(x as tf.Tensor4D) : tf.tidy(() => tf.softmax(asFunction(x as tf.Tensor4D)));
      },
    };
    const { images, heatmaps } = pair();
    const got = await metrics.confidenceChange(graphLike, images, heatmaps, { classIndex: 0, score: 'logit' });
    expect(got).toEqual([expect.closeTo(-7, 5), expect.closeTo(1, 5)]);
    expect(new Set(nodes)).toEqual(new Set(['logits']));
    tf.dispose([images, heatmaps]);
  });

  it('a converted GraphModel scores as the same network converted as a LayersModel, in both score modes', async () => {
    const graph = loadGraphFixture('vgg');
    const layersModel = await loadLayersFixture('vgg');
    const images = tensorOf(graphReference('vgg').images) as tf.Tensor4D;
    const [n, h, w] = images.shape;
    const heatmaps = tf.tidy(() => tf.tile(tf.reshape(tf.linspace(0, 1, h * w), [1, h, w]), [n, 1, 1])) as tf.Tensor3D;
    for (const score of ['logit', 'probability'] as const) {
      const o = { classIndex: 0, score };
      const fromGraph = await metrics.confidenceChange(graph, images, heatmaps, o);
      const fromLayers = await metrics.confidenceChange(layersModel, images, heatmaps, o);
      fromGraph.forEach((v, i) => expect(v).toBeCloseTo(fromLayers[i], 4));
    }
    tf.dispose([images, heatmaps]);
    graph.dispose();
    layersModel.dispose();
  });

  it('the LayersModel is not changed and the metrics leak nothing', async () => {
    const weights = layers.getWeights().map((w) => Array.from(w.dataSync()));
    const { images, heatmaps } = pair();
    const before = tf.memory().numTensors;
    await metrics.roadCombined(layers, images, heatmaps, { classIndex: [0, 1], seed: 1, batchSize: 5 });
    await metrics.deletion(layers, images, heatmaps, { classIndex: [1, 0], batchSize: 3 });
    expect(tf.memory().numTensors).toBe(before);
    expect(layers.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(weights);
    expect(layers.layers[2].getConfig().activation).toBe('softmax');
    tf.dispose([images, heatmaps]);
  });
});
