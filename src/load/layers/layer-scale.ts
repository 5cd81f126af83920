import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { inputShapeOf, layerArgs, oneTensor } from './util';

/**
 * ConvNeXt's `LayerScale`: `x · gamma`, one learned factor per channel (weight `gamma`,
 * `[projection_dim]`), as keras.applications.convnext defines it.
 */
export class LayerScale extends tfl.layers.Layer {
  static readonly className = 'LayerScale';
  private readonly initValues: number;
  private readonly projectionDim: number | null;
  private gamma: tfl.LayerVariable | null = null;

  constructor(args: Record<string, unknown>) {
    super(layerArgs(args));
    this.initValues = typeof args.initValues === 'number' ? args.initValues : 1e-6;
    this.projectionDim = typeof args.projectionDim === 'number' ? args.projectionDim : null;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = inputShapeOf(inputShape);
    const channels = this.projectionDim ?? shape[shape.length - 1] ?? 1;
    this.gamma = this.addWeight('gamma', [channels], 'float32', tfl.initializers.constant({ value: this.initValues }));
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.mul(oneTensor(inputs), (this.gamma as tfl.LayerVariable).read()));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), initValues: this.initValues, projectionDim: this.projectionDim };
  }
}

/**
 * ConvNeXt's `StochasticDepth` (drop path): drops whole residual branches while training and is
 * the identity at inference, which is all an explanation runs.
 */
export class StochasticDepth extends tfl.layers.Layer {
  static readonly className = 'StochasticDepth';
  private readonly dropPathRate: number;

  constructor(args: Record<string, unknown>) {
    super(layerArgs(args));
    this.dropPathRate = typeof args.dropPathRate === 'number' ? args.dropPathRate : 0;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.clone(oneTensor(inputs));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), dropPathRate: this.dropPathRate };
  }
}
