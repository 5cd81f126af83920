import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { inputShapeOf, layerArgs, oneTensor } from './util';

/**
 * Keras's `GlobalAveragePooling2D` / `GlobalMaxPooling2D` with `keepdims=True`: `[N,h,w,C]` →
 * `[N,1,1,C]`. tfjs-layers' own classes ignore `keepdims` and return `[N,C]`, which breaks
 * MobileNet's and MobileNetV3's 1×1-conv heads. `mode` is `'avg'` or `'max'`.
 */
export class GlobalPooling2DKeepDims extends tfl.layers.Layer {
  static readonly className = 'GlobalPooling2DKeepDims';
  private readonly mode: 'avg' | 'max';

  constructor(args: Record<string, unknown>) {
    super(layerArgs(args));
    this.mode = args.mode === 'max' ? 'max' : 'avg';
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = inputShapeOf(inputShape);
    return [shape[0], 1, 1, shape[3]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = oneTensor(inputs);
      return this.mode === 'max' ? tf.max(x, [1, 2], true) : tf.mean(x, [1, 2], true);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode };
  }
}
