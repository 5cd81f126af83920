import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { GradCamError } from '../../errors';
import { inputShapeOf, layerArgs, oneTensor } from './util';

/** The activations a grouped convolution may carry in the models seen (Keras names, camelCased). */
const ACTIVATIONS: Record<string, (x: tf.Tensor) => tf.Tensor> = {
  linear: (x) => x,
  relu: (x) => tf.relu(x),
  relu6: (x) => tf.relu6(x),
  sigmoid: (x) => tf.sigmoid(x),
  swish: (x) => tf.mul(x, tf.sigmoid(x)),
  silu: (x) => tf.mul(x, tf.sigmoid(x)),
  tanh: (x) => tf.tanh(x),
};

type Pair = [number, number];
const pair = (v: unknown, fallback: number): Pair => {
  if (Array.isArray(v)) return [Number(v[0]), Number(v[1] ?? v[0])];
  return typeof v === 'number' ? [v, v] : [fallback, fallback];
};

/**
 * Keras's `Conv2D` with `groups > 1`, which tfjs-layers' Conv2D lacks (it would build a kernel of
 * the wrong shape). Channels-last only. Weights as Keras stores them: `kernel`
 * `[kh,kw,C/groups,filters]` and `bias` `[filters]`. A depthwise grouping (groups = C = filters,
 * ConvNeXt) runs as one depthwise convolution; any other (RegNet) as one convolution per group.
 */
export class GroupedConv2D extends tfl.layers.Layer {
  static readonly className = 'GroupedConv2D';
  private readonly config: Record<string, unknown>;
  private readonly filters: number;
  private readonly groups: number;
  private readonly kernelSize: Pair;
  private readonly strides: Pair;
  private readonly dilationRate: Pair;
  private readonly padding: 'same' | 'valid';
  private readonly useBias: boolean;
  private readonly activation: string;
  private kernel: tfl.LayerVariable | null = null;
  private bias: tfl.LayerVariable | null = null;

  constructor(args: Record<string, unknown>) {
    super(layerArgs(args));
    this.config = args;
    this.filters = Number(args.filters);
    this.groups = Number(args.groups ?? 1);
    this.kernelSize = pair(args.kernelSize, 1);
    this.strides = pair(args.strides, 1);
    this.dilationRate = pair(args.dilationRate, 1);
    this.padding = args.padding === 'same' ? 'same' : 'valid';
    this.useBias = args.useBias !== false;
    this.activation = typeof args.activation === 'string' ? args.activation : 'linear';
    if (ACTIVATIONS[this.activation] === undefined) {
      throw new GradCamError('UNSUPPORTED_MODEL', `Grouped Conv2D "${this.name}" has activation "${this.activation}"; supported: ${Object.keys(ACTIVATIONS).join(', ')}.`);
    }
    if (args.dataFormat === 'channelsFirst') {
      throw new GradCamError('UNSUPPORTED_MODEL', `Grouped Conv2D "${this.name}" is channels-first; only channels-last models are supported.`);
    }
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = inputShapeOf(inputShape);
    const channels = shape[shape.length - 1] ?? 0;
    if (channels % this.groups !== 0 || this.filters % this.groups !== 0) {
      throw new GradCamError('UNSUPPORTED_MODEL', `Conv2D "${this.name}": ${channels} input channels and ${this.filters} filters do not divide into ${this.groups} groups.`);
    }
    const [kh, kw] = this.kernelSize;
    this.kernel = this.addWeight('kernel', [kh, kw, channels / this.groups, this.filters], 'float32', tfl.initializers.glorotUniform({}));
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const [n, h, w] = inputShapeOf(inputShape);
    const out = (size: number | null, i: 0 | 1): number | null => {
      if (size == null) return null;
      const span = (this.kernelSize[i] - 1) * this.dilationRate[i] + 1;
      return this.padding === 'same' ? Math.ceil(size / this.strides[i]) : Math.ceil((size - span + 1) / this.strides[i]);
    };
    return [n, out(h, 0), out(w, 1), this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = oneTensor(inputs) as tf.Tensor4D;
      const kernel = (this.kernel as tfl.LayerVariable).read() as tf.Tensor4D;
      const channels = x.shape[3];
      let y: tf.Tensor4D;
      if (this.groups === channels && this.filters === channels) {
        // [kh,kw,1,C] and [kh,kw,C,1] hold the same numbers in the same order.
        const depthwise = tf.reshape(kernel, [kernel.shape[0], kernel.shape[1], channels, 1]) as tf.Tensor4D;
        y = tf.depthwiseConv2d(x, depthwise, this.strides, this.padding, 'NHWC', this.dilationRate);
      } else {
        const xs = tf.split(x, this.groups, 3);
        const ks = tf.split(kernel, this.groups, 3);
        y = tf.concat(xs.map((xi, g) => tf.conv2d(xi as tf.Tensor4D, ks[g] as tf.Tensor4D, this.strides, this.padding, 'NHWC', this.dilationRate)), 3);
      }
      const biased = this.bias === null ? y : tf.add(y, this.bias.read());
      return ACTIVATIONS[this.activation](biased);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...(this.config as tf.serialization.ConfigDict), ...super.getConfig() };
  }
}
