/**
 * A tiny CNN with hand-set weights and a synthetic scene, shared by the examples.
 *
 * The model sees colour blobs: its first conv layer has one filter that fires on bright red
 * pixels and one that fires on bright green pixels; a second conv layer gathers that evidence;
 * global average pooling and a dense softmax turn it into three classes. Because every weight
 * is set by hand, we know where a correct Grad-CAM must point: at the red square for class 0,
 * at the green square for class 1.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export const IMAGE_SIZE = 64;
export const CLASS_NAMES = ['red blob', 'green blob', 'nothing'] as const;

/** A square in image pixels: rows `top … top+size−1`, columns `left … left+size−1`. */
export interface Square {
  readonly top: number;
  readonly left: number;
  readonly size: number;
}

export const RED_SQUARE: Square = { top: 36, left: 10, size: 14 };
export const GREEN_SQUARE: Square = { top: 8, left: 42, size: 10 };

/** Whether pixel (row, col) lies inside `square`. */
export function inside(square: Square, row: number, col: number): boolean {
  return row >= square.top && row < square.top + square.size && col >= square.left && col < square.left + square.size;
}

/**
 * Builds the model, `[N,64,64,3]` (RGB in [0, 1]) → `[N,3]` class probabilities:
 *
 * - `colour`: conv 3×3, 2 filters, ReLU. Filter 0 = mean over the window of (R − G − B), minus
 *   0.3, so only bright red survives the ReLU; filter 1 the same for green.
 * - `pool`: max pooling 2×2 → 32×32.
 * - `evidence`: conv 3×3, 2 filters, ReLU; each filter averages its own colour channel.
 * - `gap`: global average pooling → `[N,2]`.
 * - `scores`: dense with softmax; the logit of class 0 grows with red evidence, class 1 with
 *   green, and class 2 ("nothing") is a constant that wins when neither colour is present.
 */
export function buildDemoModel(): tfl.LayersModel {
  const model = tfl.sequential({
    name: 'colour_blobs',
    layers: [
      tfl.layers.conv2d({
        name: 'colour',
        inputShape: [IMAGE_SIZE, IMAGE_SIZE, 3],
        filters: 2,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
      }),
      tfl.layers.maxPooling2d({ name: 'pool', poolSize: 2 }),
      tfl.layers.conv2d({ name: 'evidence', filters: 2, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tfl.layers.globalAveragePooling2d({ name: 'gap' }),
      tfl.layers.dense({ name: 'scores', units: CLASS_NAMES.length, activation: 'softmax' }),
    ],
  });

  // Kernels are [kh, kw, inChannels, outChannels]; each tap of a 3×3 window weighs 1/9.
  const colourKernel = new Float32Array(3 * 3 * 3 * 2);
  const colourFilters = [
    [1, -1, -1], // filter 0: red minus green minus blue
    [-1, 1, -1], // filter 1: green minus red minus blue
  ];
  const evidenceKernel = new Float32Array(3 * 3 * 2 * 2);
  for (let tap = 0; tap < 9; tap++) {
    for (let inC = 0; inC < 3; inC++) {
      for (let outC = 0; outC < 2; outC++) colourKernel[(tap * 3 + inC) * 2 + outC] = colourFilters[outC][inC] / 9;
    }
    for (let c = 0; c < 2; c++) evidenceKernel[(tap * 2 + c) * 2 + c] = 1 / 9;
  }

  // setWeights copies the values into the layers' variables, so tidy can free these tensors.
  tf.tidy(() => {
    model.getLayer('colour').setWeights([tf.tensor4d(colourKernel, [3, 3, 3, 2]), tf.tensor1d([-0.3, -0.3])]);
    model.getLayer('evidence').setWeights([tf.tensor4d(evidenceKernel, [3, 3, 2, 2]), tf.zeros([2])]);
    // Rows: input channel (red evidence, green evidence); columns: class.
    model.getLayer('scores').setWeights([
      tf.tensor2d(
        [
          [200, -100, 0],
          [-100, 200, 0],
        ],
        [2, 3],
      ),
      tf.tensor1d([-1, -1, 0]),
    ]);
  });
  return model;
}

/**
 * Renders the test scene, `[64,64,3]` float32 RGB in [0, 1]: a dim blue-grey gradient with a
 * bright red square ({@link RED_SQUARE}) and a smaller green one ({@link GREEN_SQUARE}).
 * With `withRed: false` the red square is left out.
 */
export function renderScene({ withRed = true } = {}): tf.Tensor3D {
  const pixels = new Float32Array(IMAGE_SIZE * IMAGE_SIZE * 3);
  for (let row = 0; row < IMAGE_SIZE; row++) {
    for (let col = 0; col < IMAGE_SIZE; col++) {
      let rgb = [0.2, 0.22 + (0.15 * row) / IMAGE_SIZE, 0.3 + (0.2 * col) / IMAGE_SIZE];
      if (withRed && inside(RED_SQUARE, row, col)) rgb = [0.95, 0.1, 0.1];
      if (inside(GREEN_SQUARE, row, col)) rgb = [0.15, 0.85, 0.2];
      pixels.set(rgb, (row * IMAGE_SIZE + col) * 3);
    }
  }
  return tf.tensor3d(pixels, [IMAGE_SIZE, IMAGE_SIZE, 3]);
}
