import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { type ExplainProgress, GradCam } from '../../src';
import { expectClose, expectGradCamError } from '../helpers/expect';
import { conv, dense, denseLogits, randomImages } from '../helpers/models';

/**
 * Faster-ScoreCAM (`maxChannels`): only each image's channels of largest spatial variance are
 * scored. Checked against ScoreCAM and AblationCAM computed by hand over the chosen channels,
 * the channels chosen in plain JavaScript from the activations.
 */

const input = tfl.input({ shape: [8, 8, 3] });
const target = conv('target', 6).apply(conv('c1', 4).apply(input)) as tfl.SymbolicTensor;
const out = dense('logits', 3, 'linear'); // linear: predict gives the logits ScoreCAM scores
const model = tfl.model({ inputs: input, outputs: out.apply(tfl.layers.globalAveragePooling2d({}).apply(target)) as tfl.SymbolicTensor });
const x = randomImages(2, 8, 3, 21);
const activations = tfl.model({ inputs: input, outputs: target }).predict(x) as tf.Tensor4D;
const A = activations.arraySync(); // [n][i][j][c]
const CLASS = 1;
const gc = new GradCam(model, { layerName: 'target' });

/** Image n's k channels of largest spatial (population) variance. */
function topChannels(n: number, k: number): number[] {
  const values = (c: number): number[] => A[n].flatMap((row) => row.map((px) => px[c]));
  const variance = (v: number[]): number => {
    const mean = v.reduce((s, a) => s + a, 0) / v.length;
    return v.reduce((s, a) => s + (a - mean) ** 2, 0) / v.length;
  };
  return [...Array(6).keys()].sort((a, b) => variance(values(b)) - variance(values(a))).slice(0, k);
}

/** ReLU(Σ_c w_c A_c) of image n over the given channels, as a flat [8·8] list. */
function mapOf(n: number, channels: number[], weights: number[]): number[] {
  return A[n].flatMap((row) => row.map((px) => Math.max(0, channels.reduce((s, c, i) => s + weights[i] * px[c], 0))));
}

/** pytorch-grad-cam's ScoreCAM weights over `channels` of image n (softmax over those channels' scores). */
function handScoreCam(n: number, channels: number[]): number[] {
  const scores = channels.map((c) =>
    tf.tidy(() => {
      const channel = tf.slice(activations, [n, 0, 0, c], [1, 8, 8, 1]);
      const up = tf.image.resizeBilinear(channel, [8, 8], true);
      const mask = tf.div(tf.sub(up, tf.min(up)), tf.add(tf.sub(tf.max(up), tf.min(up)), 1e-8));
      const masked = tf.mul(tf.slice(x, [n, 0, 0, 0], [1, 8, 8, 3]), mask);
      return (model.predict(masked) as tf.Tensor).dataSync()[CLASS];
    }),
  );
  const exp = scores.map((s) => Math.exp(s - Math.max(...scores)));
  return mapOf(n, channels, exp.map((e) => e / exp.reduce((s, v) => s + v, 0)));
}

/** AblationCAM weights over `channels` of image n: the relative drop of the logit with the channel at 0. */
function handAblationCam(n: number, channels: number[]): number[] {
  const logit = (a: tf.Tensor4D): number => tf.tidy(() => denseLogits(out, tf.mean(a, [1, 2])).dataSync()[CLASS]);
  const own = tf.slice(activations, [n, 0, 0, 0], [1, 8, 8, 6]);
  expect(tf.min(own).dataSync()[0]).toBe(0); // after a ReLU: an ablated channel is set to 0
  const score = logit(own);
  const weights = channels.map((c) =>
    tf.tidy(() => {
      const keep = tf.tensor1d([...Array(6).keys()].map((k) => (k === c ? 0 : 1)));
      return (score - logit(tf.mul(own, keep) as tf.Tensor4D)) / score;
    }),
  );
  own.dispose();
  return mapOf(n, channels, weights);
}

function camOf(options: Parameters<GradCam['explain']>[1]): number[] {
  const r = gc.explain(x, { classIndex: CLASS, ...options });
  const cam = Array.from(r.cam.dataSync());
  r.dispose();
  return cam;
}

describe('maxChannels (Faster-ScoreCAM)', () => {
  it.each(['scorecam', 'ablationcam'] as const)('%s: maxChannels ≥ C is the plain method', (method) => {
    const plain = camOf({ method });
    expectClose(camOf({ method, maxChannels: 6 }), plain, 1e-7);
    expectClose(camOf({ method, maxChannels: 100 }), plain, 1e-7);
    expect(Math.max(...plain)).toBeGreaterThan(0);
  });

  it.each([
    ['scorecam', handScoreCam],
    ['ablationcam', handAblationCam],
  ] as const)('%s: a smaller value is the method over each image\'s top-variance channels', (method, hand) => {
    for (const k of [1, 3]) {
      const before = tf.memory().numTensors;
      const progress: ExplainProgress[] = [];
      const cam = camOf({ method, maxChannels: k, batchSize: 2, onProgress: (p) => progress.push(p) });
      expect(tf.memory().numTensors).toBe(before);
      const expected = [0, 1].flatMap((n) => hand(n, topChannels(n, k)));
      expect(Math.max(...expected)).toBeGreaterThan(0);
      expectClose(cam, expected, 1e-5 * Math.max(1, ...expected.map(Math.abs)));
      expect(progress[progress.length - 1]).toMatchObject({ done: 2 * k, total: 2 * k });
    }
    // The choice matters: over 3 channels the map differs from the plain method's.
    const plain = camOf({ method });
    expect(Math.max(...camOf({ method, maxChannels: 3 }).map((v, i) => Math.abs(v - plain[i])))).toBeGreaterThan(1e-4);
  });

  it('must be a positive integer, for scorecam or ablationcam only', () => {
    expectGradCamError(() => gc.explain(x, { method: 'scorecam', maxChannels: 0 }), 'BAD_OPTION', /positive integer, got 0/);
    expectGradCamError(() => gc.explain(x, { method: 'scorecam', maxChannels: 2.5 }), 'BAD_OPTION', /positive integer/);
    expectGradCamError(() => gc.explain(x, { method: 'gradcam', maxChannels: 2 }), 'BAD_OPTION', /scorecam and ablationcam, not gradcam/);
  });
});
