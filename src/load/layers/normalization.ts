import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { inputShapeOf, layerArgs, oneTensor } from './util';

type Axis = number | number[] | null | undefined;

/** Keras's `backend.epsilon()`: the floor of the standard deviation. */
const EPSILON = 1e-7;

/**
 * Keras's `Normalization` layer at inference: `(x − mean) / max(√variance, 1e-7)` per kept axis
 * (or the inverse with `invert`). Mean and variance come from the config when given there,
 * otherwise from the weights `mean`, `variance` (and `count`, unused here), as Keras adapts them.
 * tfjs-layers 4.22 has no such class; EfficientNet(V2), ConvNeXt and RegNet begin with one.
 */
export class Normalization extends tfl.layers.Layer {
  static readonly className = 'Normalization';
  private readonly axis: number[];
  private readonly invert: boolean;
  private readonly fixedMean: number[] | number | null;
  private readonly fixedVariance: number[] | number | null;
  private meanWeight: tfl.LayerVariable | null = null;
  private varianceWeight: tfl.LayerVariable | null = null;

  constructor(args: Record<string, unknown>) {
    super(layerArgs(args));
    const axis = args.axis as Axis;
    this.axis = axis == null ? [] : Array.isArray(axis) ? axis : [axis];
    if (args.axis === undefined) this.axis = [-1];
    this.invert = args.invert === true;
    this.fixedMean = (args.mean as number[] | number | null | undefined) ?? null;
    this.fixedVariance = (args.variance as number[] | number | null | undefined) ?? null;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = inputShapeOf(inputShape);
    if (this.fixedMean === null || this.fixedVariance === null) {
      const kept = this.keptAxes(shape.length).map((a) => shape[a] ?? 1);
      this.meanWeight = this.addWeight('mean', kept, 'float32', tfl.initializers.zeros(), undefined, false);
      this.varianceWeight = this.addWeight('variance', kept, 'float32', tfl.initializers.ones(), undefined, false);
      this.addWeight('count', [], 'int32', tfl.initializers.zeros(), undefined, false);
    }
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = oneTensor(inputs);
      const broadcast: number[] = x.shape.map(() => 1);
      const kept = this.keptAxes(x.rank);
      kept.forEach((a) => (broadcast[a] = x.shape[a]));
      const stat = (fixed: number[] | number | null, weight: tfl.LayerVariable | null): tf.Tensor => {
        const value = fixed !== null ? tf.tensor(fixed, undefined, 'float32') : (weight as tfl.LayerVariable).read();
        return value.size === 1 ? tf.reshape(value, []) : tf.reshape(value, broadcast);
      };
      const mean = stat(this.fixedMean, this.meanWeight);
      const std = tf.maximum(tf.sqrt(stat(this.fixedVariance, this.varianceWeight)), EPSILON);
      return this.invert ? tf.add(tf.mul(x, std), mean) : tf.div(tf.sub(x, mean), std);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const axis = this.axis.length === 1 ? this.axis[0] : this.axis;
    return { ...super.getConfig(), axis, invert: this.invert, mean: this.fixedMean, variance: this.fixedVariance };
  }

  private keptAxes(rank: number): number[] {
    return this.axis.map((a) => (a < 0 ? rank + a : a));
  }
}

