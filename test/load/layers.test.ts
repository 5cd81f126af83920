import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { GradCamError } from '../../src';
import { GlobalPooling2DKeepDims } from '../../src/load/layers/global-pooling';
import { GroupedConv2D } from '../../src/load/layers/grouped-conv';
import { LayerScale, StochasticDepth } from '../../src/load/layers/layer-scale';
import { Normalization } from '../../src/load/layers/normalization';
import { TFOpLambda } from '../../src/load/layers/tf-op-lambda';
import { expectClose } from '../helpers/expect';

/** Runs a layer on `x` (building it), returns the values and frees everything. */
function run(layer: tfl.layers.Layer, x: tf.Tensor, weights?: tf.Tensor[]): Float32Array {
  layer.apply(tfl.input({ batchShape: x.shape as number[] }));
  if (weights) layer.setWeights(weights);
  const y = layer.apply(x) as tf.Tensor;
  const out = y.dataSync() as Float32Array;
  tf.dispose([y, ...(weights ?? [])]);
  layer.dispose();
  return out;
}

describe('Keras layer classes', () => {
  it('Normalization: (x − mean) / max(√var, 1e-7) per channel, from weights or config; invert', () => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 1, 2, 3]);
    const mean = tf.tensor1d([1, 2, 3]);
    const variance = tf.tensor1d([4, 0, 1]);
    expectClose(run(new Normalization({ axis: -1 }), x, [mean, variance, tf.scalar(3, 'int32')]), [0, 0 / 1e-7, 0, 1.5, 3e7, 3], 1e-3);
    expectClose(run(new Normalization({ axis: -1, mean: [1, 2, 3], variance: [4, 1, 1] }), x), [0, 0, 0, 1.5, 3, 3], 1e-6);
    expectClose(run(new Normalization({ axis: -1, mean: [1, 2, 3], variance: [4, 1, 1], invert: true }), x), [3, 4, 6, 9, 7, 9], 1e-6);
    x.dispose();
  });

  it('GroupedConv2D equals one convolution with a block-diagonal kernel; depthwise grouping too', () => {
    const x = tf.randomUniform([1, 5, 5, 4], -1, 1, 'float32', 1);
    for (const [groups, filters] of [[2, 6], [4, 4]]) {
      const perGroupIn = 4 / groups;
      const kernel = tf.randomUniform([3, 3, perGroupIn, filters], -1, 1, 'float32', 2) as tf.Tensor4D;
      const bias = tf.randomUniform([filters], -1, 1, 'float32', 3);
      // The same convolution written as a dense [3,3,4,filters] kernel, zero off the groups.
      const k = kernel.arraySync();
      const dense = tf.tensor4d(
        k.map((row) => row.map((col) => Array.from({ length: 4 }, (_, c) => Array.from({ length: filters }, (_, f) => {
          const g = Math.floor(f / (filters / groups));
          return Math.floor(c / perGroupIn) === g ? col[c % perGroupIn][f] : 0;
        })))),
      );
      const expected = tf.add(tf.conv2d(x as tf.Tensor4D, dense, [2, 2], 'same'), bias);
      const layer = new GroupedConv2D({ name: `g${groups}`, filters, groups, kernelSize: [3, 3], strides: [2, 2], padding: 'same', useBias: true, activation: 'linear' });
      expectClose(run(layer, x, [kernel, bias]), expected.dataSync(), 1e-5);
      tf.dispose([dense, expected]);
    }
    x.dispose();
  });

  it('LayerScale multiplies by gamma; StochasticDepth is the identity; keepdims pooling keeps [N,1,1,C]', () => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]);
    expectClose(run(new LayerScale({ projectionDim: 2 }), x, [tf.tensor1d([2, -1])]), [2, -2, 6, -4, 10, -6, 14, -8]);
    expectClose(run(new StochasticDepth({ dropPathRate: 0.5 }), x), [1, 2, 3, 4, 5, 6, 7, 8]);
    expectClose(run(new GlobalPooling2DKeepDims({ mode: 'avg' }), x), [4, 5]);
    expectClose(run(new GlobalPooling2DKeepDims({ mode: 'max' }), x), [7, 8]);
    expect(new GlobalPooling2DKeepDims({}).computeOutputShape([null, 2, 2, 2])).toEqual([null, 1, 1, 2]);
    x.dispose();
  });

  it("TFOpLambda runs MobileNetV3's ops with their constants, and names an op it cannot run", () => {
    const x = tf.tensor2d([[-4, 0, 6]]);
    expectClose(run(new TFOpLambda({ function: 'Operators.add', callKwargs: { y: 3 } }), x), [-1, 3, 9]);
    expectClose(run(new TFOpLambda({ function: 'math.multiply', callKwargs: { y: 0.5 } }), x), [-2, 0, 3]);
    const residual = new TFOpLambda({ function: 'Operators.add', tensorKwargs: ['y'] });
    const y = tf.tensor2d([[1, 2, 3]]);
    expect(residual.computeOutputShape([[null, 3], [null, 3]])).toEqual([null, 3]);
    const sum = residual.apply([x, y]) as tf.Tensor;
    expectClose(sum.dataSync(), [-3, 2, 9]);
    tf.dispose([y, sum]);
    expect(() => new TFOpLambda({ name: 'op', function: 'linalg.einsum' })).toThrow(GradCamError);
    expect(() => new TFOpLambda({ name: 'op', function: 'linalg.einsum' })).toThrow(/"linalg.einsum"/);
    expect(() => new TFOpLambda({ function: 'math.multiply', callKwargs: { y: 'z' } }).apply(x)).toThrow(/not a constant/);
    x.dispose();
  });

  it("per-channel constants: TFOpLambda's nested-list operand (Keras 2) and Rescaling's list scale (Keras 3) scale each channel", () => {
    // EfficientNet's ImageNet stem: x * [[[[a, b, c]]]] (Keras 2), Rescaling(scale=[a, b, c]) (Keras 3).
    // Keras: y[..., c] = x[..., c] * scale[c] + offset[c].
    const x = tf.tensor4d([1, 2, 3, -1, -2, -3], [1, 1, 2, 3]);
    expectClose(run(new TFOpLambda({ function: 'math.multiply', callKwargs: { y: [[[[2, 3, 4]]]] } }), x), [2, 6, 12, -2, -6, -12]);
    const rescaling = tfl.layers.rescaling({ scale: [2, 3, 4] as unknown as number, offset: [1, 0, -1] as unknown as number });
    expectClose(run(rescaling, x), [3, 6, 11, -1, -6, -13]);
    x.dispose();
  });
});
