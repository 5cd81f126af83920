import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/** The base-layer arguments tfjs passes a layer's constructor (name, trainable, dtype, …). */
export type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;

/** A deserialized config (keys already camelCase) as the base-layer arguments. */
export function layerArgs(config: Record<string, unknown>): LayerArgs {
  return config as LayerArgs;
}

/** The one input shape of a single-input layer. */
export function inputShapeOf(shape: tfl.Shape | tfl.Shape[]): tfl.Shape {
  return (Array.isArray(shape[0]) ? shape[0] : shape) as tfl.Shape;
}

/** The one input tensor of a single-input layer. */
export function oneTensor(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}
