import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { gradientsForClass } from '../../src';
import { expectClose } from '../helpers/expect';

/*
 * The wasm backend's own MaxPoolGrad (tfjs-backend-wasm 4.x) passes no gradient through a window
 * whose maximum is ≤ 0. src/backends/max-pool-grad.ts replaces it, the first time
 * gradientsForClass runs on wasm, with a kernel that routes each window's gradient to its first
 * maximum in row-major order, as the cpu backend and PyTorch do. Expected gradients below are
 * worked out by hand from that rule.
 */

/**
 * ∂/∂x Σ maxPool(x)·weights on the active backend, as a flat array; checks that nothing leaked.
 */
function poolGrad(
  x: number[],
  xShape: [number, number, number, number],
  weights: number[],
  filter: number,
  stride: number,
  pad: 'valid' | 'same',
): { shape: number[]; values: Float32Array } {
  const before = tf.memory().numTensors;
  const input = tf.tensor4d(x, xShape);
  const grad = tf.grad((t: tf.Tensor) => {
    const pooled = tf.maxPool(t as tf.Tensor4D, filter, stride, pad);
    return tf.sum(tf.mul(pooled, tf.tensor(weights, pooled.shape)));
  });
  const dx = grad(input);
  const out = { shape: dx.shape, values: dx.dataSync() as Float32Array };
  tf.dispose([input, dx]);
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

/** Interleaves per-channel [H,W] maps into a flat [H,W,C] (NHWC) array. */
function interleave(...channels: number[][][]): number[] {
  const [h, w] = [channels[0].length, channels[0][0].length];
  const out: number[] = [];
  for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) for (const ch of channels) out.push(ch[i][j]);
  return out;
}

let originalKernel: tf.KernelConfig | undefined;

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  expect(tf.getBackend()).toBe('wasm');
  originalKernel = tf.getKernel('MaxPoolGrad', 'wasm');
  // Installs the replacement: gradientsForClass calls ensureGradientKernels, which installs it on wasm.
  const before = tf.memory().numTensors;
  const a = tf.ones([2, 2, 2, 3]) as tf.Tensor4D;
  const head = (t: tf.Tensor4D): tf.Tensor2D => tf.reshape(tf.mean(t, [1, 2]), [2, 3]) as tf.Tensor2D;
  const r = gradientsForClass(head, a, 0);
  tf.dispose([a, r.gradients, r.scores, r.classIndex]);
  expect(tf.memory().numTensors).toBe(before);
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('MaxPoolGrad on wasm after gradientsForClass', () => {
  it('is installed: a MaxPoolGrad kernel is registered for wasm, and it is not the original', () => {
    const kernel = tf.getKernel('MaxPoolGrad', 'wasm');
    expect(kernel).toBeDefined();
    expect(originalKernel).toBeDefined();
    expect(kernel?.kernelFunc).not.toBe(originalKernel?.kernelFunc);
  });

  it('(a) sends an all-zero window\'s gradient to its first element', () => {
    // One 2×2 window of zeros, weight 3 → dx = [[3,0],[0,0]].
    const r = poolGrad([0, 0, 0, 0], [1, 2, 2, 1], [3], 2, 2, 'valid');
    expect(r.shape).toEqual([1, 2, 2, 1]);
    expectClose(r.values, [3, 0, 0, 0]);
  });

  it('(b) routes the gradient of a window whose max is negative', () => {
    // x = [[−3, −1 | −4, −3],
    //      [−2, −5 | −2, −1]]
    // left window max −1 at (0,1), weight 2; right window max −1 at (1,3), weight 5.
    const x = [-3, -1, -4, -3, -2, -5, -2, -1];
    const r = poolGrad(x, [1, 2, 4, 1], [2, 5], 2, 2, 'valid');
    expectClose(r.values, [0, 2, 0, 0, 0, 0, 0, 5]);
  });

  it('(c) sends the gradient of tied positive maxima to the first one', () => {
    // x = [[1, 7 | 7, 7],
    //      [7, 7 | 7, 7]]
    // left window: 7 first at (0,1), weight 2; right window: 7 first at (0,2), weight 5.
    const x = [1, 7, 7, 7, 7, 7, 7, 7];
    const r = poolGrad(x, [1, 2, 4, 1], [2, 5], 2, 2, 'valid');
    expectClose(r.values, [0, 2, 5, 0, 0, 0, 0, 0]);
  });

  it('(d) handles each channel of a [1,4,4,2] input on its own', () => {
    const ch0 = [
      [1, 2, 0, 0],
      [3, 4, 0, 0],
      [-1, -2, 5, 5],
      [-3, -1, 5, 1],
    ];
    const ch1 = [
      [0, 0, 9, 1],
      [0, 0, 1, 1],
      [2, 2, -7, -8],
      [2, 2, -9, -7],
    ];
    // weights [oy][ox][c]: channel 0 [[10,20],[30,40]], channel 1 [[1,2],[3,4]]
    const weights = interleave(
      [
        [10, 20],
        [30, 40],
      ],
      [
        [1, 2],
        [3, 4],
      ],
    );
    // channel 0: TL max 4 at (1,1) ← 10; TR zeros → first (0,2) ← 20;
    //            BL max −1 tied at (2,0),(3,1) → (2,0) ← 30; BR 5 tied → first (2,2) ← 40.
    // channel 1: TL zeros → (0,0) ← 1; TR max 9 at (0,2) ← 2;
    //            BL 2 tied → (2,0) ← 3; BR −7 tied at (2,2),(3,3) → (2,2) ← 4.
    const dx0 = [
      [0, 0, 20, 0],
      [0, 10, 0, 0],
      [30, 0, 40, 0],
      [0, 0, 0, 0],
    ];
    const dx1 = [
      [1, 0, 2, 0],
      [0, 0, 0, 0],
      [3, 0, 4, 0],
      [0, 0, 0, 0],
    ];
    const r = poolGrad(interleave(ch0, ch1), [1, 4, 4, 2], weights, 2, 2, 'valid');
    expect(r.shape).toEqual([1, 4, 4, 2]);
    expectClose(r.values, interleave(dx0, dx1));
  });

  it('(e) matches the cpu backend for \'same\' padding, a 3×3 window and stride 2 on 5×5', async () => {
    // Zeros, negatives and ties; overlapping windows accumulate.
    const x = [
      [0, 0, 0, -1, 2],
      [0, 0, 0, -3, 2],
      [-1, -2, 1, 1, 0],
      [-4, -1, 1, -5, 0],
      [3, 0, -2, -2, -2],
    ].flat();
    // 'same', stride 2: 3×3 outputs; pad 1 on each side.
    const weights = [1, 2, 3, 4, 5, 6, 7, 8, 9];

    const onWasm = poolGrad(x, [1, 5, 5, 1], weights, 3, 2, 'same');
    await tf.setBackend('cpu');
    let onCpu: { shape: number[]; values: Float32Array };
    try {
      onCpu = poolGrad(x, [1, 5, 5, 1], weights, 3, 2, 'same');
    } finally {
      await tf.setBackend('wasm');
    }
    expect(onWasm.shape).toEqual([1, 5, 5, 1]);
    expectClose(onWasm.values, onCpu.values);

    // By hand (window rows/cols clipped to the image):
    //   out(0,0) rows 0–1, cols 0–1: zeros → (0,0) ← 1
    //   out(0,1) rows 0–1, cols 1–3: max 0 first at (0,1) ← 2
    //   out(0,2) rows 0–1, cols 3–4: 2 tied → (0,4) ← 3
    //   out(1,0) rows 1–3, cols 0–1: max 0 at (1,0) ← 4
    //   out(1,1) rows 1–3, cols 1–3: 1 first at (2,2) ← 5
    //   out(1,2) rows 1–3, cols 3–4: 2 at (1,4) ← 6
    //   out(2,0) rows 3–4, cols 0–1: 3 at (4,0) ← 7
    //   out(2,1) rows 3–4, cols 1–3: 1 at (3,2) ← 8
    //   out(2,2) rows 3–4, cols 3–4: 0 at (3,4) ← 9
    expectClose(
      onWasm.values,
      [
        [1, 2, 0, 0, 3],
        [4, 0, 0, 0, 6],
        [0, 0, 5, 0, 0],
        [0, 0, 8, 0, 9],
        [7, 0, 0, 0, 0],
      ].flat(),
    );
  });

  it('(f) keeps the images of a batch of 2 apart', () => {
    // image 0: zeros → first element ← 5; image 1: [[1,3],[3,2]] → 3 first at (0,1) ← 7
    const x = [0, 0, 0, 0, 1, 3, 3, 2];
    const r = poolGrad(x, [2, 2, 2, 1], [5, 7], 2, 2, 'valid');
    expect(r.shape).toEqual([2, 2, 2, 1]);
    expectClose(r.values, [5, 0, 0, 0, 0, 7, 0, 0]);
  });

  it('gives gradientsForClass through a max-pool head the cpu backend\'s gradients', async () => {
    // head: maxPool 2×2 then a spatial sum → scores [N,C] (C = K = 2); class 0 → channel 0.
    const ch0 = [
      [0, 0, 1, -1],
      [0, 0, 2, 0],
      [-1, -3, 0, 0],
      [-2, -1, 0, 0],
    ];
    const ch1 = ch0.map((row) => row.map((v) => -v));
    const head = (a: tf.Tensor4D): tf.Tensor2D => tf.sum(tf.maxPool(a, 2, 2, 'valid'), [1, 2]) as tf.Tensor2D;
    const gradsOn = (): Float32Array => {
      const before = tf.memory().numTensors;
      const a = tf.tensor4d(interleave(ch0, ch1), [1, 4, 4, 2]);
      const r = gradientsForClass(head, a, 0);
      const values = r.gradients.dataSync() as Float32Array;
      tf.dispose([a, r.gradients, r.scores, r.classIndex]);
      expect(tf.memory().numTensors).toBe(before);
      return values;
    };
    const onWasm = gradsOn();
    await tf.setBackend('cpu');
    let onCpu: Float32Array;
    try {
      onCpu = gradsOn();
    } finally {
      await tf.setBackend('wasm');
    }
    // channel 0, each window's first maximum gets 1: TL zeros → (0,0); TR max 2 at (1,2);
    // BL max −1 tied at (2,0),(3,1) → (2,0); BR zeros → (2,2). Channel 1 is not scored → 0.
    const dx0 = [
      [1, 0, 0, 0],
      [0, 0, 1, 0],
      [1, 0, 1, 0],
      [0, 0, 0, 0],
    ];
    const dx1 = dx0.map((row) => row.map(() => 0));
    expectClose(onWasm, interleave(dx0, dx1));
    expectClose(onCpu, interleave(dx0, dx1));
  });
});
